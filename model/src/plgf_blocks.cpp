// PLGF's building blocks (paper Section 4; choices the text leaves open: docs/MODELS.md).
#include <cmath>
#include <numeric>

#include "fufi/core/error.h"
#include "fufi/model/layers.h"
#include "fufi/model/plgf.h"
#include "fufi/model/probe.h"

namespace fufi::model {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

// GroupNorm with 8 groups (the reference notes' GroupNorm(8)); narrower test widths that 8 does not
// divide fall back to the largest power of two that divides them, so any width is accepted.
nn::GroupNorm group_norm(std::int64_t channels) {
  return nn::GroupNorm(nn::GroupNormOptions(std::gcd<std::int64_t>(8, channels), channels));
}

torch::Tensor resize_bilinear(const torch::Tensor& x, std::int64_t h, std::int64_t w) {
  if (x.size(2) == h && x.size(3) == w) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<std::int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace

std::int64_t eca_kernel_size(std::int64_t channels) {
  // ECA-Net's adaptive kernel with γ = 2, b = 1: t = int(|(log2 C + b) / γ|), made odd.
  const auto t = static_cast<std::int64_t>(std::abs((std::log2(static_cast<double>(channels)) + 1.0) / 2.0));
  return t % 2 == 1 ? t : t + 1;
}

EcaImpl::EcaImpl(std::int64_t channels) {
  const auto k = eca_kernel_size(channels);
  conv_ = register_module("conv", nn::Conv1d(nn::Conv1dOptions(1, 1, k).padding(k / 2).bias(false)));
}

torch::Tensor EcaImpl::forward(const torch::Tensor& x) {
  // (B,C,H,W) → (B,1,C): the 1-D convolution slides across neighbouring channels.
  auto pooled = x.mean({2, 3}).unsqueeze(1);
  auto weights = torch::sigmoid(conv_->forward(pooled)).transpose(1, 2).unsqueeze(-1);  // (B,C,1,1)
  return x * weights;
}

ResidualDenseBlockImpl::ResidualDenseBlockImpl(std::int64_t channels, std::int64_t growth, std::int64_t depth,
                                               double residual_scale, double dropout, bool fusion_norm) {
  for (std::int64_t i = 0; i < depth; ++i) {
    nn::Sequential layer;
    layer->push_back(nn::Conv2d(nn::Conv2dOptions(channels + growth * i, growth, 3).padding(1)));
    layer->push_back(group_norm(growth));
    layer->push_back(nn::GELU());
    if (dropout > 0) layer->push_back(nn::Dropout2d(nn::Dropout2dOptions(dropout)));
    layers_->push_back(layer);
  }
  register_module("layers", layers_);
  fusion_ = register_module("fusion", nn::Conv2d(nn::Conv2dOptions(channels + growth * depth, channels, 1)));
  if (fusion_norm) fusion_norm_ = register_module("fusion_norm", group_norm(channels));
  eca_ = register_module("eca", Eca(channels));
  alpha_ = register_parameter("alpha", torch::full({1}, residual_scale));
}

torch::Tensor ResidualDenseBlockImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> features{x};
  for (const auto& layer : *layers_) features.push_back(layer->as<nn::Sequential>()->forward(torch::cat(features, 1)));
  auto fused = fusion_->forward(torch::cat(features, 1));
  if (!fusion_norm_.is_empty()) fused = fusion_norm_->forward(fused);
  fused = eca_->forward(fused);
  return x + alpha_ * fused;
}

DualAttentionImpl::DualAttentionImpl(std::int64_t channels, std::int64_t reduction) {
  const auto hidden = std::max<std::int64_t>(1, channels / reduction);
  squeeze_ = register_module("squeeze", nn::Conv2d(nn::Conv2dOptions(channels, hidden, 1)));
  excite_ = register_module("excite", nn::Conv2d(nn::Conv2dOptions(hidden, channels, 1)));
  spatial_ = register_module("spatial", nn::Conv2d(nn::Conv2dOptions(channels, 1, 7).padding(3).bias(false)));
  channel_logit_ = register_parameter("channel_logit", torch::ones({1}));
  spatial_logit_ = register_parameter("spatial_logit", torch::ones({1}));
}

torch::Tensor DualAttentionImpl::forward(const torch::Tensor& x) {
  auto channel_weights = torch::sigmoid(excite_->forward(torch::relu(squeeze_->forward(x.mean({2, 3}, true)))));
  auto by_channel = x * channel_weights;
  auto by_space = x * torch::sigmoid(spatial_->forward(x));
  auto a = torch::sigmoid(channel_logit_), b = torch::sigmoid(spatial_logit_);
  return (a * by_channel + b * by_space) / (a + b);
}

EnhancedFpnImpl::EnhancedFpnImpl(std::int64_t channels, std::int64_t scales, bool level_norm) : scales_(scales) {
  for (std::int64_t i = 0; i < scales; ++i) {
    laterals_->push_back(nn::Conv2d(nn::Conv2dOptions(channels, channels, 1).bias(false)));
    // No conv bias in front of BatchNorm: BN's shift makes it redundant. Without BN the conv keeps its bias.
    if (level_norm)
      smooths_->push_back(nn::Sequential(nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1).bias(false)),
                                         BatchNorm2d(channels), nn::ReLU()));
    else
      smooths_->push_back(nn::Sequential(nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1)), nn::ReLU()));
    attentions_->push_back(DualAttention(channels));
  }
  register_module("laterals", laterals_);
  register_module("smooths", smooths_);
  register_module("attentions", attentions_);
  // β_i of Eq. 8, started at 1 (σ = 0.73) as in the reference notes' EnhancedFPN.
  level_logits_ = register_parameter("level_logits", torch::ones({scales}));
}

torch::Tensor EnhancedFpnImpl::forward(const torch::Tensor& x) {
  const auto h = x.size(2), w = x.size(3);
  std::vector<torch::Tensor> levels;
  for (std::int64_t i = 0; i < scales_; ++i) {
    // p_i = AvgPool(x, 2^i); adaptive so that sizes that 2^i does not divide (BikeNYC 40x16 → 5x2) still work.
    auto pooled = i == 0 ? x
                         : F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(std::vector<std::int64_t>{
                                                         std::max<std::int64_t>(1, h >> i),
                                                         std::max<std::int64_t>(1, w >> i)}));
    levels.push_back(laterals_[i]->as<nn::Conv2d>()->forward(pooled));
  }
  // Top-down: each level receives the (already enriched) coarser level above it.
  for (auto i = scales_ - 2; i >= 0; --i)
    levels[i] = levels[i] + resize_bilinear(levels[i + 1], levels[i].size(2), levels[i].size(3));
  auto weights = torch::sigmoid(level_logits_);
  torch::Tensor out;
  for (std::int64_t i = 0; i < scales_; ++i) {
    auto refined = attentions_[i]->as<DualAttention>()->forward(smooths_[i]->as<nn::Sequential>()->forward(levels[i]));
    auto term = weights[i] * resize_bilinear(refined, h, w);
    out = out.defined() ? out + term : term;
  }
  return out;
}

LocalGlobalFusionImpl::LocalGlobalFusionImpl(const PlgfOptions& o) {
  local_ = register_module("local", ResidualDenseBlock(o.channels, o.growth, o.depth, o.residual_scale,
                                                       o.rdb_dropout, o.rdb_fusion_norm));
  global_ = register_module("global_path", EnhancedFpn(o.channels, o.fpn_scales, o.fpn_norm));  // "global" is a Python keyword: TorchScript archives reject it
  fuse_ = register_module("fuse", nn::Conv2d(nn::Conv2dOptions(2 * o.channels, o.channels, 1)));
}

torch::Tensor LocalGlobalFusionImpl::forward(const torch::Tensor& x) {
  return fuse_->forward(torch::cat({local_->forward(x), global_->forward(x)}, 1));
}

EnvironmentContextEmbeddingImpl::EnvironmentContextEmbeddingImpl(std::int64_t dim, std::int64_t heads) {
  // Vocabularies of the TaxiBJ encoding: day of week 1..7, hour 0..23, weather 1..17.
  day_ = register_module("day", nn::Embedding(8, dim));
  hour_ = register_module("hour", nn::Embedding(24, dim));
  weather_ = register_module("weather", nn::Embedding(18, dim));
  continuous_ = register_module(
      "continuous", nn::Sequential(nn::Linear(ext_col::kContinuous, dim), nn::GELU(), nn::Linear(dim, dim)));
  attention_ = register_module("attention", nn::MultiheadAttention(nn::MultiheadAttentionOptions(dim, heads)));
  project_ = register_module("project", nn::Linear(dim, dim));
}

torch::Tensor EnvironmentContextEmbeddingImpl::forward(const torch::Tensor& ext) {
  // Four tokens in the (sequence, batch, dim) layout of the C++ MultiheadAttention.
  auto tokens = torch::stack({day_->forward(ext_index(ext, ext_col::kDayOfWeek)),
                              hour_->forward(ext_index(ext, ext_col::kHour)),
                              weather_->forward(ext_index(ext, ext_col::kWeather)),
                              continuous_->forward(ext.slice(1, 0, ext_col::kContinuous))},
                             0);
  auto attended = std::get<0>(attention_->forward(tokens, tokens, tokens, {}, /*need_weights=*/false));
  return project_->forward(attended.mean(0));
}

FilmImpl::FilmImpl(std::int64_t cond_dim, std::int64_t channels) {
  gamma_ = register_module("gamma", nn::Linear(cond_dim, channels));
  beta_ = register_module("beta", nn::Linear(cond_dim, channels));
}

torch::Tensor FilmImpl::forward(const torch::Tensor& features, const torch::Tensor& cond) {
  auto gamma = gamma_->forward(cond).unsqueeze(-1).unsqueeze(-1);
  auto beta = beta_->forward(cond).unsqueeze(-1).unsqueeze(-1);
  return (1 + gamma) * features + beta;
}

ContextGatedAttentionImpl::ContextGatedAttentionImpl(std::int64_t cond_dim, std::int64_t channels,
                                                     std::int64_t heads) {
  attention_ = register_module(
      "attention", nn::MultiheadAttention(nn::MultiheadAttentionOptions(cond_dim, heads).kdim(channels).vdim(channels)));
  gamma_ = register_module("gamma", nn::Linear(cond_dim, channels));
  beta_ = register_module("beta", nn::Linear(cond_dim, channels));
  torch::NoGradGuard no_grad;
  gamma_->bias.fill_(1.0);
}

torch::Tensor ContextGatedAttentionImpl::forward(const torch::Tensor& features, const torch::Tensor& query) {
  // Every cell of the map is a key/value token: (H·W, B, C).
  auto cells = features.flatten(2).permute({2, 0, 1});
  auto aggregated = std::get<0>(attention_->forward(query.unsqueeze(0), cells, cells, {}, /*need_weights=*/false))
                        .squeeze(0);
  if (active_probe()) {
    // A second pass only for the weights: the training pass above keeps its fused, weight-free path.
    torch::NoGradGuard no_grad;
    probe_attention("plgf.cga", std::get<1>(attention_->forward(query.unsqueeze(0), cells, cells, {}, true)));
  }
  auto gamma = gamma_->forward(aggregated).unsqueeze(-1).unsqueeze(-1);
  auto beta = beta_->forward(aggregated).unsqueeze(-1).unsqueeze(-1);
  return gamma * features + beta;
}

}  // namespace fufi::model
