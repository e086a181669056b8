#pragma once
// Gradient all-reduce overlapped with backward, as PyTorch DDP does it: every parameter gets a gradient
// hook that copies its gradient into its bucket's flat buffer; a bucket whose gradients are all in is
// all-reduced at once (Communicator::start_allreduce_sum) while backward computes the earlier layers' gradients.
//
// Buckets are planned in reverse parameter order (backward produces the last layers' gradients first) and
// launched strictly in bucket order on every rank, so the collectives match across ranks whatever order
// the gradients arrive in: a bucket ready early waits for its predecessors. finish() zero-fills the
// gradients that never arrived (unused parameters, or a rank without samples in this step that ran no
// backward at all), launches what is left, waits, and writes the sums into `.grad`.
#include <torch/torch.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "fufi/worker/communicator.h"

namespace fufi::worker {

// Indices into `params`, last parameter first, grouped into buckets of at most `bucket_bytes` (a tensor
// larger than that is its own bucket).
std::vector<std::vector<std::size_t>> plan_reverse_buckets(const std::vector<torch::Tensor>& params,
                                                           std::size_t bucket_bytes);

class GradBucketReducer {
 public:
  // `params`: float32 leaf tensors that require grad, all on one device (duplicates are reduced once).
  // Registers one hook per parameter; the communicator must outlive this object.
  GradBucketReducer(const std::vector<torch::Tensor>& params, Communicator& comm, std::size_t bucket_bytes);
  ~GradBucketReducer();  // removes the hooks
  GradBucketReducer(const GradBucketReducer&) = delete;
  GradBucketReducer& operator=(const GradBucketReducer&) = delete;

  // After backward (or instead of it, on a rank without samples): every bucket reduced, every parameter's
  // `.grad` set to the sum over ranks of its gradient (zeros where a rank had none); ready for the next
  // step. Call it on every rank before any other collective of the communicator.
  void finish();

  // Planned buckets as indices into the (deduplicated) parameter list, in launch order.
  const std::vector<std::vector<std::size_t>>& buckets() const { return buckets_; }
  // Of the last finished step: buckets launched from a hook, i.e. while backward was still running.
  std::size_t launched_in_backward() const { return launched_in_backward_; }
  // Of the last finished step: parameters whose gradient never arrived (reduced as zeros).
  std::size_t missing_gradients() const { return missing_; }

 private:
  struct Slot {
    torch::Tensor param;
    std::size_t bucket = 0;
    std::int64_t offset = 0;
    bool arrived = false;
    unsigned hook = 0;
  };
  struct Bucket {
    torch::Tensor flat;
    std::size_t waiting = 0;  // gradients not yet in this step
    std::unique_ptr<PendingReduction> pending;
  };
  void on_gradient(std::size_t slot, const torch::Tensor& grad);
  void launch_ready();  // launches buckets in order while the next one is complete; mutex held
  torch::Tensor view_of(const Slot& s) const;

  Communicator& comm_;
  std::vector<Slot> slots_;
  std::vector<std::vector<std::size_t>> buckets_;
  std::vector<Bucket> state_;
  std::size_t next_launch_ = 0;
  bool in_finish_ = false;
  std::size_t launched_in_backward_ = 0, step_launched_in_backward_ = 0, missing_ = 0;
  std::mutex mutex_;  // hooks may run on autograd's device threads
};

}  // namespace fufi::worker
