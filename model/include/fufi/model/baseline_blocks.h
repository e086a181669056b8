#pragma once
// Blocks shared by the reference baselines (UrbanFM family, SR baselines, CUFAR/UNO), as the reference
// code builds them (../shared/reference/baselines.md).
#include <torch/torch.h>

#include <cstdint>

#include "fufi/model/layers.h"

namespace fufi::model {

// log2(upscale) × [conv3 c→4c, (BN 4c), PixelShuffle 2, activation]: UrbanFM's "distributional
// upsampling" feature path, also used by the SR baselines. upscale must be a power of two.
struct SubPixelUpsamplerOptions {
  std::int64_t channels = 64;
  std::int64_t upscale = 4;
  bool batch_norm = true;
  bool conv_bias = true;
  double leaky_slope = 0.0;  // 0: ReLU; > 0: LeakyReLU(slope) (SRResNet uses 0.2)
};
class SubPixelUpsamplerImpl : public torch::nn::Module {
 public:
  explicit SubPixelUpsamplerImpl(SubPixelUpsamplerOptions options);
  torch::Tensor forward(torch::Tensor x);

 private:
  SubPixelUpsamplerOptions options_;
  torch::nn::ModuleList stages_;
};
TORCH_MODULE(SubPixelUpsampler);

// conv3-BN-ReLU-conv3-BN + skip (UrbanFM's residual block).
class ResidualBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualBlockImpl(std::int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
};
TORCH_MODULE(ResidualBlock);

// UrbanFM's external-factor subnet: 12-dim embedded ext → Linear(12,hidden) → Dropout → ReLU →
// Linear(hidden, h·w) → ReLU → (B,1,h,w).
struct UrbanExtNetOptions {
  std::int64_t hidden = 128;
  double dropout = 0.3;
  std::int64_t out_h = 32, out_w = 32;
};
class UrbanExtNetImpl : public torch::nn::Module {
 public:
  explicit UrbanExtNetImpl(UrbanExtNetOptions options);
  // ext: raw (B,7) TaxiBJ columns.
  torch::Tensor forward(const torch::Tensor& ext);

 private:
  UrbanExtNetOptions options_;
  ExtEmbedding embedding_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(UrbanExtNet);

// log2(upscale) × [conv3 1→4, BN 4, PixelShuffle 2, ReLU]: UrbanFM's ext2hr (96 parameters at ×4).
class ExtToHighResImpl : public torch::nn::Module {
 public:
  explicit ExtToHighResImpl(std::int64_t upscale);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Sequential body_;
};
TORCH_MODULE(ExtToHighRes);

// UrbanFM/UrbanPy initialisation: conv weights N(0, 0.02), BatchNorm weight N(1, 0.02), bias 0.
void init_urbanfm_weights(torch::nn::Module& module);

// log2 of a power of two; UsageError naming `what` otherwise.
std::int64_t log2_exact(std::int64_t value, const char* what);

}  // namespace fufi::model
