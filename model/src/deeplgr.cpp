// DeepLGR (Liang et al., AAAI 2021) as CUFAR's copy builds it for FUFI: UrbanFM's ext subnet and stem,
// squeeze-excitation residual blocks, UrbanFM's sub-pixel upsampling, a global pyramid-pooling module
// (GlobalNet) at the fine resolution, and a region-specific linear predictor whose per-cell weights are a
// Tucker-style tensor decomposition (the `td` predictor, the reference default); then cat(ext2hr) -> 9×9
// conv, ReLU -> N2 (ε 1e-5) -> recovery.
#include <numeric>
#include <utility>
#include <vector>

#include "fufi/core/error.h"
#include "fufi/model/baseline_blocks.h"
#include "fufi/model/layers.h"
#include "fufi/model/urban_baselines.h"

namespace fufi::model {

namespace nn = torch::nn;

namespace {

// Squeeze-excitation: global average -> Linear C→C/16 -> ReLU -> Linear C/16→C (no biases) -> sigmoid.
class SqueezeExcitationImpl : public nn::Module {
 public:
  explicit SqueezeExcitationImpl(std::int64_t channels) {
    fc1_ = register_module("fc1", nn::Linear(nn::LinearOptions(channels, channels / 16).bias(false)));
    fc2_ = register_module("fc2", nn::Linear(nn::LinearOptions(channels / 16, channels).bias(false)));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto w = x.mean({2, 3});
    w = torch::sigmoid(fc2_->forward(torch::relu(fc1_->forward(w))));
    return x * w.unsqueeze(2).unsqueeze(3);
  }

 private:
  nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(SqueezeExcitation);

// conv3-BN-ReLU-conv3-BN, squeeze-excitation, + skip.
class SEResidualBlockImpl : public nn::Module {
 public:
  explicit SEResidualBlockImpl(std::int64_t c) {
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1)));
    bn1_ = register_module("bn1", BatchNorm2d(c));
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1)));
    bn2_ = register_module("bn2", BatchNorm2d(c));
    se_ = register_module("se", SqueezeExcitation(c));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::relu(bn1_->forward(conv1_->forward(x)));
    return x + se_->forward(bn2_->forward(conv2_->forward(y)));
  }

 private:
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  SqueezeExcitation se_{nullptr};
};
TORCH_MODULE(SEResidualBlock);

// Pyramid pooling at the fine resolution: for each level, average-pool to a small grid, 1×1 conv C→C/8
// (no bias) + BN, and a sub-pixel block (1×1 conv to C/8·r², PixelShuffle r) back to full size; cat the
// four priors with the input -> 1×1 conv -> ReLU. On the reference's square 128² map the levels pool to
// 1, 2, 4, 8 cells a side (r = 128, 64, 32, 16). For any H×W fufi uses r = gcd(H, W)/{1, 2, 4, 8}, pooling
// to (H/r, W/r): the same levels on square maps, and a valid pyramid on rectangular ones (BikeNYC 80×32).
class GlobalNetImpl : public nn::Module {
 public:
  GlobalNetImpl(std::int64_t features, std::int64_t fine_h, std::int64_t fine_w) {
    const auto side = std::gcd(fine_h, fine_w);
    FUFI_CHECK(side % 8 == 0, UsageError,
               "deeplgr: its global pyramid pools the {}x{} fine map to 1, 2, 4 and 8 cells along the common side, "
               "which needs gcd(H, W) = {} to be a multiple of 8",
               fine_h, fine_w, side);
    const auto reduced = features / 8;
    for (std::int64_t level : {1, 2, 4, 8}) {
      const auto r = side / level;
      pool_sizes_.emplace_back(fine_h / r, fine_w / r);
      nn::Sequential stage(nn::Conv2d(nn::Conv2dOptions(features, reduced, 1).bias(false)), BatchNorm2d(reduced),
                           nn::Conv2d(nn::Conv2dOptions(reduced, reduced * r * r, 1)), nn::PixelShuffle(r));
      stages_->push_back(stage);
    }
    register_module("stages", stages_);
    bottleneck_ = register_module("bottleneck", nn::Conv2d(nn::Conv2dOptions(features + reduced * 4, features, 1)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    std::vector<torch::Tensor> parts;
    for (std::size_t i = 0; i < pool_sizes_.size(); ++i) {
      auto pooled = torch::nn::functional::adaptive_avg_pool2d(
          x, torch::nn::functional::AdaptiveAvgPool2dFuncOptions({pool_sizes_[i].first, pool_sizes_[i].second}));
      parts.push_back(stages_[i]->as<nn::Sequential>()->forward(pooled));
    }
    parts.push_back(x);
    return torch::relu(bottleneck_->forward(torch::cat(parts, 1)));
  }

 private:
  std::vector<std::pair<std::int64_t, std::int64_t>> pool_sizes_;
  nn::ModuleList stages_;
  nn::Conv2d bottleneck_{nullptr};
};
TORCH_MODULE(GlobalNet);

struct DeepLGROptions {
  std::int64_t channels = 128;
  std::int64_t se_blocks = 12;
  bool use_ext = true;
};

class DeepLGR : public FufiModel {
 public:
  DeepLGR(const DataSpec& spec, const DeepLGROptions& opt) : spec_(spec), opt_(opt) {
    FUFI_CHECK(opt.channels >= 16 && opt.se_blocks >= 0, UsageError,
               "deeplgr: channels must be >= 16 (squeeze-excitation reduces by 16) and se_blocks >= 0 (got {} and {})",
               opt.channels, opt.se_blocks);
    const auto c = spec.flow_channels;
    const auto extra = opt.use_ext ? 1 : 0;
    trunk_ = UrbanFMTrunk(*this, spec, opt.channels, opt.use_ext, opt.se_blocks,
                          [&] { return nn::AnyModule(SEResidualBlock(opt.channels)); });
    // "global" is a Python keyword: TorchScript checkpoint archives reject it as a module name.
    global_ = register_module("global_net", GlobalNet(opt.channels, spec.fine_h(), spec.fine_w()));
    // Region-specific predictor: P[o,c,h,w] = Σ core[i,j,k]·F[k,(o,c)]·H[i,h]·W[j,w]. The reference predicts
    // one channel (F is 32×C); with several flow channels F gets a column block per output channel.
    core_ = register_parameter("core", torch::empty({16, 16, 32}).normal_(0.0, 0.02));
    factor_channels_ = register_parameter("factor_channels", torch::empty({32, c * opt.channels}).normal_(0.0, 0.02));
    factor_rows_ = register_parameter("factor_rows", torch::empty({16, spec.fine_h()}).normal_(0.0, 0.02));
    factor_cols_ = register_parameter("factor_cols", torch::empty({16, spec.fine_w()}).normal_(0.0, 0.02));
    // The reference's head takes in_channels + 1 with ext but base_channels without it, which crashes
    // on its own predictor's one-channel output (ext_flag=false is broken there); fufi takes C (+1).
    head_ = register_module("head", nn::Conv2d(nn::Conv2dOptions(c + extra, c, 9).padding(4)));
    if (!opt.use_ext) {
      // The predictor's initial output is ~1e-4 (a product of four N(0, 0.02) factors), so without the
      // ext2hr channel the head sees almost nothing but its bias: a negative default bias would ReLU the
      // whole map to zero and never recover. Forcing that bias positive starts the model at the uniform
      // split (exact block sums) with gradients flowing into the predictor.
      torch::NoGradGuard no_grad;
      head_->bias.abs_();
    }
  }

  ModelOutput forward(const ModelInput& input) override {
    check_urban_input(input, spec_, opt_.use_ext, "deeplgr");
    torch::Tensor ext_map;
    auto features = global_->forward(trunk_.forward(input, ext_map));

    auto region = torch::matmul(core_, factor_channels_);                  // (16, 16, C_out·F)
    region = torch::matmul(region.permute({1, 2, 0}), factor_rows_);       // (16, C_out·F, H)
    region = torch::matmul(region.permute({1, 2, 0}), factor_cols_);       // (C_out·F, H, W)
    region = region.reshape({spec_.flow_channels, opt_.channels, spec_.fine_h(), spec_.fine_w()});
    auto out = torch::einsum("bchw,ochw->bohw", {features, region});

    auto raw = torch::relu(head_->forward(trunk_.input().with_fine_ext(out, ext_map)));
    return n2_recovered_output(raw, input.coarse, spec_, 1e-5);
  }

 private:
  DataSpec spec_;
  DeepLGROptions opt_;
  UrbanFMTrunk trunk_;
  nn::Conv2d head_{nullptr};
  GlobalNet global_{nullptr};
  torch::Tensor core_, factor_channels_, factor_rows_, factor_cols_;
};

}  // namespace

void register_deeplgr_model(ModelRegistry& registry) {
  ModelInfo info;
  info.name = "deeplgr";
  info.description = "DeepLGR (AAAI'21): SE residual blocks, global pyramid prior, tensor-decomposed region predictor";
  info.params = {
      {"channels", "128", "base feature channels (>= 16)"},
      {"se_blocks", "12", "squeeze-excitation residual blocks at the coarse resolution"},
      {"use_ext", "true", "use external factors when the data has them (the reference's ext_flag)"},
  };
  // CUFAR train_single_task.py: F.mse_loss on raw counts (scalers 1), Adam with betas (0.9, 0.9) (b1
  // passed twice), constant lr, 100 epochs, batch 16; its args comment gives DeepLGR lr 0.005.
  info.recipes["reference"] = Config::from_assignments(
      {"epochs=100", "batch_size=16", "lr=0.005", "lr_halve_every=0", "lr_schedule=halving", "adam_beta1=0.9",
       "adam_beta2=0.9", "loss=mse", "scaler_x=1", "scaler_y=1"},
      "deeplgr reference recipe");
  info.create = [](const DataSpec& spec, const Config& cfg) -> std::shared_ptr<FufiModel> {
    DeepLGROptions opt;
    opt.channels = cfg.get_int("channels");
    opt.se_blocks = cfg.get_int("se_blocks");
    opt.use_ext = urban_ext_enabled(spec, cfg, "deeplgr");
    return std::make_shared<DeepLGR>(spec, opt);
  };
  registry.add(std::move(info));
}

}  // namespace fufi::model
