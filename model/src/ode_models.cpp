// FODE (Zhou et al., AAAI 2020) and UrbanODE (Zhou et al., TKDE 2022) as CUFAR's copies build them:
// neural-ODE feature blocks on the coarse grid (one fixed RK4 step each), a LayerNorm'd conv, a CBAM-style
// channel gate, UrbanFM's sub-pixel upsampling and an external-factor path whose signed ODE terms are
// added to the output *after* its ReLU. That last detail is a reference quirk: the raw map handed to N2
// can be negative, so fine outputs can be negative too (down to about −311 at initialisation in the
// reference); block sums still hold. `safe_n2=true` clamps the raw map at zero first (off by default).
#include <cmath>

#include "fufi/core/error.h"
#include "fufi/model/baseline_blocks.h"
#include "fufi/model/layers.h"
#include "fufi/model/urban_baselines.h"

namespace fufi::model {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

torch::Tensor rk4_three_eighths_step(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                                     const torch::Tensor& y0, double dt) {
  auto k1 = f(y0);
  auto k2 = f(y0 + k1 * (dt / 3.0));
  auto k3 = f(y0 + (k2 - k1 / 3.0) * dt);
  auto k4 = f(y0 + (k1 - k2 + k3) * dt);
  return y0 + (k1 + 3.0 * k2 + 3.0 * k3 + k4) * (dt / 8.0);
}

namespace {
// 1×1 conv (bias) + PReLU: the reference's BasicBlock(default_conv, ..., act=nn.PReLU()).
nn::Sequential conv1x1_prelu(std::int64_t in, std::int64_t out) {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 1)), nn::PReLU());
}

// 3×3 patches with "same" zero padding as columns: (B, C, H, W) -> (B, C·9, H·W), (c, ky, kx) order.
torch::Tensor patch_columns(const torch::Tensor& x) {
  return F::unfold(x, F::UnfoldFuncOptions({3, 3}).padding(1));
}
}  // namespace

PyramidAttentionImpl::PyramidAttentionImpl(std::int64_t channels) {
  FUFI_CHECK(channels >= 2, UsageError, "PyramidAttention: needs at least 2 channels (got {})", channels);
  match_base_ = register_module("match_base", conv1x1_prelu(channels, channels / 2));
  match_ = register_module("match", conv1x1_prelu(channels, channels / 2));
  assembly_ = register_module("assembly", conv1x1_prelu(channels, channels));
}

// The reference loops over the batch with a conv2d against each sample's normalised key patches and a
// conv_transpose2d with its value patches. Both are GEMMs over patch columns, so they are done here as
// batched matmuls plus fold (col2im): the same sums, without building per-sample conv weights.
torch::Tensor PyramidAttentionImpl::forward(const torch::Tensor& input) {
  const auto h = input.size(2), w = input.size(3);
  std::vector<torch::Tensor> keys, values;  // per level: (B, C/2·9, L_s) and (B, C·9, L_s)
  for (int level = 0; level < 5; ++level) {
    const double scale = 1.0 - level / 10.0;
    auto ref = input;
    if (level > 0) {
      // PyTorch's interpolate(scale_factor=s, recompute_scale_factor=True): size floor(n·s), nearest
      // source index floor(i·in/out).
      const auto rh = static_cast<std::int64_t>(std::floor(static_cast<double>(h) * scale));
      const auto rw = static_cast<std::int64_t>(std::floor(static_cast<double>(w) * scale));
      ref = F::interpolate(input, F::InterpolateFuncOptions()
                                      .size(std::vector<std::int64_t>{rh, rw})
                                      .mode(torch::kNearest));
    }
    values.push_back(patch_columns(assembly_->forward(ref)));
    keys.push_back(patch_columns(match_->forward(ref)));
  }
  auto key = torch::cat(keys, 2).transpose(1, 2);     // (B, L, C/2·9)
  auto value = torch::cat(values, 2);                  // (B, C·9, L)
  key = key / key.norm(2, {2}, /*keepdim=*/true).clamp_min(1e-4);
  auto query = patch_columns(match_base_->forward(input));  // (B, C/2·9, H·W)
  auto attention = torch::softmax(torch::bmm(key, query) * 10.0, 1);  // over the L candidate patches
  auto pasted = F::fold(torch::bmm(value, attention),
                        F::FoldFuncOptions({h, w}, {3, 3}).padding(1));  // = conv_transpose2d, padding 1
  return pasted / 4.0 + input;
}

namespace {

// dy/dt = GN(conv3(ReLU(GN(conv3(y))))) with GroupNorm(min(32, C), C); no time input, as the reference.
class ImageOdeImpl : public nn::Module {
 public:
  explicit ImageOdeImpl(std::int64_t c) {
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1)));
    norm1_ = register_module("norm1", nn::GroupNorm(std::min<std::int64_t>(32, c), c));
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1)));
    norm2_ = register_module("norm2", nn::GroupNorm(std::min<std::int64_t>(32, c), c));
  }
  torch::Tensor derivative(const torch::Tensor& y) {
    return norm2_->forward(conv2_->forward(torch::relu(norm1_->forward(conv1_->forward(y)))));
  }
  torch::Tensor forward(const torch::Tensor& y0) {
    return rk4_three_eighths_step([this](const torch::Tensor& y) { return derivative(y); }, y0);
  }

 private:
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
};
TORCH_MODULE(ImageOde);

// dy/dt = Linear(2d,d)(ELU(Linear(2d,2d)(ELU(Linear(d,2d)(y))))) applied along the last (width) axis of a
// (B,1,h,w) map, d = w: the reference's ODEfunc_ext(32) / ODEfunc_ext(128) on TaxiBJ.
class ExtOdeImpl : public nn::Module {
 public:
  explicit ExtOdeImpl(std::int64_t d) {
    fc1_ = register_module("fc1", nn::Linear(d, 2 * d));
    fc2_ = register_module("fc2", nn::Linear(2 * d, 2 * d));
    fc3_ = register_module("fc3", nn::Linear(2 * d, d));
  }
  torch::Tensor derivative(const torch::Tensor& y) {
    return fc3_->forward(torch::elu(fc2_->forward(torch::elu(fc1_->forward(y)))));
  }
  torch::Tensor forward(const torch::Tensor& y0) {
    return rk4_three_eighths_step([this](const torch::Tensor& y) { return derivative(y); }, y0);
  }

 private:
  nn::Linear fc1_{nullptr}, fc2_{nullptr}, fc3_{nullptr};
};
TORCH_MODULE(ExtOde);

// CBAM channel gate: sigmoid(MLP_avg(avgpool x) + MLP_max(maxpool x)) · x, MLPs C→C/16→C with biases.
class ChannelGateImpl : public nn::Module {
 public:
  explicit ChannelGateImpl(std::int64_t c) {
    avg_mlp_ = register_module("avg_mlp", nn::Sequential(nn::Linear(c, c / 16), nn::ReLU(), nn::Linear(c / 16, c)));
    max_mlp_ = register_module("max_mlp", nn::Sequential(nn::Linear(c, c / 16), nn::ReLU(), nn::Linear(c / 16, c)));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto avg = avg_mlp_->forward(x.mean({2, 3}));
    auto max = max_mlp_->forward(std::get<0>(x.flatten(2).max(2)));
    return x * torch::sigmoid(avg + max).unsqueeze(2).unsqueeze(3);
  }

 private:
  nn::Sequential avg_mlp_{nullptr}, max_mlp_{nullptr};
};
TORCH_MODULE(ChannelGate);


struct OdeModelOptions {
  std::int64_t channels = 128;
  bool use_ext = true;
  bool safe_n2 = false;
};

void check_ode_channels(std::int64_t c, const char* model) {
  FUFI_CHECK(c >= 16 && (c <= 32 || c % 32 == 0), UsageError,
             "{}: channels must be >= 16 (its channel gate reduces by 16) and, above 32, a multiple of 32 "
             "(GroupNorm with 32 groups); got {}",
             model, c);
}

// The parts FODE and UrbanODE share: UrbanInput (ext subnet Linear 12→64, Dropout 0.5, ReLU, Linear
// 64→h·w, ReLU; ext2hr; the 9×9 stem, used without activation), the LayerNorm'd conv, the upsampler and the
// 9×9 head; the subclasses add their ext ODEs (coarse and fine) and image ODE blocks.
class OdeModelBase : public FufiModel {
 protected:
  OdeModelBase(const DataSpec& spec, const OdeModelOptions& opt, const char* name)
      : spec_(spec), opt_(opt), name_(name) {
    check_ode_channels(opt.channels, name);
    const auto c = spec.flow_channels, f = opt.channels;
    input_ = UrbanInput(*this, spec, UrbanInputOptions{f, opt.use_ext, UrbanExtNetOptions{64, 0.5}, spec.upscale});
    // LayerNorm over the whole (C, h, w) coarse feature map: 2·C·h·w parameters (262,144 on TaxiBJ).
    mixer_ = register_module(
        "mixer", nn::Sequential(nn::LayerNorm(nn::LayerNormOptions({f, spec.coarse_h, spec.coarse_w})), nn::ReLU(),
                                nn::Conv2d(nn::Conv2dOptions(f, f, 3).padding(1)), nn::ReLU()));
    upsampler_ =
        register_module("upsampler", SubPixelUpsampler(SubPixelUpsamplerOptions{f, spec.upscale, true, true, 0.0}));
    head_ = register_module("head", nn::Conv2d(nn::Conv2dOptions(f, c, 9).padding(4)));
  }

  // The subclass's ext ODE(s) at the coarse and at the fine resolution (called only with ext).
  virtual torch::Tensor coarse_ext_ode(const torch::Tensor& ext_map) = 0;
  virtual torch::Tensor fine_ext_ode(const torch::Tensor& ext_fine) = 0;

  // Checks the input; returns the stem's output over [flow, ext map + its coarse ODE term] (the
  // references' forward up to conv1) and leaves that ext map in `ext_map` (undefined without ext).
  torch::Tensor coarse_stem(const ModelInput& input, torch::Tensor& ext_map) {
    check_urban_input(input, spec_, opt_.use_ext, name_);
    if (opt_.use_ext) {
      ext_map = input_.ext_map(input.ext);
      ext_map = ext_map + coarse_ext_ode(ext_map);
    }
    return input_.stem(input.coarse, ext_map);
  }

  // stem + ode + mixer(stem + ode): the input of both references' channel gate.
  torch::Tensor mixed(const torch::Tensor& stem, const torch::Tensor& ode) {
    return stem + ode + mixer_->forward(stem + ode);
  }

  // ext2hr(ext_map) + its fine ODE term (undefined without ext); `ode` receives that term.
  torch::Tensor fine_ext_terms(const torch::Tensor& ext_map, torch::Tensor* ode = nullptr) {
    if (!opt_.use_ext) return {};
    auto ext_fine = input_.ext_to_fine(ext_map);
    auto term = fine_ext_ode(ext_fine);
    if (ode) *ode = term;
    return ext_fine + term;
  }

  // The raw map before N2: ReLU(head) plus the signed ext terms; clamped at 0 only with safe_n2.
  torch::Tensor raw_map(const torch::Tensor& upsampled, const torch::Tensor& ext_fine_terms) {
    auto raw = torch::relu(head_->forward(upsampled));
    if (ext_fine_terms.defined()) raw = raw + ext_fine_terms;
    return opt_.safe_n2 ? raw.clamp_min(0.0) : raw;
  }

  DataSpec spec_;
  OdeModelOptions opt_;
  std::string name_;
  UrbanInput input_;
  nn::Conv2d head_{nullptr};
  nn::Sequential mixer_{nullptr};
  SubPixelUpsampler upsampler_{nullptr};
};

class FODE : public OdeModelBase {
 public:
  FODE(const DataSpec& spec, const OdeModelOptions& opt) : OdeModelBase(spec, opt, "fode") {
    const auto f = opt.channels;
    if (opt.use_ext) {
      ext_ode_coarse_ = register_module("ext_ode_coarse", ExtOde(spec.coarse_w));
      ext_ode_fine_ = register_module("ext_ode_fine", ExtOde(spec.fine_w()));
    }
    image_ode_ = register_module("image_ode", ImageOde(f));
    gate_ = register_module("gate", ChannelGate(f));
  }

  ModelOutput forward(const ModelInput& input) override {
    torch::Tensor ext_map, ext_ode;
    auto stem = coarse_stem(input, ext_map);
    auto features = upsampler_->forward(gate_->forward(mixed(stem, image_ode_->forward(stem))));
    auto ext_terms = fine_ext_terms(ext_map, &ext_ode);
    constexpr double eps = 1e-6;
    auto density = n2_normalize(raw_map(features, ext_terms), spec_.upscale, eps);
    if (opt_.use_ext) {
      // σ(N2(ext ODE)) re-weights the density, then N2 again (the reference's "out·σ(e) + out").
      density = density * torch::sigmoid(n2_normalize(ext_ode, spec_.upscale, eps)) + density;
      density = n2_normalize(density, spec_.upscale, eps);
    }
    return {recover_from_density(density, input.coarse, spec_.upscale, spec_.scaler_ratio), {}, {}};
  }

 protected:
  torch::Tensor coarse_ext_ode(const torch::Tensor& ext_map) override { return ext_ode_coarse_->forward(ext_map); }
  torch::Tensor fine_ext_ode(const torch::Tensor& ext_fine) override { return ext_ode_fine_->forward(ext_fine); }

 private:
  ExtOde ext_ode_coarse_{nullptr}, ext_ode_fine_{nullptr};
  ImageOde image_ode_{nullptr};
  ChannelGate gate_{nullptr};
};

class UrbanODE : public OdeModelBase {
 public:
  UrbanODE(const DataSpec& spec, const OdeModelOptions& opt) : OdeModelBase(spec, opt, "urbanode") {
    const auto f = opt.channels;
    if (opt.use_ext) {
      for (int i = 0; i < 4; ++i) {
        ext_odes_coarse_->push_back(ExtOde(spec.coarse_w));
        ext_odes_fine_->push_back(ExtOde(spec.fine_w()));
      }
      register_module("ext_odes_coarse", ext_odes_coarse_);
      register_module("ext_odes_fine", ext_odes_fine_);
    }
    image_odes_->push_back(ImageOde(f));
    image_odes_->push_back(PyramidAttention(f));
    image_odes_->push_back(ImageOde(f));
    register_module("image_odes", image_odes_);
    gate_ = register_module("gate", ChannelGate(f));
    fine_gate_ = register_module("fine_gate", ChannelGate(f));
    // The reference defines conv4/conv5/conv6 and never calls them; they are registered so that the
    // parameter count (168,449 of them at C = 128) matches; they get no gradient.
    unused_ = register_module(
        "unused", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, f, 9).padding(4)),
                                 nn::Conv2d(nn::Conv2dOptions(f, f, 3).padding(1)),
                                 nn::Conv2d(nn::Conv2dOptions(f, spec.flow_channels, 9).padding(4))));
  }

  ModelOutput forward(const ModelInput& input) override {
    torch::Tensor ext_map;
    auto stem = coarse_stem(input, ext_map);
    auto features = stem + gate_->forward(mixed(stem, image_odes_->forward(stem)));
    features = fine_gate_->forward(upsampler_->forward(features));
    auto raw = raw_map(features, fine_ext_terms(ext_map));
    return n2_recovered_output(raw, input.coarse, spec_, 1e-7);
  }

 protected:
  torch::Tensor coarse_ext_ode(const torch::Tensor& ext_map) override { return ext_odes_coarse_->forward(ext_map); }
  torch::Tensor fine_ext_ode(const torch::Tensor& ext_fine) override { return ext_odes_fine_->forward(ext_fine); }

 private:
  nn::Sequential ext_odes_coarse_, ext_odes_fine_, image_odes_;
  ChannelGate gate_{nullptr}, fine_gate_{nullptr};
  nn::Sequential unused_{nullptr};
};

std::vector<ParamSpec> ode_params() {
  return {
      {"channels", "128", "base feature channels (>= 16; above 32 a multiple of 32)"},
      {"use_ext", "true", "use external factors when the data has them (the reference's ext_flag)"},
      {"safe_n2", "false",
       "clamp the raw map at 0 before N2 (the reference adds signed ext terms after its ReLU, so outputs "
       "can be negative); keep false to reproduce the paper"},
  };
}

// CUFAR train_single_task.py, which drives both: F.mse_loss on raw counts (scalers 1), Adam lr 1e-4 with
// betas (0.9, 0.9) (b1 passed twice), constant lr, 100 epochs, batch 16 (baselines.md §1).
Config cufar_single_task_recipe(const std::string& model) {
  return Config::from_assignments({"epochs=100", "batch_size=16", "lr=0.0001", "lr_halve_every=0",
                                   "lr_schedule=halving", "adam_beta1=0.9", "adam_beta2=0.9", "loss=mse",
                                   "scaler_x=1", "scaler_y=1"},
                                  model + " reference recipe");
}

OdeModelOptions ode_options(const DataSpec& spec, const Config& cfg, const std::string& model) {
  OdeModelOptions opt;
  opt.channels = cfg.get_int("channels");
  opt.use_ext = urban_ext_enabled(spec, cfg, model);
  opt.safe_n2 = cfg.get_bool("safe_n2");
  return opt;
}

// FODE and UrbanODE share their keys and the recipe of the script that drives both.
template <class Model>
ModelInfo ode_model_info(const std::string& name, const std::string& description) {
  ModelInfo info;
  info.name = name;
  info.description = description;
  info.params = ode_params();
  info.recipes["reference"] = cufar_single_task_recipe(name);
  info.create = [name](const DataSpec& spec, const Config& cfg) -> std::shared_ptr<FufiModel> {
    return std::make_shared<Model>(spec, ode_options(spec, cfg, name));
  };
  return info;
}

}  // namespace

void register_ode_models(ModelRegistry& registry) {
  registry.add(ode_model_info<FODE>(
      "fode", "FODE (AAAI'20): neural-ODE blocks (one RK4 3/8 step), channel gate, ext ODEs, N2"));
  registry.add(ode_model_info<UrbanODE>(
      "urbanode", "UrbanODE (TKDE'22): ODE blocks around pyramid attention, stacked ext ODEs, N2"));
}

}  // namespace fufi::model
