// PLGF: the model, its configuration keys and its registration.
#include "fufi/model/plgf.h"

#include "fufi/core/error.h"
#include "fufi/model/baseline_blocks.h"
#include "fufi/model/builtin.h"
#include "fufi/model/layers.h"
#include "fufi/model/probe.h"

namespace fufi::model {

namespace nn = torch::nn;

PlgfOptions plgf_options_from_config(const Config& c) {
  PlgfOptions o;
  o.channels = c.get_int("channels", o.channels);
  o.depth = c.get_int("depth", o.depth);
  o.growth = c.get_int("growth", o.growth);
  o.cond_dim = c.get_int("cond_dim", o.cond_dim);
  o.heads = c.get_int("heads", o.heads);
  o.fpn_scales = c.get_int("fpn_scales", o.fpn_scales);
  o.residual_scale = c.get_double("residual_scale", o.residual_scale);
  o.rdb_dropout = c.get_double("rdb_dropout", o.rdb_dropout);
  o.n2_eps = c.get_double("n2_eps", o.n2_eps);
  o.film = c.get_bool("film", o.film);
  o.local_global = c.get_bool("local_global", o.local_global);
  o.context_gate = c.get_bool("context_gate", o.context_gate);
  o.rdb_fusion_norm = c.get_bool("rdb_fusion_norm", o.rdb_fusion_norm);
  o.fpn_norm = c.get_bool("fpn_norm", o.fpn_norm);
  const auto n2 = c.get_string("n2", "smoothed");
  FUFI_CHECK(n2 == "smoothed" || n2 == "plain", UsageError, "plgf: key 'n2' must be 'smoothed' or 'plain', got '{}'", n2);
  o.smoothed_n2 = n2 == "smoothed";

  FUFI_CHECK(o.channels >= 1, UsageError, "plgf: channels must be >= 1, got {}", o.channels);
  FUFI_CHECK(o.depth >= 1, UsageError, "plgf: depth must be >= 1, got {}", o.depth);
  FUFI_CHECK(o.growth >= 1, UsageError, "plgf: growth must be >= 1, got {}", o.growth);
  FUFI_CHECK(o.cond_dim >= 0, UsageError, "plgf: cond_dim must be >= 0 (0 = channels), got {}", o.cond_dim);
  FUFI_CHECK(o.heads >= 1 && o.resolved_cond_dim() % o.heads == 0, UsageError,
             "plgf: heads={} must divide the context width {} (cond_dim, or channels when cond_dim=0)", o.heads,
             o.resolved_cond_dim());
  FUFI_CHECK(o.fpn_scales >= 1, UsageError, "plgf: fpn_scales must be >= 1, got {}", o.fpn_scales);
  FUFI_CHECK(o.rdb_dropout >= 0 && o.rdb_dropout < 1, UsageError, "plgf: rdb_dropout must be in [0,1), got {}",
             o.rdb_dropout);
  FUFI_CHECK(o.n2_eps > 0, UsageError, "plgf: n2_eps must be > 0, got {}", o.n2_eps);
  return o;
}

ProgressiveUpscalingBlockImpl::ProgressiveUpscalingBlockImpl(const PlgfOptions& o, bool has_cond) {
  const auto d = o.resolved_cond_dim();
  // FiLM is a function of e_cond alone: without ext it would be a constant affine map, so it is not built.
  if (o.film && has_cond) film_ = register_module("film", Film(d, o.channels));
  if (o.local_global) fusion_ = register_module("fusion", LocalGlobalFusion(o));
  if (o.context_gate) gate_ = register_module("gate", ContextGatedAttention(d, o.channels, o.heads));
  expand_ = register_module("expand", nn::Conv2d(nn::Conv2dOptions(o.channels, 4 * o.channels, 3).padding(1)));
  shuffle_ = register_module("shuffle", nn::PixelShuffle(nn::PixelShuffleOptions(2)));
}

torch::Tensor ProgressiveUpscalingBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& cond,
                                                     const torch::Tensor& gate_query) {
  auto h = x;
  if (!film_.is_empty()) h = film_->forward(h, cond);
  if (!fusion_.is_empty()) h = fusion_->forward(h);
  if (!gate_.is_empty()) h = gate_->forward(h, gate_query);
  return shuffle_->forward(expand_->forward(h));
}

PlgfModel::PlgfModel(const DataSpec& spec, const PlgfOptions& options) : spec_(spec), options_(options) {
  const auto stages = log2_exact(spec.upscale, "the feature pyramid");
  FUFI_CHECK(stages >= 1, UsageError, "plgf: upscale must be a power of two >= 2, got {}", spec.upscale);
  FUFI_CHECK(spec.flow_channels >= 1, UsageError, "plgf: data channels must be >= 1, got {}", spec.flow_channels);
  FUFI_CHECK(!spec.has_ext() || spec.ext_dim == ext_col::kCount, UsageError,
             "plgf: external factors must be the {}-column TaxiBJ encoding, got ext_dim {}", ext_col::kCount,
             spec.ext_dim);
  const auto d = options.resolved_cond_dim();
  // e_cond is built only when something consumes it.
  const bool has_cond = spec.has_ext() && (options.film || options.context_gate);

  stem_ = register_module("stem", nn::Conv2d(nn::Conv2dOptions(spec.flow_channels, options.channels, 3).padding(1)));
  if (has_cond) context_ = register_module("context", EnvironmentContextEmbedding(d, options.heads));
  if (!spec.has_ext() && options.context_gate)
    gate_query_ = register_parameter("gate_query", torch::randn({d}) * 0.02);
  for (std::int64_t s = 0; s < stages; ++s) blocks_->push_back(ProgressiveUpscalingBlock(options, has_cond));
  register_module("blocks", blocks_);
  head_ = register_module("head", nn::Conv2d(nn::Conv2dOptions(options.channels, spec.flow_channels, 3).padding(1)));
}

ModelOutput PlgfModel::forward(const ModelInput& input) {
  const auto& coarse = input.coarse;
  FUFI_CHECK(coarse.dim() == 4 && coarse.size(1) == spec_.flow_channels, UsageError,
             "plgf: coarse input must be (B,{},h,w), got {} dimensions with {} channels", spec_.flow_channels,
             coarse.dim(), coarse.dim() >= 2 ? coarse.size(1) : 0);
  const auto batch = coarse.size(0);
  torch::Tensor cond, gate_query;
  if (!context_.is_empty()) {
    FUFI_CHECK(input.ext.defined() && input.ext.dim() == 2 && input.ext.size(0) == batch &&
                   input.ext.size(1) == ext_col::kCount,
               UsageError, "plgf: this model was built with external factors and needs ext of shape ({},{})", batch,
               ext_col::kCount);
    cond = context_->forward(input.ext);
    gate_query = cond;
  } else if (gate_query_.defined()) {
    gate_query = gate_query_.unsqueeze(0).expand({batch, -1});
  }

  auto features = stem_->forward(coarse);
  probe_scale("plgf.stem", features);
  if (cond.defined()) probe_scale("plgf.e_cond", cond);
  std::int64_t stage = 0;
  for (const auto& block : *blocks_) {
    features = block->as<ProgressiveUpscalingBlock>()->forward(features, cond, gate_query);
    probe_scale("plgf.block" + std::to_string(stage++), features);
  }
  // Normalised in the input's precision: under bf16 autocast the head's output is bf16, whose block sums
  // would break the constraint at the third digit.
  auto raw = torch::relu(head_->forward(features)).to(coarse.scalar_type());
  auto density =
      n2_normalize(raw, spec_.upscale, options_.n2_eps, options_.smoothed_n2 ? N2Variant::Smoothed : N2Variant::Plain);
  return {recover_from_density(density, coarse, spec_.upscale, spec_.scaler_ratio), {}, {}};
}

void register_plgf_models(ModelRegistry& registry) {
  const PlgfOptions d;
  auto text = [](double v) { return canonical_number(v); };
  ModelInfo info;
  info.name = "plgf";
  info.description =
      "PLGF (AAAI 2026): context embedding, log2(N) progressive upscaling blocks (FiLM, local-global fusion, "
      "context-gated attention, PixelShuffle), density-based recovery";
  info.params = {
      {"channels", text(d.channels), "feature channels of every stage (paper: 128; Fig. 6 also 64, 192)"},
      {"depth", text(d.depth), "dense layers in each Residual Dense Block (paper: 4; Fig. 6 varies 2-6)"},
      {"growth", text(d.growth), "growth rate of the Residual Dense Block (paper: 32)"},
      {"cond_dim", text(d.cond_dim), "width d of e_cond and of the context tokens; 0 = channels"},
      {"heads", text(d.heads), "heads of the context self-attention and of the context-gated attention"},
      {"fpn_scales", text(d.fpn_scales), "pyramid levels of the EnhancedFPN (paper: 4)"},
      {"residual_scale", text(d.residual_scale), "initial value of the learnable RDB residual scale alpha (paper: 0.1)"},
      {"rdb_dropout", text(d.rdb_dropout), "Dropout2d after each dense layer (paper: none)"},
      {"n2_eps", text(d.n2_eps), "smoothing eps of the N2 normalisation (blocks still sum to exactly 1)"},
      {"film", "true", "FiLM modulation at the start of each block (ablation: film=false)"},
      {"local_global", "true", "Local-Global Fusion block in each block (ablation: local_global=false)"},
      {"context_gate", "true", "Context-Gated Attention in each block (ablation: context_gate=false)"},
      {"rdb_fusion_norm", "true", "GroupNorm after the RDB's 1x1 fusion conv (not in the paper; WaveRec's code)"},
      {"fpn_norm", "true", "BatchNorm in each EnhancedFPN level's conv3 (not in the paper; WaveRec's code)"},
      {"n2", "smoothed",
       "smoothed: (raw + eps/N^2)/(block sum + eps), an all-zero block spreads its flow evenly; plain: UrbanFM's "
       "raw/(block sum + eps), an all-zero block loses it"},
  };
  // Appendix A: Adam lr 3e-4 halved every 8 epochs, 100 epochs, batch 20, DualFocal loss. The paper's
  // recipe is also PLGF's own published ("reference") recipe.
  Config recipe;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{{"lr", "0.0003"},
                                                                                  {"lr_schedule", "halving"},
                                                                                  {"lr_halve_every", "8"},
                                                                                  {"epochs", "100"},
                                                                                  {"batch_size", "20"},
                                                                                  {"adam_beta1", "0.9"},
                                                                                  {"adam_beta2", "0.999"},
                                                                                  {"loss", "dualfocal"}})
    recipe.set(key, value, "plgf recipe (paper Appendix A)");
  info.recipes["plgf"] = recipe;
  info.recipes["reference"] = recipe;
  // PLGF's own defaults for engine keys (worker's resolve_job_settings applies the recipe named "defaults" under
  // every other): the paper says nothing of input scaling; on the validation splits of both fidelity sweeps
  // (synthetic and BikeNYC, 3 seeds each) inputs and targets over the training split's maxima beat raw counts
  // (docs/FIDELITY.md). Fixed scalers set by the user or a recipe still mean fixed scaling.
  Config own_defaults;
  own_defaults.set("scaling", "train_max", "plgf defaults (docs/FIDELITY.md: chosen on validation data)");
  info.recipes["defaults"] = own_defaults;
  info.create = [](const DataSpec& spec, const Config& config) -> std::shared_ptr<FufiModel> {
    return std::make_shared<PlgfModel>(spec, plgf_options_from_config(config));
  };
  registry.add(std::move(info));
}

}  // namespace fufi::model
