#include "fufi/model/batch_norm.h"

#include <string>

#include "fufi/core/error.h"

namespace fufi::model {

BatchNorm2dImpl::BatchNorm2dImpl(const torch::nn::BatchNormOptions& options) : options(options) { reset(); }

void BatchNorm2dImpl::reset() {
  const auto C = options.num_features();
  // The names, shapes and initial values of torch::nn::BatchNorm2d: checkpoints and initialisers see no difference.
  if (options.affine()) {
    weight = register_parameter("weight", torch::ones({C}));
    bias = register_parameter("bias", torch::zeros({C}));
  } else {
    weight = register_parameter("weight", torch::Tensor(), /*requires_grad=*/false);
    bias = register_parameter("bias", torch::Tensor(), /*requires_grad=*/false);
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", torch::zeros({C}));
    running_var = register_buffer("running_var", torch::ones({C}));
    num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::dtype(torch::kLong)));
  } else {
    running_mean = register_buffer("running_mean", torch::Tensor());
    running_var = register_buffer("running_var", torch::Tensor());
    num_batches_tracked = register_buffer("num_batches_tracked", torch::Tensor());
  }
}

torch::Tensor BatchNorm2dImpl::forward(const torch::Tensor& input) {
  FUFI_CHECK(input.dim() == 4, RuntimeError, "BatchNorm2d: expected a 4-D (N,C,H,W) input, got {} dimensions",
             input.dim());
  if (override_ && is_training()) return override_->forward(*this, input);
  // torch::nn::BatchNormImplBase::forward, step for step.
  double factor = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats() && num_batches_tracked.defined()) {
    num_batches_tracked += 1;
    factor = options.momentum() ? *options.momentum() : 1.0 / num_batches_tracked.item<double>();
  }
  return torch::nn::functional::detail::batch_norm(input, running_mean, running_var, weight, bias,
                                                   is_training() || !options.track_running_stats(), factor,
                                                   options.eps());
}

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "fufi::model::BatchNorm2d(" << options.num_features() << ", eps=" << options.eps()
         << ", momentum=" << (options.momentum() ? std::to_string(*options.momentum()) : std::string("None"))
         << ", affine=" << (options.affine() ? "true" : "false")
         << ", track_running_stats=" << (options.track_running_stats() ? "true" : "false") << ")";
}

}  // namespace fufi::model
