// UrbanPy (Ouyang et al., TKDE 2020) as CUFAR's copy builds it (the FUFI literature's baseline; the
// original adds 5 geographic channels from an h5 file): a cascade of ×2 steps, each with its own residual
// body and sub-pixel upsampler, a correction density from the step's features and a proposal density from
// the running mean of all steps' features and the previous density; the step's density is N2 of their sum.
// Every step's output is a flow map at its own scale; the loss (model_loss) supervises them all:
// (1 − α)·Σ_scales MSE + α·Σ_scales KL(true density ‖ predicted density).
#include "fufi/core/error.h"
#include "fufi/model/baseline_blocks.h"
#include "fufi/model/layers.h"
#include "fufi/model/urban_baselines.h"

namespace fufi::model {

namespace nn = torch::nn;

LocalConvImpl::LocalConvImpl(LocalConvOptions options) : options_(options) {
  FUFI_CHECK(options.blocks_h >= 1 && options.blocks_w >= 1 && options.block >= 1 && options.in_channels >= 1 &&
                 options.out_channels >= 1,
             UsageError, "LocalConv: tiles, block size and channels must be positive");
  const auto cells = options.block * options.block;
  // randn like the reference; UrbanPy's weights_init_normal then redraws it from N(0, 0.02).
  weight = register_parameter(
      "weight", torch::randn({options.blocks_h * options.blocks_w, cells * options.in_channels,
                              cells * options.out_channels}));
}

torch::Tensor LocalConvImpl::forward(const torch::Tensor& x) {
  const auto b = x.size(0);
  const auto bh = options_.blocks_h, bw = options_.blocks_w, s = options_.block;
  FUFI_CHECK(x.dim() == 4 && x.size(1) == options_.in_channels && x.size(2) == bh * s && x.size(3) == bw * s,
             UsageError, "LocalConv: expected (B, {}, {}, {}) input", options_.in_channels, bh * s, bw * s);
  // (B, C, bh, s, bw, s) -> one row vector per tile in (row, col, channel) order, tiles as bmm's batch.
  auto tiles = x.reshape({b, options_.in_channels, bh, s, bw, s})
                   .permute({2, 4, 0, 3, 5, 1})
                   .reshape({bh * bw, b, s * s * options_.in_channels});
  auto out = torch::bmm(tiles, weight);  // (tiles, B, s²·out)
  return out.reshape({bh, bw, b, s, s, options_.out_channels})
      .permute({2, 5, 0, 3, 1, 4})
      .reshape({b, options_.out_channels, bh * s, bw * s});
}

torch::Tensor urbanpy_density_kl(const torch::Tensor& predicted_density, const torch::Tensor& target,
                                 std::int64_t block) {
  auto totals = block_sum_upsampled(target, block);
  auto true_density = target / (totals + 1e-9) + 1e-9;
  auto mask = totals != 0;
  // F.kl_div(log q, p) pointwise: p · (log p − log q).
  auto kl = true_density * (torch::log(true_density) - torch::log(predicted_density + 1e-9));
  kl = torch::where(mask, kl, torch::zeros_like(kl));
  auto per_sample = kl.sum({1, 2, 3});
  auto nonzero_blocks = mask.sum({1, 2, 3}).to(kl.scalar_type()) / static_cast<double>(block * block);
  return (per_sample / nonzero_blocks.clamp_min(1.0)).mean();
}

namespace {

torch::Tensor upsample_nearest(const torch::Tensor& x, std::int64_t factor) {
  if (factor == 1) return x;
  return x.repeat_interleave(factor, 2).repeat_interleave(factor, 3);
}

constexpr double kN2Eps = 1e-5;

struct UrbanPyOptions {
  std::int64_t channels = 64;
  std::int64_t residual_blocks = 16;  // per step (the reference's n_residuals "16,16")
  bool local_proposal = true;
  std::int64_t compress = 2;
  std::int64_t proposal_res_blocks = 1;
  bool use_ext = true;
  double kl_alpha = 0.01;
};

// Proposes the step's density from [previous density, mean features (, ext map)] at the step's input
// resolution, upsampled ×2 by a sub-pixel conv; the local variant adds a dropout and a per-tile
// LocalConv that redistributes within each coarse cell.
class ProposalNetImpl : public nn::Module {
 public:
  ProposalNetImpl(std::int64_t in_channels, std::int64_t flow_channels, std::int64_t block, const DataSpec& spec,
                  const UrbanPyOptions& opt)
      : block_(block) {
    for (std::int64_t i = 0; i < opt.proposal_res_blocks; ++i) res_blocks_->push_back(ResidualBlock(in_channels));
    register_module("res_blocks", res_blocks_);
    const auto mid = opt.local_proposal ? opt.compress : flow_channels;
    upsample_->push_back(nn::Conv2d(nn::Conv2dOptions(in_channels, mid * 4, 3).padding(1)));
    upsample_->push_back(BatchNorm2d(mid * 4));
    upsample_->push_back(nn::PixelShuffle(2));
    upsample_->push_back(nn::ReLU());
    if (opt.local_proposal) {
      upsample_->push_back(nn::Dropout(0.5));
      local_ = LocalConv(LocalConvOptions{spec.coarse_h, spec.coarse_w, block, opt.compress, flow_channels});
      upsample_->push_back(local_);
      upsample_->push_back(nn::ReLU());
    }
    register_module("upsample", upsample_);
  }

  torch::Tensor forward(const torch::Tensor& previous_density, const torch::Tensor& features) {
    auto x = forward_or_identity(res_blocks_, torch::cat({previous_density, features}, 1));
    return n2_normalize(upsample_->forward(x), block_, kN2Eps);
  }

  LocalConv local_{nullptr};

 private:
  std::int64_t block_;
  nn::Sequential res_blocks_, upsample_;
};
TORCH_MODULE(ProposalNet);

class UrbanPy : public FufiModel {
 public:
  UrbanPy(const DataSpec& spec, const UrbanPyOptions& opt) : spec_(spec), opt_(opt) {
    FUFI_CHECK(spec.upscale >= 2, UsageError,
               "urbanpy: it upsamples in ×2 steps, so the upscale must be 2^k with k >= 1 (got {})", spec.upscale);
    steps_ = log2_exact(spec.upscale, "the cascade of ×2 steps");
    FUFI_CHECK(opt.channels >= 1 && opt.residual_blocks >= 0 && opt.compress >= 1 && opt.proposal_res_blocks >= 0,
               UsageError, "urbanpy: channels and compress must be >= 1, block counts >= 0");
    FUFI_CHECK(opt.kl_alpha >= 0 && opt.kl_alpha <= 1, UsageError, "urbanpy: kl_alpha must lie in [0, 1] (got {})",
               opt.kl_alpha);
    const auto c = spec.flow_channels;
    const auto extra = opt.use_ext ? 1 : 0;
    // Ext subnet with dropout 0.5 and one ×2 ext2hr shared by all steps, as the reference.
    input_ = UrbanInput(*this, spec, UrbanInputOptions{opt.channels, opt.use_ext, UrbanExtNetOptions{128, 0.5}, 2});
    for (std::int64_t i = 0; i < steps_; ++i) {
      nn::Sequential body;
      for (std::int64_t r = 0; r < opt.residual_blocks; ++r) body->push_back(ResidualBlock(opt.channels));
      bodies_->push_back(body);
      upsamplers_->push_back(SubPixelUpsampler(SubPixelUpsamplerOptions{opt.channels, 2, true, true, 0.0}));
      corrections_->push_back(nn::Conv2d(nn::Conv2dOptions(opt.channels + extra, c, 1)));
      // The reference feeds the previous density as one channel; with C flow channels it has C.
      proposals_->push_back(ProposalNet(c + opt.channels + extra, c, std::int64_t{2} << i, spec, opt));
    }
    register_module("bodies", bodies_);
    register_module("upsamplers", upsamplers_);
    register_module("corrections", corrections_);
    register_module("proposals", proposals_);
  }

  // UrbanPy's weights_init_normal; call once the model is owned by a shared_ptr (modules(include_self)
  // needs it). The reference's init matches every class whose name contains "Conv", LocalConv included.
  void init_reference_weights() {
    init_urbanfm_weights(*this);
    torch::NoGradGuard no_grad;
    for (const auto& p : *proposals_) {
      auto local = p->as<ProposalNetImpl>()->local_;
      if (local) local->weight.normal_(0.0, 0.02);
    }
  }

  ModelOutput forward(const ModelInput& input) override {
    check_urban_input(input, spec_, opt_.use_ext, "urbanpy");
    const auto& x = input.coarse;
    auto previous_density = torch::ones_like(x);
    auto ext_map = opt_.use_ext ? input_.ext_map(input.ext) : torch::Tensor();
    auto inp = torch::relu(input_.stem(x, ext_map));

    ModelOutput out;
    std::vector<torch::Tensor> step_features;  // each step's pre-upsampling features, coarsest first
    for (std::int64_t i = 0; i < steps_; ++i) {
      const auto block = std::int64_t{2} << i;
      nn::Sequential body(bodies_->ptr<nn::SequentialImpl>(i));
      auto features = forward_or_identity(body, inp);
      auto features_up = upsamplers_[i]->as<SubPixelUpsamplerImpl>()->forward(features);
      step_features.push_back(features);
      auto ext_up = opt_.use_ext ? input_.ext_to_fine(ext_map) : torch::Tensor();
      auto correction_in = opt_.use_ext ? torch::cat({features_up, ext_up}, 1) : features_up;
      auto correction =
          n2_normalize(torch::relu(corrections_[i]->as<nn::Conv2d>()->forward(correction_in)), block, kN2Eps);
      // Running mean of all steps' features at the current resolution (the reference's process_featmaps).
      auto mean_features = step_features.back();
      const auto n = static_cast<std::int64_t>(step_features.size());
      for (std::int64_t j = n - 2; j >= 0; --j)
        mean_features = upsample_nearest(step_features[j], std::int64_t{1} << (n - 1 - j)) + mean_features;
      mean_features = mean_features / static_cast<double>(n);
      if (opt_.use_ext) mean_features = torch::cat({mean_features, ext_map}, 1);
      auto proposal = proposals_[i]->as<ProposalNetImpl>()->forward(previous_density, mean_features);
      auto density = n2_normalize(proposal + correction, block, kN2Eps);
      auto flows = recover_from_density(density, x, block, spec_.scaler_ratio);
      out.densities.push_back(density);
      if (i + 1 < steps_)
        out.intermediate.push_back(flows);
      else
        out.fine = flows;
      previous_density = density;
      inp = features_up;
      if (opt_.use_ext) ext_map = ext_up;
    }
    return out;
  }

  bool has_model_loss() const override { return true; }

  // (1 − α)·Σ_scales MSE(flows, target summed to that scale) + α·Σ_scales KL of densities, the reference
  // scale weights all 1. Intermediate targets are sum-pools of the fine target (the reference's X_64.npy).
  torch::Tensor model_loss(const ModelOutput& output, const torch::Tensor& target) override {
    FUFI_CHECK(static_cast<std::int64_t>(output.densities.size()) == steps_ &&
                   static_cast<std::int64_t>(output.intermediate.size()) == steps_ - 1 && output.fine.defined(),
               UsageError, "urbanpy: model_loss needs this model's own output ({} densities, {} intermediate maps)",
               steps_, steps_ - 1);
    FUFI_CHECK(target.sizes() == output.fine.sizes(), UsageError, "urbanpy: target and output shapes differ");
    torch::Tensor mse_sum, kl_sum;
    for (std::int64_t i = 0; i < steps_; ++i) {
      const auto block = std::int64_t{2} << i;
      const auto& prediction = i + 1 < steps_ ? output.intermediate[i] : output.fine;
      auto scale_target = block_sum(target, spec_.upscale / block);
      auto mse = torch::mse_loss(prediction, scale_target);
      auto kl = urbanpy_density_kl(output.densities[i], scale_target, block);
      mse_sum = mse_sum.defined() ? mse_sum + mse : mse;
      kl_sum = kl_sum.defined() ? kl_sum + kl : kl;
    }
    return (1.0 - opt_.kl_alpha) * mse_sum + opt_.kl_alpha * kl_sum;
  }

 private:
  DataSpec spec_;
  UrbanPyOptions opt_;
  std::int64_t steps_ = 0;
  UrbanInput input_;
  nn::ModuleList bodies_, upsamplers_, corrections_, proposals_;
};

}  // namespace

void register_urbanpy_model(ModelRegistry& registry) {
  ModelInfo info;
  info.name = "urbanpy";
  info.description = "UrbanPy (TKDE'20): cascaded x2 steps with proposal + correction densities, multi-scale loss";
  info.params = {
      {"channels", "64", "base feature channels"},
      {"residual_blocks", "16", "residual blocks in each x2 step"},
      {"proposal", "local", "proposal network: local (per-tile LocalConv, the CUFAR copy's default) or global"},
      {"compress", "2", "channels before the local proposal's LocalConv"},
      {"proposal_res_blocks", "1", "residual blocks in each proposal network"},
      {"use_ext", "true", "use external factors when the data has them (the reference's ext_flag)"},
      {"kl_alpha", "0.01", "weight alpha of the density KL in the model's own loss (loss=model)"},
  };
  // ouyangksoc/UrbanPy: (1 − α)·ΣMSE + α·KL, Adam lr 1e-4 halved every 50 epochs, up to 1000 epochs,
  // batch 16, X/1500 and Y/100 (baselines.md §1; its 64² scaler 400 has no counterpart here: every scale
  // is in Y/scaler_y units).
  info.recipes["reference"] = Config::from_assignments(
      {"epochs=1000", "batch_size=16", "lr=0.0001", "lr_halve_every=50", "lr_schedule=halving", "adam_beta1=0.9",
       "adam_beta2=0.999", "loss=model", "scaler_x=1500", "scaler_y=100"},
      "urbanpy reference recipe");
  info.create = [](const DataSpec& spec, const Config& cfg) -> std::shared_ptr<FufiModel> {
    UrbanPyOptions opt;
    opt.channels = cfg.get_int("channels");
    opt.residual_blocks = cfg.get_int("residual_blocks");
    const auto proposal = cfg.get_string("proposal");
    FUFI_CHECK(proposal == "local" || proposal == "global", UsageError,
               "urbanpy: proposal must be 'local' or 'global' (got '{}')", proposal);
    opt.local_proposal = proposal == "local";
    opt.compress = cfg.get_int("compress");
    opt.proposal_res_blocks = cfg.get_int("proposal_res_blocks");
    opt.use_ext = urban_ext_enabled(spec, cfg, "urbanpy");
    opt.kl_alpha = cfg.get_double("kl_alpha");
    auto model = std::make_shared<UrbanPy>(spec, opt);
    model->init_reference_weights();
    return model;
  };
  registry.add(std::move(info));
}

}  // namespace fufi::model
