// The five generic super-resolution baselines in the form the FUFI literature uses them: the
// UrbanSTA adaptations (Wangzheaos/UrbanSTA, Models/) of SRCNN, ESPCN, VDSR, DeepSD and SRResNet,
// which put UrbanFM's N2-normalisation and distributional recovery behind a plain SR network.
// Layer by layer as in ../shared/reference/baselines.md §3 "Generic SR baselines".
//
// Reference behaviour kept on purpose (it is what the published numbers were produced with):
// - no external factors;
// - N2 epsilon 1e-5;
// - the raw output conv goes straight into N2 with no ReLU, so densities can be negative and a
//   block whose raw sum is near zero blows up. `safe_n2=true` replaces N2 by a smoothed,
//   non-negative version (n2_normalize with N2Variant::Smoothed) for users who want a well-posed model.
#include "fufi/core/error.h"
#include "fufi/model/baseline_blocks.h"
#include "fufi/model/builtin.h"
#include "fufi/model/layers.h"

#include <cmath>

namespace fufi::model {

namespace nn = torch::nn;

namespace {

constexpr double kSrN2Epsilon = 1e-5;

nn::Conv2dOptions conv(std::int64_t in, std::int64_t out, std::int64_t kernel, bool bias = true) {
  return nn::Conv2dOptions(in, out, kernel).padding(kernel / 2).bias(bias);
}

// VDSR's and SRResNet's own initialisation (in their model classes): every conv weight
// ~ N(0, sqrt(2 / (k·k·c_out))), conv biases zeroed by SRResNet (VDSR leaves them at the default).
void init_he_fan_out(nn::Module& module, bool zero_bias) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2d>()) {
      const auto& k = c->options.kernel_size();
      double fan_out = static_cast<double>((*k)[0] * (*k)[1] * c->options.out_channels());
      c->weight.normal_(0.0, std::sqrt(2.0 / fan_out));
      if (zero_bias && c->bias.defined()) c->bias.zero_();
    }
  }
}

// Shared tail of the five models: raw map (B,C,H,W) -> N2 density -> recovered fine flow.
class SrBaseline : public FufiModel {
 public:
  SrBaseline(const DataSpec& spec, const Config& cfg, const char* name)
      : spec_(spec), width_(cfg.get_int("channels")), safe_n2_(cfg.get_bool("safe_n2")) {
    FUFI_CHECK(width_ >= 2, UsageError, "{}: channels must be at least 2 (got {})", name, width_);
    // Every model here upsamples with log2(N) sub-pixel ×2 stages.
    log2_exact(spec.upscale, name);
  }

  // Called by the factory once the model is owned by a shared_ptr (init_urbanfm_weights walks the
  // module tree from the model itself, which needs shared_from_this). Default: PyTorch's init.
  virtual void initialise() {}

 protected:
  ModelOutput recover(const torch::Tensor& raw, const torch::Tensor& coarse) const {
    return n2_recovered_output(raw, coarse, spec_, kSrN2Epsilon, safe_n2_);
  }
  SubPixelUpsampler distributional_upsampling(std::int64_t width) const {
    // UrbanFM's block: conv3 c→4c (bias), BN, PixelShuffle 2, ReLU, log2(N) times. The references
    // build int(N/2) stages (SRCNN, VDSR) or a fixed 2 (ESPCN, DeepSD); all equal log2(N) at N = 4.
    return SubPixelUpsampler(SubPixelUpsamplerOptions{width, spec_.upscale, /*batch_norm=*/true,
                                                      /*conv_bias=*/true, /*leaky_slope=*/0.0});
  }

  DataSpec spec_;
  std::int64_t width_;
  bool safe_n2_;
};

// SRCNN and ESPCN (UrbanSTA's variant) have one layout with other kernels: conv k1 C→c, ReLU; conv k2
// c→c/2, ReLU; upsampling at c/2; conv k3 c/2→C. SRCNN: 9, 5, 5; ESPCN: 5, 3, 3.
struct TwoConvSrLayout {
  std::int64_t k1, k2, k3;
  // UrbanSTA's train_SRCNN.py applies weights_init_normal (conv N(0,0.02), BN γ N(1,0.02), β 0) to the
  // model: that is the initialisation SRCNN's numbers come from. ESPCN keeps PyTorch's.
  bool urbanfm_init;
};

class TwoConvSr : public SrBaseline {
 public:
  TwoConvSr(const DataSpec& spec, const Config& cfg, const char* name, TwoConvSrLayout layout)
      : SrBaseline(spec, cfg, name), urbanfm_init_(layout.urbanfm_init) {
    const auto c = width_, half = width_ / 2;
    conv1_ = register_module("conv1", nn::Conv2d(conv(spec.flow_channels, c, layout.k1)));
    conv2_ = register_module("conv2", nn::Conv2d(conv(c, half, layout.k2)));
    upsampling_ = register_module("upsampling", distributional_upsampling(half));
    conv3_ = register_module("conv3", nn::Conv2d(conv(half, spec.flow_channels, layout.k3)));
  }
  void initialise() override {
    if (urbanfm_init_) init_urbanfm_weights(*this);
  }
  ModelOutput forward(const ModelInput& in) override {
    auto h = torch::relu(conv1_->forward(in.coarse));
    h = torch::relu(conv2_->forward(h));
    return recover(conv3_->forward(upsampling_->forward(h)), in.coarse);
  }

 private:
  bool urbanfm_init_;
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  SubPixelUpsampler upsampling_{nullptr};
};

class Srcnn : public TwoConvSr {
 public:
  Srcnn(const DataSpec& spec, const Config& cfg) : TwoConvSr(spec, cfg, "srcnn", {9, 5, 5, true}) {}
};
class Espcn : public TwoConvSr {
 public:
  Espcn(const DataSpec& spec, const Config& cfg) : TwoConvSr(spec, cfg, "espcn", {5, 3, 3, false}) {}
};

// VDSR: conv3 C→c (no bias), ReLU; 18 × [conv3 c→c (no bias), ReLU]; upsampling at c (BN, biased
// convs); conv3 c→C (no bias). No global residual: the N2 recovery takes its place.
class Vdsr : public SrBaseline {
 public:
  static constexpr int kLayers = 18;
  Vdsr(const DataSpec& spec, const Config& cfg) : SrBaseline(spec, cfg, "vdsr") {
    const auto c = width_;
    input_ = register_module("input", nn::Conv2d(conv(spec.flow_channels, c, 3, /*bias=*/false)));
    for (int i = 0; i < kLayers; ++i) body_->push_back(nn::Conv2d(conv(c, c, 3, /*bias=*/false)));
    register_module("residual_layer", body_);
    upsampling_ = register_module("upsampling", distributional_upsampling(c));
    output_ = register_module("output", nn::Conv2d(conv(c, spec.flow_channels, 3, /*bias=*/false)));
    init_he_fan_out(*this, /*zero_bias=*/false);
  }
  ModelOutput forward(const ModelInput& in) override {
    auto h = torch::relu(input_->forward(in.coarse));
    for (const auto& layer : *body_) h = torch::relu(layer->as<nn::Conv2d>()->forward(h));
    return recover(output_->forward(upsampling_->forward(h)), in.coarse);
  }

 private:
  nn::Conv2d input_{nullptr}, output_{nullptr};
  nn::ModuleList body_;
  SubPixelUpsampler upsampling_{nullptr};
};

// DeepSD (UrbanSTA's two-stage variant): stage 1 is an SRCNN at the coarse resolution ending in C
// channels (no ReLU after it); stage 2 is conv9 C→c, ReLU, conv5 c→c/2, ReLU; upsampling at c/2;
// conv5 c/2→C.
class DeepSd : public SrBaseline {
 public:
  DeepSd(const DataSpec& spec, const Config& cfg) : SrBaseline(spec, cfg, "deepsd") {
    const auto c = width_, half = width_ / 2, C = spec.flow_channels;
    stage1_->push_back(nn::Conv2d(conv(C, c, 9)));
    stage1_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
    stage1_->push_back(nn::Conv2d(conv(c, half, 5)));
    stage1_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
    stage1_->push_back(nn::Conv2d(conv(half, C, 5)));
    register_module("conv1", stage1_);
    stage2_->push_back(nn::Conv2d(conv(C, c, 9)));
    stage2_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
    stage2_->push_back(nn::Conv2d(conv(c, half, 5)));
    stage2_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
    register_module("conv2", stage2_);
    upsampling_ = register_module("upsampling", distributional_upsampling(half));
    conv_out_ = register_module("conv_out", nn::Conv2d(conv(half, C, 5)));
  }
  ModelOutput forward(const ModelInput& in) override {
    auto h = stage2_->forward(stage1_->forward(in.coarse));
    return recover(conv_out_->forward(upsampling_->forward(h)), in.coarse);
  }

 private:
  nn::Sequential stage1_, stage2_;
  nn::Conv2d conv_out_{nullptr};
  SubPixelUpsampler upsampling_{nullptr};
};

// SRResNet's residual block: conv3 (no bias), InstanceNorm (affine), LeakyReLU 0.2, conv3, IN, + x.
class SrResBlockImpl : public nn::Module {
 public:
  explicit SrResBlockImpl(std::int64_t c) {
    conv1_ = register_module("conv1", nn::Conv2d(conv(c, c, 3, /*bias=*/false)));
    in1_ = register_module("in1", nn::InstanceNorm2d(nn::InstanceNorm2dOptions(c).affine(true)));
    conv2_ = register_module("conv2", nn::Conv2d(conv(c, c, 3, /*bias=*/false)));
    in2_ = register_module("in2", nn::InstanceNorm2d(nn::InstanceNorm2dOptions(c).affine(true)));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto h = torch::leaky_relu(in1_->forward(conv1_->forward(x)), 0.2);
    return in2_->forward(conv2_->forward(h)) + x;
  }

 private:
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  nn::InstanceNorm2d in1_{nullptr}, in2_{nullptr};
};
TORCH_MODULE(SrResBlock);

// SRResNet: conv9 C→c (no bias), LeakyReLU 0.2; 16 residual blocks; conv3 + IN + global skip;
// log2(N) × [conv3 c→4c (no bias), PixelShuffle 2, LeakyReLU 0.2]; conv9 c→C (no bias).
class SrResNet : public SrBaseline {
 public:
  static constexpr int kBlocks = 16;
  SrResNet(const DataSpec& spec, const Config& cfg) : SrBaseline(spec, cfg, "srresnet") {
    const auto c = width_;
    conv_input_ = register_module("conv_input", nn::Conv2d(conv(spec.flow_channels, c, 9, /*bias=*/false)));
    for (int i = 0; i < kBlocks; ++i) blocks_->push_back(SrResBlock(c));
    register_module("residual", blocks_);
    conv_mid_ = register_module("conv_mid", nn::Conv2d(conv(c, c, 3, /*bias=*/false)));
    norm_mid_ = register_module("bn_mid", nn::InstanceNorm2d(nn::InstanceNorm2dOptions(c).affine(true)));
    // The reference builds one stage for N = 2 and two otherwise: log2(N) stages generalise both.
    upscale_ = register_module("upscale", SubPixelUpsampler(SubPixelUpsamplerOptions{
                                              c, spec.upscale, /*batch_norm=*/false, /*conv_bias=*/false,
                                              /*leaky_slope=*/0.2}));
    conv_output_ = register_module("conv_output", nn::Conv2d(conv(c, spec.flow_channels, 9, /*bias=*/false)));
    init_he_fan_out(*this, /*zero_bias=*/true);
  }
  ModelOutput forward(const ModelInput& in) override {
    auto skip = torch::leaky_relu(conv_input_->forward(in.coarse), 0.2);
    auto h = skip;
    for (const auto& block : *blocks_) h = block->as<SrResBlock>()->forward(h);
    h = norm_mid_->forward(conv_mid_->forward(h)) + skip;
    return recover(conv_output_->forward(upscale_->forward(h)), in.coarse);
  }

 private:
  nn::Conv2d conv_input_{nullptr}, conv_mid_{nullptr}, conv_output_{nullptr};
  nn::InstanceNorm2d norm_mid_{nullptr};
  nn::ModuleList blocks_;
  SubPixelUpsampler upscale_{nullptr};
};

// UrbanSTA's SR training scripts (Bashlines/train_{SRCNN,VDSR,SRResNet}.py): MSE, Adam(0.9, 0.999),
// 200 epochs, lr halved every 50 epochs (with a fresh Adam). ESPCN and DeepSD have no script there;
// they get SRCNN's, the closest architecture.
Config sr_recipe(const std::string& model, double lr, std::int64_t batch, double scaler_x, double scaler_y) {
  return Config::from_assignments(
      {"epochs=200", fmt::format("batch_size={}", batch), fmt::format("lr={}", lr), "lr_halve_every=50",
       "lr_schedule=halving", "adam_beta1=0.9", "adam_beta2=0.999", "loss=mse",
       fmt::format("scaler_x={}", scaler_x), fmt::format("scaler_y={}", scaler_y)},
      model + " reference recipe (UrbanSTA)");
}

template <class Model>
void add_sr_model(ModelRegistry& registry, const std::string& name, const std::string& description,
                  Config recipe) {
  ModelInfo info;
  info.name = name;
  info.description = description;
  info.params = {
      {"channels", "64", "feature width c (the issue's table also lists c=128)"},
      {"safe_n2", "false",
       "true: ReLU + smoothed N2 so every block keeps its coarse value (off = the reference, whose "
       "raw conv output can make densities negative or explode)"},
  };
  info.recipes["reference"] = std::move(recipe);
  info.create = [](const DataSpec& spec, const Config& cfg) -> std::shared_ptr<FufiModel> {
    auto model = std::make_shared<Model>(spec, cfg);
    model->initialise();
    return model;
  };
  registry.add(std::move(info));
}

}  // namespace

void register_sr_baseline_models(ModelRegistry& registry) {
  add_sr_model<Srcnn>(registry, "srcnn", "SRCNN + N2 recovery (UrbanSTA adaptation; no ext)",
                      sr_recipe("srcnn", 5e-4, 128, 1, 1));
  add_sr_model<Espcn>(registry, "espcn", "ESPCN + N2 recovery (UrbanSTA adaptation; no ext)",
                      sr_recipe("espcn", 5e-4, 128, 1, 1));
  add_sr_model<Vdsr>(registry, "vdsr", "VDSR, 20 conv layers + N2 recovery (UrbanSTA adaptation; no ext)",
                     sr_recipe("vdsr", 5e-4, 32, 1, 1));
  add_sr_model<DeepSd>(registry, "deepsd", "DeepSD, two stacked SRCNN stages + N2 recovery (UrbanSTA; no ext)",
                       sr_recipe("deepsd", 5e-4, 128, 1, 1));
  add_sr_model<SrResNet>(registry, "srresnet",
                         "SRResNet, 16 instance-norm residual blocks + N2 recovery (UrbanSTA; no ext)",
                         sr_recipe("srresnet", 5e-5, 32, 1500, 1000));
}

}  // namespace fufi::model
