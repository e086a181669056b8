#include "fufi/worker/grad_bucket_reducer.h"

#include <unordered_set>

#include "fufi/core/error.h"

namespace fufi::worker {

std::vector<std::vector<std::size_t>> plan_reverse_buckets(const std::vector<torch::Tensor>& params,
                                                           std::size_t bucket_bytes) {
  std::vector<std::vector<std::size_t>> buckets;
  std::size_t current = 0;
  for (std::size_t k = params.size(); k-- > 0;) {
    const std::size_t bytes = static_cast<std::size_t>(params[k].numel()) * params[k].element_size();
    if (buckets.empty() || current + bytes > bucket_bytes) {
      buckets.emplace_back();
      current = 0;
    }
    buckets.back().push_back(k);
    current += bytes;
  }
  return buckets;
}

GradBucketReducer::GradBucketReducer(const std::vector<torch::Tensor>& params, Communicator& comm,
                                             std::size_t bucket_bytes)
    : comm_(comm) {
  // A parameter listed twice (shared between modules) is one leaf with one gradient: reduce it once.
  std::vector<torch::Tensor> unique;
  std::unordered_set<const void*> seen;
  for (const auto& p : params)
    if (seen.insert(p.unsafeGetTensorImpl()).second) unique.push_back(p);
  for (const auto& p : unique) {
    FUFI_CHECK(p.defined() && p.requires_grad() && p.is_leaf(), RuntimeError,
               "overlapped gradient reduction: parameters must be leaf tensors that require grad");
    FUFI_CHECK(p.scalar_type() == torch::kFloat32 && p.device() == unique.front().device(), RuntimeError,
               "overlapped gradient reduction: parameters must be float32 on one device (got {} on {})",
               c10::toString(p.scalar_type()), p.device().str());
  }

  buckets_ = plan_reverse_buckets(unique, bucket_bytes);
  slots_.resize(unique.size());
  state_.resize(buckets_.size());
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    std::int64_t offset = 0;
    for (auto i : buckets_[b]) {
      slots_[i].param = unique[i];
      slots_[i].bucket = b;
      slots_[i].offset = offset;
      offset += unique[i].numel();
    }
    // One persistent buffer per bucket: no allocation per step, and the backend may keep pointers to it.
    state_[b].flat = torch::zeros({offset}, unique.front().options().requires_grad(false));
    state_[b].waiting = buckets_[b].size();
  }
  for (std::size_t i = 0; i < slots_.size(); ++i)
    slots_[i].hook = slots_[i].param.register_hook([this, i](const torch::Tensor& grad) { on_gradient(i, grad); });
}

GradBucketReducer::~GradBucketReducer() {
  for (auto& s : slots_) s.param.remove_hook(s.hook);
  // Buckets still in flight (an exception left a step unfinished) are abandoned by their PendingReduction,
  // which keeps their buffers alive.
}

torch::Tensor GradBucketReducer::view_of(const Slot& s) const {
  return state_[s.bucket].flat.slice(0, s.offset, s.offset + s.param.numel()).view(s.param.sizes());
}

void GradBucketReducer::on_gradient(std::size_t i, const torch::Tensor& grad) {
  if (!grad.defined()) return;  // no contribution: the parameter counts as unused unless another arrives
  torch::NoGradGuard no_grad;
  std::lock_guard<std::mutex> lock(mutex_);
  Slot& s = slots_[i];
  Bucket& b = state_[s.bucket];
  FUFI_CHECK(!b.pending, RuntimeError,
             "overlapped gradient reduction: a gradient of parameter {} arrived after its bucket was reduced "
             "(more than one backward per step? set grad_overlap=false)",
             i);
  if (s.arrived) {
    // A second gradient for the same leaf in this step: sum it in, as `.grad` accumulation would.
    view_of(s).add_(grad);
    return;
  }
  view_of(s).copy_(grad);  // copy_ also converts a channels-last gradient to the buffer's layout
  s.arrived = true;
  if (--b.waiting == 0) launch_ready();
  // MPI progresses non-blocking collectives only inside MPI calls: give the oldest one a chance.
  for (std::size_t k = 0; k < next_launch_; ++k) {
    if (!state_[k].pending->test()) break;
  }
}

void GradBucketReducer::launch_ready() {
  while (next_launch_ < state_.size() && state_[next_launch_].waiting == 0) {
    state_[next_launch_].pending = comm_.start_allreduce_sum(state_[next_launch_].flat);
    if (!in_finish_) ++step_launched_in_backward_;
    ++next_launch_;
  }
}

void GradBucketReducer::finish() {
  torch::NoGradGuard no_grad;
  std::lock_guard<std::mutex> lock(mutex_);
  in_finish_ = true;
  // Parameters without a gradient this step reduce zeros, so every rank launches every bucket, in order.
  std::size_t missing = 0;
  for (auto& s : slots_) {
    if (s.arrived) continue;
    view_of(s).zero_();
    s.arrived = true;
    --state_[s.bucket].waiting;
    ++missing;
  }
  launch_ready();
  for (auto& b : state_) b.pending->wait();
  for (auto& s : slots_) {
    auto sum = view_of(s);
    auto& grad = s.param.mutable_grad();
    if (grad.defined()) {
      grad.copy_(sum);
    } else {
      grad = torch::empty_like(s.param);  // keeps the parameter's memory format, as zero_grad would
      grad.copy_(sum);
    }
  }
  // Ready for the next step.
  for (auto& s : slots_) s.arrived = false;
  for (std::size_t b = 0; b < state_.size(); ++b) {
    state_[b].pending.reset();
    state_[b].waiting = buckets_[b].size();
  }
  next_launch_ = 0;
  in_finish_ = false;
  launched_in_backward_ = step_launched_in_backward_;
  step_launched_in_backward_ = 0;
  missing_ = missing;
}

}  // namespace fufi::worker
