#pragma once
// One optimisation step of a data-parallel group: forward, loss, backward, the gradient all-reduce, optional
// clipping and Adam. The engine trains with it and `fufi bench train` times it, so the benchmark measures
// what training runs (docs/PERFORMANCE.md).
//
// Nothing in a step waits for the device: the loss comes back as a device tensor, and divergence is judged
// by the caller once per epoch (one copy of the per-step losses). Under `cuda_graph`, forward, loss and
// backward of full-size batches are captured once as a CUDA graph (after `graph_warmup_steps` eager steps on
// a side stream, as CUDA graph capture requires) and replayed, with the inputs copied into static buffers;
// batches of another shape (an epoch's short last batch) run eagerly on the same parameters and gradients.
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fufi/model/losses.h"
#include "fufi/model/model.h"
#include "fufi/worker/adam.h"
#include "fufi/worker/communicator.h"
#include "fufi/worker/train_config.h"

namespace fufi::worker {

class GradBucketReducer;

struct StepOptions {
  bool bf16 = false;             // CUDA: bf16 autocast around forward and loss; fp32 master weights
  AdamImpl adam = AdamImpl::ForLoop;
  double grad_clip = 0;          // max global L2 norm; 0: off (on: one host sync per step)
  bool grad_overlap = true;      // several ranks: all-reduce gradient buckets from backward's hooks
  double grad_bucket_mb = 4;     // MiB per gradient bucket of the overlapped all-reduce
  bool cuda_graph = false;       // CUDA only; several ranks need grad_overlap=false
  int graph_warmup_steps = 3;    // eager steps before the capture
};

// The step options a job's resolved training settings ask for.
StepOptions step_options_from(const TrainConfig& config);

// This rank's share of the step's global batch, on the model's device. An empty share (a rank without
// samples in an epoch's short last batch) leaves X undefined.
struct StepInput {
  torch::Tensor X;    // (b, C, h, w) scaled coarse maps
  torch::Tensor Y;    // (b, C, H, W) scaled fine maps
  torch::Tensor ext;  // (b, 7) raw ext encoding, or undefined
  // A rank without samples in this step under SyncBatchNorm: X, Y and ext hold one sample of the batch that
  // only carries the rank through forward and backward, so that its BatchNorm layers join the group's
  // collectives (sync_batch_norm.h). It weighs 0: the rank's loss is 0 and its gradients are zeros.
  bool stand_in = false;
};

class TrainingStep {
 public:
  // `loss` null: the model's own objective (loss=model). The optimizer's parameters are what is trained
  // and all-reduced; all of them must live on one device. Throws UsageError for cuda_graph on the CPU, or
  // with several ranks and grad_overlap.
  TrainingStep(model::FufiModel& model, std::shared_ptr<model::Loss> loss, torch::optim::Adam& optimizer,
               Communicator& comm, const StepOptions& options);
  ~TrainingStep();
  TrainingStep(const TrainingStep&) = delete;
  TrainingStep& operator=(const TrainingStep&) = delete;

  // One step. `global_n` samples in the group's batch, `input.X.size(0)` of them on this rank; every rank
  // calls run() for every step (collectives). Returns this rank's mean loss over its share (0-dim float32 on
  // the device, 0 for an empty share), detached, without waiting for the device.
  torch::Tensor run(const StepInput& input, std::int64_t global_n);

  std::size_t gradient_buckets() const;  // 0 unless the overlapped all-reduce is on
  // "off", "warming up", "replaying", or "eager: <why the capture was not used>"
  std::string graph_status() const;

 private:
  torch::Tensor forward_loss(const StepInput& input, bool autocast_cache);
  torch::Tensor forward_backward(const StepInput& input, double weight, bool autocast_cache);
  torch::Tensor graph_step(const StepInput& input, double weight);
  void zero_gradients();
  void reduce_gradients();

  model::FufiModel& model_;
  std::shared_ptr<model::Loss> loss_;
  torch::optim::Adam& optimizer_;
  Communicator& comm_;
  StepOptions options_;
  AdamStepper adam_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<GradBucketReducer> overlap_;
  struct Graph;  // CUDA graph state; defined only in CUDA builds
  std::unique_ptr<Graph> graph_;
  std::int64_t eager_full_steps_ = 0;
  std::string graph_note_;
};

}  // namespace fufi::worker
