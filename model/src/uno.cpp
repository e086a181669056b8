// UNO (Longsuni/UNO, IJCAI'24): an EDSR-baseline encoder and two linear-attention blocks at the coarse
// resolution, bilinear grid_sample upsampling of the features to the fine grid, then CUFAR's
// local/global scheme at the fine resolution: the local branch gives every coarse cell's N×N patch its
// own weights (grouped convs with one group per coarse cell), the global branch sees the whole map,
// and an hour-specific output conv feeds N2. ../shared/reference/baselines.md §3 "UNO":
// 117,913,472 parameters at 32→128, channels 128, ext on, 15 hour slots. The layer shapes follow the
// reference version with grid_sample upsampling (the one that count describes; at commit 4a37cf2 it is
// model/UNO_coord.py).
//
// Reproduced as in the reference:
// - EDSR's two MeanShift convs (24 frozen parameters) exist and are counted but never called;
// - the ext-on model also owns the unused shared head `time_my` (2,305 parameters);
// - the attention block returns x + MLP(x + attention(x)): the attention output reaches the result
//   only through the MLP (simple_attn's `bias` still holds x when the MLP output is added);
// - grid_sample with zero padding, so the outer ring of fine cells blends with zeros;
// - ReLU before N2 with eps 1e-7: a block whose 16 raw values are all ≤ 0 gets density 0 and its
//   coarse value is lost (`safe_n2=true` keeps it).
// Generalisations: C flow channels (encoder input, head outputs), any feature width (heads read
// 2·channels), any integer upscale (patches are N×N, one per coarse cell), hour slots from DataSpec.
// Without ext the ext/time maps are off and the shared head time_my is used, as the reference's
// use_exf=False branch does (its local branch is broken there; fufi keeps the ext-on layout minus
// the two ext channels).
#include "fufi/core/error.h"
#include "fufi/model/baseline_blocks.h"
#include "fufi/model/builtin.h"
#include "fufi/model/layers.h"

namespace fufi::model {

namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

constexpr double kUnoN2Epsilon = 1e-7;
constexpr double kUnoDropout = 0.3;

nn::Conv2dOptions conv3(std::int64_t in, std::int64_t out) { return nn::Conv2dOptions(in, out, 3).padding(1); }

// EDSR's MeanShift: a frozen 1×1 conv 3→3 (identity weights, ± the DIV2K RGB mean as bias). UNO's
// encoder builds two and never calls them; they only contribute their 24 frozen parameters.
nn::Conv2d mean_shift(double sign) {
  nn::Conv2d shift(nn::Conv2dOptions(3, 3, 1));
  torch::NoGradGuard no_grad;
  shift->weight.copy_(torch::eye(3).view({3, 3, 1, 1}));
  shift->bias.copy_(torch::tensor({0.4488, 0.4371, 0.4040}) * sign);
  shift->weight.set_requires_grad(false);
  shift->bias.set_requires_grad(false);
  return shift;
}

// EDSR-baseline without upsampling: head conv3 C→E; body = blocks × [conv3, ReLU, conv3, + skip]
// (res_scale 1, no BN) and a final conv3; plus the head's output.
class EdsrEncoderImpl : public nn::Module {
 public:
  EdsrEncoderImpl(std::int64_t in_channels, std::int64_t features, std::int64_t blocks) {
    register_module("sub_mean", mean_shift(-1.0));
    register_module("add_mean", mean_shift(+1.0));
    head_ = register_module("head", nn::Conv2d(conv3(in_channels, features)));
    for (std::int64_t i = 0; i < blocks; ++i) {
      blocks_->push_back(nn::Sequential(nn::Conv2d(conv3(features, features)), nn::ReLU(nn::ReLUOptions().inplace(true)),
                                        nn::Conv2d(conv3(features, features))));
    }
    register_module("body", blocks_);
    tail_ = register_module("body_conv", nn::Conv2d(conv3(features, features)));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto head = head_->forward(x);
    auto h = head;
    for (const auto& block : *blocks_) h = block->as<nn::Sequential>()->forward(h) + h;
    return tail_->forward(h) + head;
  }

 private:
  nn::Conv2d head_{nullptr}, tail_{nullptr};
  nn::ModuleList blocks_;
};
TORCH_MODULE(EdsrEncoder);

// UNO's simple_attn: linear attention with per-head LayerNorm'd keys and values.
class LinearAttentionImpl : public nn::Module {
 public:
  LinearAttentionImpl(std::int64_t channels, std::int64_t heads) : channels_(channels), heads_(heads) {
    head_dim_ = channels / heads;
    qkv_ = register_module("qkv_proj", nn::Conv2d(nn::Conv2dOptions(channels, 3 * channels, 1)));
    out1_ = register_module("o_proj1", nn::Conv2d(nn::Conv2dOptions(channels, channels, 1)));
    out2_ = register_module("o_proj2", nn::Conv2d(nn::Conv2dOptions(channels, channels, 1)));
    k_weight_ = register_parameter("kln_weight", torch::ones({heads, 1, head_dim_}));
    k_bias_ = register_parameter("kln_bias", torch::zeros({heads, 1, head_dim_}));
    v_weight_ = register_parameter("vln_weight", torch::ones({heads, 1, head_dim_}));
    v_bias_ = register_parameter("vln_bias", torch::zeros({heads, 1, head_dim_}));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const auto B = x.size(0), H = x.size(2), W = x.size(3);
    // (B,3C,H,W) -> (B, heads, H·W, 3·head_dim): each head's q, k, v are consecutive channel slices.
    auto qkv = qkv_->forward(x).permute({0, 2, 3, 1}).reshape({B, H * W, heads_, 3 * head_dim_}).permute({0, 2, 1, 3});
    auto parts = qkv.chunk(3, -1);
    auto k = layer_norm(parts[1], k_weight_, k_bias_);
    auto v = layer_norm(parts[2], v_weight_, v_bias_);
    auto context = torch::matmul(k.transpose(-2, -1), v) / static_cast<double>(H * W);
    auto attended = torch::matmul(parts[0], context).permute({0, 2, 1, 3}).reshape({B, H, W, channels_});
    auto mixed = attended.permute({0, 3, 1, 2}) + x;
    return out2_->forward(torch::gelu(out1_->forward(mixed))) + x;
  }

 private:
  // UNO's LayerNorm: (x − mean) / (unbiased std + 1e-5) over the head dimension, affine (heads,1,d).
  static torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
    const auto n = x.size(-1);
    auto centred = x - x.mean(/*dim=*/{-1}, /*keepdim=*/true);
    auto std = (centred.pow(2).sum(/*dim=*/{-1}, /*keepdim=*/true) / static_cast<double>(n - 1)).sqrt();
    return weight * (centred / (std + 1e-5)) + bias;
  }

  std::int64_t channels_, heads_, head_dim_;
  nn::Conv2d qkv_{nullptr}, out1_{nullptr}, out2_{nullptr};
  torch::Tensor k_weight_, k_bias_, v_weight_, v_bias_;
};
TORCH_MODULE(LinearAttention);

class Uno : public FufiModel {
 public:
  Uno(const DataSpec& spec, const Config& cfg)
      : spec_(spec), width_(cfg.get_int("channels")), safe_n2_(cfg.get_bool("safe_n2")) {
    const auto features = cfg.get_int("edsr_channels"), heads = cfg.get_int("attn_heads");
    const auto blocks = cfg.get_int("edsr_blocks");
    FUFI_CHECK(width_ >= 2 && width_ % 2 == 0, UsageError,
               "uno: channels must be even and at least 2 (its mini models use channels/2; got {})", width_);
    FUFI_CHECK(heads >= 1 && features >= heads && features % heads == 0 && features / heads >= 2, UsageError,
               "uno: edsr_channels ({}) must be a multiple of attn_heads ({}) with at least 2 channels per head "
               "(the keys and values are normalised with an unbiased std over each head)",
               features, heads);
    FUFI_CHECK(blocks >= 0, UsageError, "uno: edsr_blocks must be >= 0 (got {})", blocks);
    FUFI_CHECK(spec.upscale >= 1, UsageError, "uno: upscale must be positive (got {})", spec.upscale);
    const auto C = spec.flow_channels, N = spec.upscale;
    const auto cells = spec.coarse_h * spec.coarse_w, fine_cells = spec.fine_h() * spec.fine_w();
    encoder_ = register_module("encoder", EdsrEncoder(C, features, blocks));
    attention0_ = register_module("conv0", LinearAttention(features, heads));
    attention1_ = register_module("conv1", LinearAttention(features, heads));
    upsample_bn_ = register_module("ic_layer_bn", BatchNorm2d(features));
    upsample_dropout_ = register_module("ic_layer_dropout", nn::Dropout(kUnoDropout));
    const auto branch_in = features + (spec.has_ext() ? 2 : 0);
    if (spec.has_ext()) {
      FUFI_CHECK(spec.hour_slots >= 1, UsageError, "uno: hour_slots must be positive (got {})", spec.hour_slots);
      ExtEmbeddingOptions ext_options;
      ext_options.weather_vocab = 128;  // UNO's Embedding(128, 3) for the weather code
      // The local branch's regions are the coarse cells' N×N patches.
      ext_maps_ = HourExtMaps(*this, spec.hour_slots, N * N, fine_cells, ext_options);
      for (std::int64_t i = 0; i < spec.hour_slots; ++i)
        hour_heads_->push_back(nn::Conv2d(conv3(2 * width_, C)));
      register_module("time_conv", hour_heads_);
    }
    // CUFAR's mini models without the PixelShuffle (the features are already fine), halving width first.
    global_ = register_module("global_model",
                              CufarMiniModel(CufarMiniModelOptions{branch_in, width_ / 2, width_, 9, 1, 0}));
    local_ = register_module("local_sub_model", CufarMiniModel(CufarMiniModelOptions{
                                                    branch_in * cells, width_ / 2 * cells, width_ * cells, 3, cells, 0}));
    shared_head_ = register_module("time_my", nn::Conv2d(conv3(2 * width_, C)));
  }

  bool has_hour_heads() const override { return spec_.has_ext(); }

  ModelOutput forward(const ModelInput& in) override {
    const auto& x = in.coarse;
    const auto B = x.size(0), h = spec_.coarse_h, w = spec_.coarse_w, N = spec_.upscale;
    const auto H = spec_.fine_h(), W = spec_.fine_w();
    auto f = attention1_->forward(attention0_->forward(encoder_->forward(x)));
    const auto E = f.size(1);
    auto g = F::grid_sample(f, fine_cell_centres(B, f.options()),
                            F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
    g = upsample_dropout_->forward(upsample_bn_->forward(torch::relu(g)));
    // 'b c (ph h) (pw w) -> b (ph pw) c h w' with one N×N patch per coarse cell.
    auto patches = g.reshape({B, E, h, N, w, N}).permute({0, 2, 4, 1, 3, 5}).reshape({B, h * w, E, N, N});
    torch::Tensor global_in = g, slots;
    if (spec_.has_ext()) {
      FUFI_CHECK(in.ext.defined(), UsageError, "uno: the data spec has ext but the input has none");
      slots = hour_slot_indices(in.ext, spec_, "uno");
      ext_maps_.append(patches, global_in, in.ext, slots);
    }
    auto local = local_->forward(patches.reshape({B, -1, N, N}));
    // 'b (ph pw c) h w -> b c (ph h) (pw w)'
    local = local.reshape({B, h, w, width_, N, N}).permute({0, 3, 1, 4, 2, 5}).reshape({B, width_, H, W});
    auto features = torch::cat({local, global_->forward(global_in)}, 1);
    // head[slot_b](features_b) per sample b; time_my for every sample without ext.
    auto raw = torch::relu(slots.defined() ? apply_hour_heads(hour_heads_, features, slots)
                                           : shared_head_->forward(features));
    return n2_recovered_output(raw, x, spec_, kUnoN2Epsilon, safe_n2_);
  }

 private:
  // make_coord((H, W)) flipped to (x, y): the centres of the fine cells in [−1, 1], for grid_sample.
  torch::Tensor fine_cell_centres(std::int64_t batch, const torch::TensorOptions& options) const {
    const auto H = spec_.fine_h(), W = spec_.fine_w();
    auto centres = [&](std::int64_t n) {
      return (torch::arange(n, options.dtype(torch::kFloat64)) * 2.0 + 1.0) / static_cast<double>(n) - 1.0;
    };
    auto xs = centres(W).view({1, W}).expand({H, W});
    auto ys = centres(H).view({H, 1}).expand({H, W});
    return torch::stack({xs, ys}, -1).to(options.dtype()).unsqueeze(0).expand({batch, H, W, 2});
  }

  DataSpec spec_;
  std::int64_t width_;
  bool safe_n2_;
  EdsrEncoder encoder_{nullptr};
  LinearAttention attention0_{nullptr}, attention1_{nullptr};
  BatchNorm2d upsample_bn_{nullptr};
  nn::Dropout upsample_dropout_{nullptr};
  HourExtMaps ext_maps_;
  CufarMiniModel global_{nullptr}, local_{nullptr};
  nn::ModuleList hour_heads_;
  nn::Conv2d shared_head_{nullptr};
};

}  // namespace

void register_uno_models(ModelRegistry& registry) {
  ModelInfo info;
  info.name = "uno";
  info.description = "UNO: EDSR encoder + linear attention, grid-sample upsampling, per-cell local + global "
                     "branches, hour-specific heads";
  info.params = {
      {"channels", "128", "feature width of each branch (the heads read 2 x channels)"},
      {"edsr_channels", "64", "width of the EDSR encoder and the attention blocks"},
      {"edsr_blocks", "16", "residual blocks of the EDSR encoder"},
      {"attn_heads", "16", "heads of the two linear-attention blocks (edsr_channels / attn_heads per head)"},
      {"safe_n2", "false", "true: smoothed N2 so that an all-zero block keeps its coarse value (off = reference)"},
  };
  // model_train/train_single.py: F.smooth_l1_loss (beta 1) on raw counts, Adam lr 2e-4 with betas
  // (0.9, 0.9), lr x0.5 at epochs 0, 20, 40 then x0.8 every epoch from 50 (lr_schedule=uno), 60 epochs,
  // batch 16.
  info.recipes["reference"] = Config::from_assignments(
      {"epochs=60", "batch_size=16", "lr=0.0002", "lr_halve_every=0", "lr_schedule=uno", "adam_beta1=0.9",
       "adam_beta2=0.9", "loss=smooth_l1", "scaler_x=1", "scaler_y=1"},
      "uno reference recipe");
  info.create = [](const DataSpec& spec, const Config& cfg) -> std::shared_ptr<FufiModel> {
    return std::make_shared<Uno>(spec, cfg);
  };
  registry.add(std::move(info));
}

}  // namespace fufi::model
