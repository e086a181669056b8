#include "fufi/model/baseline_blocks.h"

#include "fufi/core/error.h"

namespace fufi::model {

namespace nn = torch::nn;

std::int64_t log2_exact(std::int64_t value, const char* what) {
  std::int64_t k = 0;
  while ((std::int64_t{1} << k) < value) ++k;
  FUFI_CHECK(value >= 1 && (std::int64_t{1} << k) == value, UsageError, "{}: upscale {} is not a power of two", what,
             value);
  return k;
}

SubPixelUpsamplerImpl::SubPixelUpsamplerImpl(SubPixelUpsamplerOptions options) : options_(options) {
  const auto steps = log2_exact(options.upscale, "sub-pixel upsampling");
  for (std::int64_t i = 0; i < steps; ++i) {
    nn::Sequential stage;
    stage->push_back(nn::Conv2d(nn::Conv2dOptions(options.channels, options.channels * 4, 3).padding(1).bias(options.conv_bias)));
    if (options.batch_norm) stage->push_back(nn::BatchNorm2d(options.channels * 4));
    stage->push_back(nn::PixelShuffle(2));
    if (options.leaky_slope > 0)
      stage->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(options.leaky_slope).inplace(true)));
    else
      stage->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
    stages_->push_back(stage);
  }
  register_module("stages", stages_);
}

torch::Tensor SubPixelUpsamplerImpl::forward(torch::Tensor x) {
  for (const auto& stage : *stages_) x = stage->as<nn::Sequential>()->forward(x);
  return x;
}

ResidualBlockImpl::ResidualBlockImpl(std::int64_t c) {
  conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1)));
  bn1_ = register_module("bn1", nn::BatchNorm2d(c));
  conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1)));
  bn2_ = register_module("bn2", nn::BatchNorm2d(c));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn1_->forward(conv1_->forward(x)));
  return x + bn2_->forward(conv2_->forward(y));
}

UrbanExtNetImpl::UrbanExtNetImpl(UrbanExtNetOptions options) : options_(options) {
  embedding_ = register_module("embedding", ExtEmbedding());
  fc1_ = register_module("fc1", nn::Linear(embedding_->output_dim(), options.hidden));
  dropout_ = register_module("dropout", nn::Dropout(options.dropout));
  fc2_ = register_module("fc2", nn::Linear(options.hidden, options.out_h * options.out_w));
}

torch::Tensor UrbanExtNetImpl::forward(const torch::Tensor& ext) {
  auto e = embedding_->forward(ext);
  e = torch::relu(dropout_->forward(fc1_->forward(e)));
  e = torch::relu(fc2_->forward(e));
  return e.view({-1, 1, options_.out_h, options_.out_w});
}

ExtToHighResImpl::ExtToHighResImpl(std::int64_t upscale) {
  const auto steps = log2_exact(upscale, "ext2hr");
  for (std::int64_t i = 0; i < steps; ++i) {
    body_->push_back(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)));
    body_->push_back(nn::BatchNorm2d(4));
    body_->push_back(nn::PixelShuffle(2));
    body_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
  }
  register_module("body", body_);
}

torch::Tensor ExtToHighResImpl::forward(torch::Tensor x) { return body_->forward(x); }

void init_urbanfm_weights(nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/true)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      conv->weight.normal_(0.0, 0.02);
    } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
      bn->weight.normal_(1.0, 0.02);
      bn->bias.zero_();
    }
  }
}

}  // namespace fufi::model
