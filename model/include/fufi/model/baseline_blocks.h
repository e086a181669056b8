#pragma once
// Blocks shared by the reference baselines (UrbanFM family, SR baselines, CUFAR/UNO), as the reference
// code builds them (../shared/reference/baselines.md).
//
// Some pieces below are not modules but groups of modules registered on the owning model
// (UrbanInput, UrbanFMTrunk, HourExtMaps): the references keep these layers flat in the model, so the
// parameter names (the checkpoint keys) stay the reference's, and they are built in the reference's
// order, which fixes the initial values drawn for a seed.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

#include "fufi/model/layers.h"
#include "fufi/model/model.h"

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
  BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
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

// seq(x), or x itself when `seq` holds no module (e.g. residual_blocks=0): LibTorch's Sequential refuses
// an empty forward.
inline torch::Tensor forward_or_identity(torch::nn::Sequential& seq, const torch::Tensor& x) {
  return seq->is_empty() ? x : seq->forward(x);
}

// The output end every density-based baseline shares: N2 (or, with `smoothed`, the opt-in safe_n2
// version) of the raw (B,C,H,W) map with `eps`, then distributional recovery from the coarse input.
ModelOutput n2_recovered_output(const torch::Tensor& raw, const torch::Tensor& coarse, const DataSpec& spec,
                                double eps, bool smoothed = false);

// --- UrbanFM family (urbanfm, deeplgr, urbanpy, fode, urbanode) -----------------------------------

// The input end of every UrbanFM-family model: the ext subnet `ext_net` (raw ext -> one coarse map),
// its ext2hr `ext_to_fine`, and the 9×9 `stem` conv over [flow, ext map] (no activation: the ODE
// models use it raw). Without ext only the stem exists and reads the flow channels alone.
struct UrbanInputOptions {
  std::int64_t features = 128;  // the stem's output channels
  bool use_ext = true;
  UrbanExtNetOptions ext_net;    // out_h/out_w are taken from the DataSpec
  std::int64_t ext_upscale = 4;  // ext2hr's factor (UrbanPy: 2, one ×2 step shared by its cascade)
};
class UrbanInput {
 public:
  UrbanInput() = default;
  UrbanInput(torch::nn::Module& owner, const DataSpec& spec, UrbanInputOptions options);
  bool uses_ext() const { return use_ext_; }
  // ext_net(ext): (B,1,h,w).
  torch::Tensor ext_map(const torch::Tensor& ext);
  // stem(cat(coarse, ext_map)); ext_map is ignored (may be undefined) without ext.
  torch::Tensor stem(const torch::Tensor& coarse, const torch::Tensor& ext_map);
  // ext_to_fine(ext_map): the ext map at the next resolution.
  torch::Tensor ext_to_fine(const torch::Tensor& ext_map);
  // cat(x, ext_to_fine(ext_map)) with ext, x without: UrbanFM's and DeepLGR's head input.
  torch::Tensor with_fine_ext(const torch::Tensor& x, const torch::Tensor& ext_map);

 private:
  bool use_ext_ = false;
  UrbanExtNet ext_net_{nullptr};
  ExtToHighRes ext_to_fine_{nullptr};
  torch::nn::Conv2d stem_{nullptr};
};

// UrbanFM's trunk, which DeepLGR reuses with its own residual blocks: UrbanInput (ext subnet: hidden
// 128, dropout 0.3), then ReLU(stem) -> `body` (blocks) -> conv3 `body_conv` + `body_bn` + the stem as a
// skip -> `upsampler` (sub-pixel, BN, ReLU) to the fine grid.
class UrbanFMTrunk {
 public:
  UrbanFMTrunk() = default;
  // make_block() builds one residual block of `features` channels; called `blocks` times.
  UrbanFMTrunk(torch::nn::Module& owner, const DataSpec& spec, std::int64_t features, bool use_ext,
               std::int64_t blocks, const std::function<torch::nn::AnyModule()>& make_block);
  UrbanInput& input() { return input_; }
  // Fine-resolution features (B, features, H, W); `ext_map` receives the coarse ext map (undefined
  // without ext) for the head's ext2hr channel.
  torch::Tensor forward(const ModelInput& input, torch::Tensor& ext_map);

 private:
  UrbanInput input_;
  torch::nn::Sequential body_{nullptr};
  torch::nn::Conv2d body_conv_{nullptr};
  BatchNorm2d body_bn_{nullptr};
  SubPixelUpsampler upsampler_{nullptr};
};

// --- CUFAR and UNO (UNO builds on CUFAR's code) -----------------------------------------------------

// CUFAR's mini_model, which UNO reuses without the PixelShuffle: conv k (in→mid, groups) → ReLU →
// conv3 (mid→out·s², groups) → ReLU [→ PixelShuffle s → ReLU] → BatchNorm(out) → Dropout 0.3.
struct CufarMiniModelOptions {
  std::int64_t in = 1, mid = 128, out = 128;
  std::int64_t kernel = 3, groups = 1;
  std::int64_t shuffle = 0;  // s; 0: no PixelShuffle (UNO)
};
class CufarMiniModelImpl : public torch::nn::Module {
 public:
  explicit CufarMiniModelImpl(CufarMiniModelOptions options);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::PixelShuffle shuffle_{nullptr};
  BatchNorm2d bn_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(CufarMiniModel);

// CUFAR's and UNO's external inputs: an ext map and a time map (hour embedding) for every region of the
// local branch and for the global branch. Registers `time_emb_region`, `time_emb_global`, `embed_ext`,
// `ext2lr`, `ext2lr_global` (Linear(12,64) → Dropout 0.3 → ReLU → Linear(64,cells) → ReLU) on the owner.
class HourExtMaps {
 public:
  HourExtMaps() = default;
  HourExtMaps(torch::nn::Module& owner, std::int64_t hour_slots, std::int64_t region_cells, std::int64_t global_cells,
              ExtEmbeddingOptions embedding = {});
  // regions (B,R,C,rh,rw) gets the region ext and time maps as 2 more channels (the same for every
  // region), global_in (B,C,H,W) the global ones. slots: hour_slot_indices(ext, ...).
  void append(torch::Tensor& regions, torch::Tensor& global_in, const torch::Tensor& ext, const torch::Tensor& slots);

 private:
  torch::nn::Embedding time_region_{nullptr}, time_global_{nullptr};
  ExtEmbedding embedding_{nullptr};
  torch::nn::Sequential ext_region_{nullptr}, ext_global_{nullptr};
};

// hour − spec.hour_offset for each sample (int64, on ext's device); RuntimeError naming `model` when a
// sample's hour has no hour-specific head.
torch::Tensor hour_slot_indices(const torch::Tensor& ext, const DataSpec& spec, const std::string& model);

// heads[slot_b](features_b) for each sample b (Conv2d heads), as the references' per-sample loop.
torch::Tensor apply_hour_heads(const torch::nn::ModuleList& heads, const torch::Tensor& features,
                               const torch::Tensor& slots);

}  // namespace fufi::model
