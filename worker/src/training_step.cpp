#include "fufi/worker/training_step.h"

#include "fufi/core/build_info.h"
#include "fufi/core/error.h"
#include "fufi/worker/device.h"
#include "fufi/worker/failure.h"
#include "fufi/worker/grad_bucket_reducer.h"

#if FUFI_CUDA_ENABLED
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#endif

namespace fufi::worker {

struct TrainingStep::Graph {
#if FUFI_CUDA_ENABLED
  explicit Graph(c10::DeviceIndex device) : stream(c10::cuda::getStreamFromPool(false, device)) {}
  c10::cuda::CUDAStream stream;  // warm-up and capture run here: capture needs a non-default stream
  std::unique_ptr<at::cuda::CUDAGraph> graph;
  std::vector<std::int64_t> shape;  // X's shape of a full batch: only such batches replay
  double weight = 1.0;              // this rank's share of the global batch, baked into the graph
  torch::Tensor X, Y, ext, loss;    // static inputs and output of the captured step
  bool captured = false;
  bool failed = false;
#endif
};

namespace {

// Used by the CUDA-graph path only (a CPU build has no graphs).
[[maybe_unused]] std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

StepOptions step_options_from(const TrainConfig& cfg) {
  StepOptions o;
  o.bf16 = cfg.bf16;
  o.adam = parse_adam_impl(cfg.adam_impl);
  o.grad_clip = cfg.grad_clip;
  o.grad_overlap = cfg.grad_overlap;
  o.grad_bucket_mb = cfg.grad_bucket_mb;
  o.cuda_graph = cfg.cuda_graph;
  return o;
}

TrainingStep::TrainingStep(model::FufiModel& model, std::shared_ptr<model::Loss> loss, torch::optim::Adam& optimizer,
                           Communicator& comm, const StepOptions& options)
    : model_(model), loss_(std::move(loss)), optimizer_(optimizer), comm_(comm), options_(options),
      adam_(options.adam) {
  for (auto& group : optimizer_.param_groups())
    for (auto& p : group.params()) params_.push_back(p);
  FUFI_CHECK(!params_.empty(), RuntimeError, "training step: the optimizer holds no parameters");
  const torch::Device device = params_.front().device();
  if (options_.cuda_graph) {
    FUFI_CHECK(device.is_cuda(), UsageError, "key 'cuda_graph': CUDA graphs need device=cuda");
    FUFI_CHECK(comm_.size() == 1 || !options_.grad_overlap, UsageError,
               "key 'cuda_graph': with {} ranks it needs grad_overlap=false (the overlapped all-reduce runs from "
               "backward's hooks, which a graph replay does not call)",
               comm_.size());
#if FUFI_CUDA_ENABLED
    graph_ = std::make_unique<Graph>(device.index());
#endif
  }
  if (comm_.size() > 1 && options_.grad_overlap)
    overlap_ = std::make_unique<GradBucketReducer>(
        params_, comm_, static_cast<std::size_t>(options_.grad_bucket_mb * 1024.0 * 1024.0));
}

TrainingStep::~TrainingStep() = default;

std::size_t TrainingStep::gradient_buckets() const { return overlap_ ? overlap_->buckets().size() : 0; }

std::string TrainingStep::graph_status() const {
  if (!options_.cuda_graph) return "off";
  if (!graph_note_.empty()) return "eager: " + graph_note_;
#if FUFI_CUDA_ENABLED
  if (graph_ && graph_->captured) return "replaying";
#endif
  return "warming up";
}

// In place, as LibTorch 1.13's Optimizer::zero_grad does (2.x would set them to undefined): the gradient
// tensors stay the same objects, which CUDA graph replay and the overlapped all-reduce rely on, and a
// parameter that got a gradient once keeps taking Adam steps on every later step, on every LibTorch.
void TrainingStep::zero_gradients() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

torch::Tensor TrainingStep::forward_loss(const StepInput& input, bool autocast_cache) {
  AutocastScope autocast(options_.bf16, autocast_cache);
  auto out = model_.forward({input.X, input.ext});
  return loss_ ? loss_->forward(out.fine.to(torch::kFloat32), input.Y) : model_.model_loss(out, input.Y);
}

torch::Tensor TrainingStep::forward_backward(const StepInput& input, double weight, bool autocast_cache) {
  auto loss = forward_loss(input, autocast_cache);
  // Each rank's mean is weighted by its share of the global batch; summing the gradients across ranks then
  // gives exactly the gradient of the global batch's mean.
  (loss * weight).backward();
  return loss.detach();
}

torch::Tensor TrainingStep::graph_step(const StepInput& input, double weight) {
#if FUFI_CUDA_ENABLED
  Graph& g = *graph_;
  if (g.shape.empty()) {
    g.shape = input.X.sizes().vec();
    g.weight = weight;
  }
  const bool full = input.X.sizes().vec() == g.shape && weight == g.weight;
  if (g.failed || !full) {
    zero_gradients();
    return forward_backward(input, weight, true);
  }
  const torch::Device device = input.X.device();
  if (!g.captured && eager_full_steps_ < options_.graph_warmup_steps) {
    // Warm-up on the side stream: lazily created handles and workspaces exist before the capture.
    synchronize(device);
    torch::Tensor loss;
    {
      c10::cuda::CUDAStreamGuard guard(g.stream);
      zero_gradients();
      loss = forward_backward(input, weight, true);
    }
    synchronize(device);
    ++eager_full_steps_;
    return loss;
  }
  if (!g.captured) {
    g.X = input.X.clone();
    g.Y = input.Y.clone();
    if (input.ext.defined()) g.ext = input.ext.clone();
    synchronize(device);
    try {
      c10::cuda::CUDAStreamGuard guard(g.stream);
      g.graph = std::make_unique<at::cuda::CUDAGraph>();
      g.graph->capture_begin();
      try {
        zero_gradients();
        g.loss = forward_backward({g.X, g.Y, g.ext}, g.weight, /*autocast_cache=*/false);
      } catch (...) {
        try {
          g.graph->capture_end();  // closes the invalidated capture; its own error is the less useful one
        } catch (...) {
        }
        throw;
      }
      g.graph->capture_end();
      g.captured = true;
    } catch (const std::exception& e) {
      // A model that reads device values on the host during its step (e.g. an index check with .cpu())
      // cannot be captured: train it eagerly and say why.
      g.failed = true;
      g.graph.reset();
      (void)cudaGetLastError();
      graph_note_ = first_line(e.what());
      synchronize(device);
      zero_gradients();
      return forward_backward(input, weight, true);
    }
    synchronize(device);
  } else {
    g.X.copy_(input.X);
    g.Y.copy_(input.Y);
    if (input.ext.defined()) g.ext.copy_(input.ext);
  }
  g.graph->replay();
  return g.loss.clone();  // the static output is overwritten by the next replay
#else
  (void)input;
  (void)weight;
  FUFI_THROW(UsageError, "key 'cuda_graph': this fufi was built without CUDA");
#endif
}

void TrainingStep::reduce_gradients() {
  if (overlap_) {
    // Before any other collective: a rank without samples this step (no backward) launches its buckets
    // here, so every rank issues the same collectives in the same order.
    overlap_->finish();
  } else if (comm_.size() > 1) {
    std::vector<torch::Tensor> grads;
    for (auto& p : params_) {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      grads.push_back(p.grad());
    }
    comm_.allreduce_sum(grads);
  }
}

torch::Tensor TrainingStep::run(const StepInput& input, std::int64_t global_n) {
  const std::int64_t local_n = input.X.defined() && !input.stand_in ? input.X.size(0) : 0;
  FUFI_CHECK(global_n > 0 && local_n <= global_n, RuntimeError, "training step: {} local of {} global samples",
             local_n, global_n);
  const double weight = static_cast<double>(local_n) / static_cast<double>(global_n);
  torch::Tensor loss;
  if (graph_) {
    // A replay has no host-side checks that could fail on one rank only.
    FUFI_CHECK(!input.stand_in, UsageError,
               "key 'cuda_graph': a captured step cannot join SyncBatchNorm's collectives; set sync_batchnorm=off");
    loss = local_n > 0 ? graph_step(input, weight) : torch::Tensor();
  } else {
    zero_gradients();
    // The forward pass is where a model rejects its share of the data: the ranks agree on it before
    // backward, whose gradient hooks start collectives a failed rank would never join.
    torch::Tensor local_loss;
    run_agreed(comm_, [&] {
      if (local_n > 0 || input.stand_in) local_loss = forward_loss(input, true);
    });
    if (local_loss.defined()) {
      (local_loss * weight).backward();  // weight 0 for a stand-in: zero gradients, and its collectives
      if (!input.stand_in) loss = local_loss.detach();
    }
  }
  if (!loss.defined()) {  // no samples on this rank: no gradient of its own, only the others' sums
    if (graph_) zero_gradients();
    loss = torch::zeros({}, params_.front().options().requires_grad(false));
  }
  reduce_gradients();
  if (options_.grad_clip > 0) torch::nn::utils::clip_grad_norm_(params_, options_.grad_clip);
  adam_.step(optimizer_);
  return loss;
}

}  // namespace fufi::worker
