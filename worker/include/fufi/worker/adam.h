#pragma once
// Adam's update (Kingma & Ba; the paper's optimiser, §Experiments) in the three implementations PyTorch
// names in torch.optim.Adam's `foreach`/`fused` arguments, all on the state of one torch::optim::Adam, so
// that checkpoints, resume and the learning-rate schedule do not care which one ran:
//   for_loop  LibTorch's own Adam::step(): about six kernels per parameter tensor;
//   foreach   the same arithmetic, in the same order, on all parameters at once through ATen's
//             multi-tensor `_foreach_*` kernels (a few launches per step on CUDA). On the CPU ATen runs
//             the foreach ops tensor by tensor, so the result is bitwise the for_loop one;
//   fused     ATen's single fused CUDA kernel (`_fused_adam_`, PyTorch >= 2.0, CUDA only).
// Parameters without a gradient are skipped, as LibTorch's Adam skips them. amsgrad is not supported
// (fufi's recipes never set it).
#include <torch/torch.h>

#include <map>
#include <string>

namespace fufi::worker {

enum class AdamImpl { ForLoop, Foreach, Fused };

// "for_loop" | "foreach" | "fused"; UsageError naming `key` otherwise.
AdamImpl parse_adam_impl(const std::string& text, const std::string& key = "adam_impl");
const char* to_string(AdamImpl impl);

class AdamStepper {
 public:
  explicit AdamStepper(AdamImpl impl) : impl_(impl) {}
  // One update of every parameter of `optimizer` that has a gradient. UsageError for `fused` on the CPU
  // or on a LibTorch older than 2.0.
  void step(torch::optim::Adam& optimizer);
  AdamImpl impl() const { return impl_; }

 private:
  void foreach_step(torch::optim::Adam& optimizer);
  void fused_step(torch::optim::Adam& optimizer);
  AdamImpl impl_;
  // fused: the step counts as device tensors (the kernel reads them there), mirrored in the optimizer's
  // own integer step so that a checkpoint holds the same state whichever implementation ran.
  // The host copy of each count says when the device tensor is stale without reading it back (no sync).
  struct DeviceStep {
    torch::Tensor count;       // 0-dim float32 on the parameter's device
    std::int64_t host = -1;    // its value
  };
  std::map<const void*, DeviceStep> device_steps_;
};

}  // namespace fufi::worker
