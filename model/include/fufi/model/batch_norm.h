#pragma once
// fufi's BatchNorm2d: torch's BatchNorm2d (same parameters, buffers, state-dict names, numbers) whose
// training-mode forward can be handed to an override.
//
// Every model builds its BatchNorm layers from this class (UrbanFM family, UNO, CUFAR, PLGF's EnhancedFPN), so
// that the worker can make a data-parallel job normalise over the whole group's batch (SyncBatchNorm,
// fufi/worker/sync_batch_norm.h) while model/ knows nothing of ranks. It is its own module rather than a subclass
// of torch::nn::BatchNorm2dImpl: LibTorch 1.13 does not export the base template's pretty_print, which a
// subclass's construction vtables need.
#include <torch/torch.h>

#include <memory>
#include <ostream>

namespace fufi::model {

class BatchNorm2dImpl;

// A training-mode BatchNorm forward computed elsewhere. It must return what torch's BatchNorm2d returns for
// `input` (N,C,H,W) in training mode and update the layer's running_mean, running_var and num_batches_tracked
// as torch does (momentum, or the cumulative average when momentum is unset).
class BatchNormOverride {
 public:
  virtual ~BatchNormOverride() = default;
  virtual torch::Tensor forward(BatchNorm2dImpl& layer, const torch::Tensor& input) = 0;
};

class BatchNorm2dImpl : public torch::nn::Cloneable<BatchNorm2dImpl> {
 public:
  // `options` converts from the channel count: BatchNorm2d(64).
  explicit BatchNorm2dImpl(const torch::nn::BatchNormOptions& options);

  // (N,C,H,W) -> (N,C,H,W). Training mode with an override: the override's forward; otherwise exactly
  // torch::nn::BatchNorm2d's forward.
  torch::Tensor forward(const torch::Tensor& input);

  // Null removes it. Shared: one override serves every layer of a model.
  void set_override(std::shared_ptr<BatchNormOverride> override_forward) { override_ = std::move(override_forward); }
  bool overridden() const { return static_cast<bool>(override_); }

  // Registers weight and bias (affine) and running_mean, running_var, num_batches_tracked (tracking), as torch.
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  torch::nn::BatchNormOptions options;
  torch::Tensor weight, bias;                                   // (C): ones and zeros; undefined without affine
  torch::Tensor running_mean, running_var, num_batches_tracked;  // (C), (C), () int64; undefined without tracking

 private:
  std::shared_ptr<BatchNormOverride> override_;
};
TORCH_MODULE(BatchNorm2d);

}  // namespace fufi::model
