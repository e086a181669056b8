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
class HistoricalModel : public FufiModel {
 public:
  HistoricalModel(const DataSpec& spec, const Config& cfg) : spec_(spec) {
    const auto weighting = cfg.get_string("weighting");
    FUFI_CHECK(weighting == "flow" || weighting == "sample", UsageError,
               "historical: weighting must be 'flow' or 'sample' (got '{}')", weighting);
    flow_weighted_ = weighting == "flow";
    FUFI_CHECK(spec.upscale >= 1, UsageError, "historical: upscale must be positive (got {})", spec.upscale);
    // Buffers, not parameters: saved with the model, never seen by an optimiser, not counted.
    share_ = register_buffer("share", torch::full({spec.flow_channels, spec.fine_h(), spec.fine_w()}, uniform_share()));
    fitted_ = register_buffer("fitted", torch::zeros({}, torch::kBool));
  }

  bool needs_fit() const override { return true; }
  bool trainable() const override { return false; }

  void fit(const torch::Tensor& coarse, const torch::Tensor& fine) override {
    FUFI_CHECK(fine.dim() == 4 && fine.size(0) > 0 && fine.size(1) == spec_.flow_channels &&
                   fine.size(2) == spec_.fine_h() && fine.size(3) == spec_.fine_w(),
               InputError, "historical: fit() needs fine maps (N>0, {}, {}, {}); got {}", spec_.flow_channels,
               spec_.fine_h(), spec_.fine_w(), c10::str(fine.sizes()));
    FUFI_CHECK(!coarse.defined() || coarse.size(0) == fine.size(0), InputError,
               "historical: fit() got {} coarse maps but {} fine maps", coarse.size(0), fine.size(0));
    torch::NoGradGuard no_grad;
    const auto N = spec_.upscale;
    // Accumulate in float64 in chunks: a training split is thousands of maps.
    constexpr std::int64_t kChunk = 256;
    auto opts = fine.options().dtype(torch::kFloat64);
    auto numerator = torch::zeros({spec_.flow_channels, spec_.fine_h(), spec_.fine_w()}, opts);
    auto denominator = torch::zeros_like(numerator);
    for (std::int64_t start = 0; start < fine.size(0); start += kChunk) {
      auto f = fine.slice(0, start, std::min(start + kChunk, fine.size(0))).to(torch::kFloat64);
      auto blocks = block_sum_upsampled(f, N);
      if (flow_weighted_) {
        numerator += f.sum(0);
        denominator += blocks.sum(0);
      } else {
        auto has_flow = blocks > 0;
        numerator += torch::where(has_flow, f / blocks, torch::zeros_like(f)).sum(0);
        denominator += has_flow.to(torch::kFloat64).sum(0);
      }
    }
    auto uniform = torch::full_like(numerator, uniform_share());
    auto share = torch::where(denominator > 0, numerator / denominator, uniform);
    share_.copy_(share.to(share_.dtype()));
    fitted_.fill_(true);
  }

  ModelOutput forward(const ModelInput& input) override {
    FUFI_CHECK(fitted_.item<bool>(), RuntimeError,
               "historical: the model has not been fitted; call fit() with the training split first");
    auto fine = recover_from_density(share_.unsqueeze(0), input.coarse, spec_.upscale, spec_.scaler_ratio);
    return {fine, {}, {}};
  }

 private:
  double uniform_share() const { return 1.0 / static_cast<double>(spec_.upscale * spec_.upscale); }

  DataSpec spec_;
  bool flow_weighted_ = true;
  torch::Tensor share_, fitted_;
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
      "each fine cell's share of its block averaged over the training split, times the coarse value (fitted, "
      "no gradient training)";
  historical.params = {{"weighting", "flow",
                        "flow: shares weighted by each sample's block flow (sum fine / sum block); sample: plain "
                        "mean of per-sample shares"}};
  historical.create = [](const DataSpec& spec, const Config& cfg) {
    return std::make_shared<HistoricalModel>(spec, cfg);
  };
  registry.add(std::move(historical));
}

}  // namespace fufi::model
