#pragma once
// PLGF: Progressive Local-Global Fusion (Zhu et al., AAAI 2026, Section 4), rebuilt from the paper text.
// The official code is not available; every choice the text leaves open is listed in docs/MODELS.md.
//
//   coarse ─ conv3 ─ F0 ─ PUB_1 ─ … ─ PUB_S ─ conv3 → ReLU → N2 ⊙ upsample(coarse)      S = log2(N)
//   ext ─ Environment Context Embedding ─ e_cond ──┘ (FiLM and Context-Gated Attention of every PUB)
//   PUB = FiLM → Local-Global Fusion (RDB ‖ EnhancedFPN → 1×1) → Context-Gated Attention → conv3 → PixelShuffle×2
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "fufi/core/config.h"
#include "fufi/model/model.h"
#include "fufi/model/registry.h"

namespace fufi::model {

struct PlgfOptions {
  std::int64_t channels = 128;    // feature width C of every stage (paper: "base channels" 128)
  std::int64_t depth = 4;         // dense layers per Residual Dense Block (paper: "num layers" 4)
  std::int64_t growth = 32;       // RDB growth rate (paper: 32)
  std::int64_t cond_dim = 0;      // d of e_cond and of the context tokens; 0 = channels
  std::int64_t heads = 4;         // attention heads of both multi-head attentions
  std::int64_t fpn_scales = 4;    // EnhancedFPN pyramid levels (paper: "num scales" 4)
  double residual_scale = 0.1;    // initial value of the RDB's learnable α (paper: 0.1)
  double rdb_dropout = 0.0;       // Dropout2d after each dense layer (paper: none mentioned)
  double n2_eps = 1e-7;           // eps of the N2 normalisation (layers.h, N2Variant)
  bool film = true;               // ablation "wo/ FiLM"
  bool local_global = true;       // ablation "wo/ Local-Global Fusion"
  bool context_gate = true;       // ablation "wo/ Context-Gated Attention"
  // Additions beyond the paper's text, each switchable (docs/FIDELITY.md measures them):
  bool rdb_fusion_norm = true;    // GroupNorm after the RDB's 1×1 fusion conv (the unofficial WaveRec code)
  bool fpn_norm = true;           // BatchNorm after each EnhancedFPN level's conv3 (WaveRec); off: conv3 with bias
  bool smoothed_n2 = true;        // N2 = (raw + eps/N²)/(block sum + eps); off: UrbanFM's raw/(block sum + eps)

  std::int64_t resolved_cond_dim() const { return cond_dim > 0 ? cond_dim : channels; }
};

// Reads the registry keys (see register_plgf_models) into options; UsageError on invalid values.
PlgfOptions plgf_options_from_config(const Config& config);

// Efficient Channel Attention (Wang et al. 2020): GAP → Conv1d(k) across channels → sigmoid → scale.
// k = the odd number nearest above |(log2 C + 1)/2| (k = 5 at C = 128, 3 at C = 64).
std::int64_t eca_kernel_size(std::int64_t channels);
class EcaImpl : public torch::nn::Module {
 public:
  explicit EcaImpl(std::int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv1d conv_{nullptr};
};
TORCH_MODULE(Eca);

// Residual Dense Block, Eqs. 6-7: x_l = GELU(GN(conv3([x_0 ⊕ … ⊕ x_{l-1}]))), then
// x_0 + α·ECA(GN(conv1×1([x_0 ⊕ … ⊕ x_depth]))) with α learnable.
class ResidualDenseBlockImpl : public torch::nn::Module {
 public:
  ResidualDenseBlockImpl(std::int64_t channels, std::int64_t growth, std::int64_t depth, double residual_scale,
                         double dropout, bool fusion_norm = true);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::ModuleList layers_;
  torch::nn::Conv2d fusion_{nullptr};
  torch::nn::GroupNorm fusion_norm_{nullptr};
  Eca eca_{nullptr};
  torch::Tensor alpha_;
};
TORCH_MODULE(ResidualDenseBlock);

// Channel (GAP → 1×1 C→C/8 → ReLU → 1×1 → σ) and spatial (7×7 C→1 → σ) attention in parallel,
// mixed by learnable weights: (σ(a)·channel + σ(b)·spatial) / (σ(a) + σ(b)).
class DualAttentionImpl : public torch::nn::Module {
 public:
  explicit DualAttentionImpl(std::int64_t channels, std::int64_t reduction = 8);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d squeeze_{nullptr}, excite_{nullptr}, spatial_{nullptr};
  torch::Tensor channel_logit_, spatial_logit_;
};
TORCH_MODULE(DualAttention);

// EnhancedFPN, Eq. 8: levels p_i = AdaptiveAvgPool(x, size/2^i), lateral 1×1, top-down bilinear
// addition, per level conv3 + BN + ReLU + DualAttention, resized to the input size and summed with
// weights σ(β_i).
class EnhancedFpnImpl : public torch::nn::Module {
 public:
  EnhancedFpnImpl(std::int64_t channels, std::int64_t scales, bool level_norm = true);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  std::int64_t scales_;
  torch::nn::ModuleList laterals_, smooths_, attentions_;
  torch::Tensor level_logits_;
};
TORCH_MODULE(EnhancedFpn);

// Local-Global Fusion block: conv1×1(RDB(x) ⊕ EnhancedFPN(x)).
class LocalGlobalFusionImpl : public torch::nn::Module {
 public:
  explicit LocalGlobalFusionImpl(const PlgfOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ResidualDenseBlock local_{nullptr};
  EnhancedFpn global_{nullptr};
  torch::nn::Conv2d fuse_{nullptr};
};
TORCH_MODULE(LocalGlobalFusion);

// Environment Context Embedding, Eq. 2: day / hour / weather embeddings and an MLP of the four
// continuous columns give four d-dim tokens → multi-head self-attention → mean over tokens → Linear.
class EnvironmentContextEmbeddingImpl : public torch::nn::Module {
 public:
  EnvironmentContextEmbeddingImpl(std::int64_t dim, std::int64_t heads);
  torch::Tensor forward(const torch::Tensor& ext);  // (B,7) raw TaxiBJ columns → (B,d)

 private:
  torch::nn::Embedding day_{nullptr}, hour_{nullptr}, weather_{nullptr};
  torch::nn::Sequential continuous_;
  torch::nn::MultiheadAttention attention_{nullptr};
  torch::nn::Linear project_{nullptr};
};
TORCH_MODULE(EnvironmentContextEmbedding);

// FiLM, Eqs. 4-5: (1 + γ(e)) ⊙ F + β(e), γ and β channel-wise linear projections of e_cond.
class FilmImpl : public torch::nn::Module {
 public:
  FilmImpl(std::int64_t cond_dim, std::int64_t channels);
  torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& cond);

 private:
  torch::nn::Linear gamma_{nullptr}, beta_{nullptr};
};
TORCH_MODULE(Film);

// Context-Gated Attention, Eq. 9: v = MHA(query = e_cond, keys = values = the fused map's cells),
// then γ, β = Linear(v) and h ⊙ γ + β. The γ projection's bias starts at 1 so that the block starts
// close to the identity instead of multiplying the features by ~0.
class ContextGatedAttentionImpl : public torch::nn::Module {
 public:
  ContextGatedAttentionImpl(std::int64_t cond_dim, std::int64_t channels, std::int64_t heads);
  torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& query);  // query (B,d)

 private:
  torch::nn::MultiheadAttention attention_{nullptr};
  torch::nn::Linear gamma_{nullptr}, beta_{nullptr};
};
TORCH_MODULE(ContextGatedAttention);

// Progressive Upscaling Block, Eq. 3: FiLM → Local-Global Fusion → Context-Gated Attention →
// conv3 C→4C → PixelShuffle(2). Components switched off by the ablation keys are not built at all.
class ProgressiveUpscalingBlockImpl : public torch::nn::Module {
 public:
  ProgressiveUpscalingBlockImpl(const PlgfOptions& options, bool has_cond);
  // `cond`: e_cond (B,d), or undefined without ext; `gate_query`: what Context-Gated Attention
  // attends with (e_cond, or the learned query without ext).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cond, const torch::Tensor& gate_query);

 private:
  Film film_{nullptr};
  LocalGlobalFusion fusion_{nullptr};
  ContextGatedAttention gate_{nullptr};
  torch::nn::Conv2d expand_{nullptr};
  torch::nn::PixelShuffle shuffle_{nullptr};
};
TORCH_MODULE(ProgressiveUpscalingBlock);

class PlgfModel : public FufiModel {
 public:
  PlgfModel(const DataSpec& spec, const PlgfOptions& options);
  ModelOutput forward(const ModelInput& input) override;

  const PlgfOptions& options() const { return options_; }
  // e_cond exists: ext is present and FiLM or Context-Gated Attention uses it.
  bool has_context_embedding() const { return !context_.is_empty(); }

 private:
  DataSpec spec_;
  PlgfOptions options_;
  torch::nn::Conv2d stem_{nullptr}, head_{nullptr};
  EnvironmentContextEmbedding context_{nullptr};
  // Without ext, Context-Gated Attention attends with this learned query instead of e_cond.
  torch::Tensor gate_query_;
  torch::nn::ModuleList blocks_;
};

}  // namespace fufi::model
