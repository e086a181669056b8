// Naive reference models that every table should carry: they set the floor a learned model must beat.
#include "fufi/core/error.h"
#include "fufi/model/builtin.h"
#include "fufi/model/layers.h"

namespace fufi::model {
namespace {

// Each coarse cell spread evenly over its N×N block. No parameters, nothing to train.
class UniformModel : public FufiModel {
 public:
  explicit UniformModel(const DataSpec& spec) : spec_(spec) {}
  ModelOutput forward(const ModelInput& input) override {
    auto n = spec_.upscale;
    auto fine = input.coarse.repeat_interleave(n, 2).repeat_interleave(n, 3) *
                (spec_.scaler_ratio / static_cast<double>(n * n));
    return {fine, {}, {}};
  }
  bool trainable() const override { return false; }

 private:
  DataSpec spec_;
};


// Each fine cell's historical share of its N×N block, fitted once from the training split (no
// gradient training): prediction = share ⊙ nearest-upsampled(coarse · scale). It knows the city's
// static layout and nothing else, so on real flows it is the floor a learned model has to beat to
// have learned anything beyond that layout. Every block's shares sum to 1, so the spatial
// constraint holds exactly; blocks that never carried flow in training fall back to uniform.
//
// weighting=flow (default): share = Σ_t fine_t / Σ_t blocksum_t, each sample weighted by its block's
//   flow. This is the maximum-likelihood share of a fixed multinomial split, and keeps the many
//   low-count samples (whose shares are mostly Poisson noise: one trip gives one cell a share of 1)
//   from outweighing the busy ones.
// weighting=sample: the plain mean over samples of fine_t / blocksum_t, over the samples in which
//   the block carried flow.
//
// Context modes (need ext; the training split's ext is passed to fit()):
// by_hour=true: one share map per hour of day (ext column 5), fitted from the training samples of that
//   hour; a block that never carried flow at an hour (or an hour absent from training) uses the static
//   share. The same definition as `fufi data stats`' per-hour share (worker/data/src/stats.cpp).
// by_weather=true: one share map per weather class of ext column 6 (TaxiBJ codes): 0 clear (code 0,
//   1 Sunny, 2 Cloudy, 3 Overcast), 1 rain (4 Rainy .. 10 FreezingRain), 2 snow (11 Snowy .. 14 HeavySnow),
//   3 haze (15 Foggy, 16 Sandstorm, 17 Dusty); unseen blocks use the static share.
// Both: one map per (hour, weather class); unseen blocks use the hour's map, then the static share.
class HistoricalModel : public FufiModel {
 public:
  static constexpr std::int64_t kHours = 24;
  static constexpr std::int64_t kWeatherClasses = 4;

  HistoricalModel(const DataSpec& spec, const Config& cfg) : spec_(spec) {
    const auto weighting = cfg.get_string("weighting");
    FUFI_CHECK(weighting == "flow" || weighting == "sample", UsageError,
               "historical: weighting must be 'flow' or 'sample' (got '{}')", weighting);
    flow_weighted_ = weighting == "flow";
    by_hour_ = cfg.get_bool("by_hour");
    by_weather_ = cfg.get_bool("by_weather");
    FUFI_CHECK(spec.upscale >= 1, UsageError, "historical: upscale must be positive (got {})", spec.upscale);
    FUFI_CHECK(!contextual() || spec.has_ext(), UsageError,
               "historical: {} needs the external factors (ext), and this data has none",
               by_hour_ ? "by_hour=true" : "by_weather=true");
    // Buffers, not parameters: saved with the model, never seen by an optimiser, not counted.
    share_ = register_buffer("share", torch::full({spec.flow_channels, spec.fine_h(), spec.fine_w()}, uniform_share()));
    if (contextual())
      context_share_ = register_buffer(
          "context_share", torch::full({context_keys(), spec.flow_channels, spec.fine_h(), spec.fine_w()}, uniform_share()));
    fitted_ = register_buffer("fitted", torch::zeros({}, torch::kBool));
  }

  bool needs_fit() const override { return true; }
  bool trainable() const override { return false; }

  void fit(const torch::Tensor& coarse, const torch::Tensor& fine, const torch::Tensor& ext) override {
    FUFI_CHECK(fine.dim() == 4 && fine.size(0) > 0 && fine.size(1) == spec_.flow_channels &&
                   fine.size(2) == spec_.fine_h() && fine.size(3) == spec_.fine_w(),
               InputError, "historical: fit() needs fine maps (N>0, {}, {}, {}); got {}", spec_.flow_channels,
               spec_.fine_h(), spec_.fine_w(), c10::str(fine.sizes()));
    FUFI_CHECK(!coarse.defined() || coarse.size(0) == fine.size(0), InputError,
               "historical: fit() got {} coarse maps but {} fine maps", coarse.size(0), fine.size(0));
    if (contextual()) {
      FUFI_CHECK(ext.defined(), UsageError,
                 "historical: {} needs the training split's ext in fit(); none was given",
                 by_hour_ ? "by_hour=true" : "by_weather=true");
      FUFI_CHECK(ext.dim() == 2 && ext.size(0) == fine.size(0) && ext.size(1) >= ext_col::kCount, InputError,
                 "historical: fit() needs ext (N={}, {}); got {}", fine.size(0), ext_col::kCount, c10::str(ext.sizes()));
    }
    torch::NoGradGuard no_grad;
    const auto N = spec_.upscale;
    // Accumulate in float64 in chunks: a training split is thousands of maps.
    constexpr std::int64_t kChunk = 256;
    auto opts = fine.options().dtype(torch::kFloat64);
    const std::vector<std::int64_t> map{spec_.flow_channels, spec_.fine_h(), spec_.fine_w()};
    auto numerator = torch::zeros(map, opts), denominator = torch::zeros(map, opts);
    // Per context key, and (both modes) per hour for the fallback.
    const std::int64_t keys = contextual() ? context_keys() : 0;
    auto key_num = torch::zeros({keys, map[0], map[1], map[2]}, opts), key_den = torch::zeros_like(key_num);
    const bool both = by_hour_ && by_weather_;
    auto hour_num = torch::zeros({both ? kHours : 0, map[0], map[1], map[2]}, opts), hour_den = torch::zeros_like(hour_num);
    for (std::int64_t start = 0; start < fine.size(0); start += kChunk) {
      const std::int64_t end = std::min(start + kChunk, fine.size(0));
      auto f = fine.slice(0, start, end).to(torch::kFloat64);
      auto blocks = block_sum_upsampled(f, N);
      torch::Tensor num, den;
      if (flow_weighted_) {
        num = f;
        den = blocks;
      } else {
        auto has_flow = blocks > 0;
        num = torch::where(has_flow, f / blocks, torch::zeros_like(f));
        den = has_flow.to(torch::kFloat64);
      }
      numerator += num.sum(0);
      denominator += den.sum(0);
      if (contextual()) {
        auto e = ext.slice(0, start, end).to(f.device());
        auto k = context_key(e);
        key_num.index_add_(0, k, num);
        key_den.index_add_(0, k, den);
        if (both) {
          auto h = hour_of(e);
          hour_num.index_add_(0, h, num);
          hour_den.index_add_(0, h, den);
        }
      }
    }
    auto uniform = torch::full_like(numerator, uniform_share());
    auto share = torch::where(denominator > 0, numerator / denominator, uniform);
    share_.copy_(share.to(share_.dtype()));
    if (contextual()) {
      // Unseen (key, block): the hour's share when the key also has a weather class, else the static share.
      torch::Tensor fallback = share.unsqueeze(0).expand_as(key_num);
      if (both) {
        auto hour_share = torch::where(hour_den > 0, hour_num / hour_den, share.unsqueeze(0).expand_as(hour_num));
        fallback = hour_share.repeat_interleave(kWeatherClasses, 0);  // key = hour · classes + class
      }
      auto context = torch::where(key_den > 0, key_num / key_den, fallback);
      context_share_.copy_(context.to(context_share_.dtype()));
    }
    fitted_.fill_(true);
  }

  ModelOutput forward(const ModelInput& input) override {
    FUFI_CHECK(fitted_.item<bool>(), RuntimeError,
               "historical: the model has not been fitted; call fit() with the training split first");
    torch::Tensor density = share_.unsqueeze(0);
    if (contextual()) {
      FUFI_CHECK(input.ext.defined() && input.ext.dim() == 2 && input.ext.size(0) == input.coarse.size(0) &&
                     input.ext.size(1) >= ext_col::kCount,
                 InputError, "historical: {} needs ext (B, {}) with the coarse maps",
                 by_hour_ ? "by_hour=true" : "by_weather=true", ext_col::kCount);
      density = context_share_.index_select(0, context_key(input.ext.to(context_share_.device())));
    }
    auto fine = recover_from_density(density, input.coarse, spec_.upscale, spec_.scaler_ratio);
    return {fine, {}, {}};
  }

 private:
  double uniform_share() const { return 1.0 / static_cast<double>(spec_.upscale * spec_.upscale); }
  bool contextual() const { return by_hour_ || by_weather_; }
  std::int64_t context_keys() const { return (by_hour_ ? kHours : 1) * (by_weather_ ? kWeatherClasses : 1); }

  static torch::Tensor hour_of(const torch::Tensor& ext) { return ext_index(ext, ext_col::kHour).clamp(0, kHours - 1); }
  // TaxiBJ weather codes -> 0 clear, 1 rain, 2 snow, 3 haze (see the class comment).
  static torch::Tensor weather_class_of(const torch::Tensor& ext) {
    auto code = ext_index(ext, ext_col::kWeather).clamp(0, 17);
    auto cls = torch::zeros_like(code);
    cls = torch::where((code >= 4) & (code <= 10), torch::ones_like(code), cls);
    cls = torch::where((code >= 11) & (code <= 14), torch::full_like(code, 2), cls);
    cls = torch::where(code >= 15, torch::full_like(code, 3), cls);
    return cls;
  }
  torch::Tensor context_key(const torch::Tensor& ext) const {
    if (by_hour_ && by_weather_) return hour_of(ext) * kWeatherClasses + weather_class_of(ext);
    return by_hour_ ? hour_of(ext) : weather_class_of(ext);
  }

  DataSpec spec_;
  bool flow_weighted_ = true, by_hour_ = false, by_weather_ = false;
  torch::Tensor share_, context_share_, fitted_;
};

}  // namespace

void register_naive_models(ModelRegistry& registry) {
  ModelInfo uniform;
  uniform.name = "uniform";
  uniform.description = "each coarse cell spread evenly over its N x N block (no parameters)";
  uniform.create = [](const DataSpec& spec, const Config&) { return std::make_shared<UniformModel>(spec); };
  registry.add(std::move(uniform));

  ModelInfo historical;
  historical.name = "historical";
  historical.description =
      "each fine cell's share of its block averaged over the training split (optionally per hour of day and/or "
      "weather class), times the coarse value (fitted, no gradient training)";
  historical.params = {{"weighting", "flow",
                        "flow: shares weighted by each sample's block flow (sum fine / sum block); sample: plain "
                        "mean of per-sample shares"},
                       {"by_hour", "false",
                        "true: one share map per hour of day (ext hour), fitted from that hour's training samples; "
                        "blocks never seen at that hour use the static share (needs ext)"},
                       {"by_weather", "false",
                        "true: one share map per weather class (ext weather: clear, rain, snow, haze); with by_hour, "
                        "per hour and class, unseen blocks falling back to the hour's share (needs ext)"}};
  historical.create = [](const DataSpec& spec, const Config& cfg) {
    return std::make_shared<HistoricalModel>(spec, cfg);
  };
  registry.add(std::move(historical));
}

}  // namespace fufi::model
