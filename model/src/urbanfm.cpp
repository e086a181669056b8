// UrbanFM (Liang et al., KDD 2019) as the reference code builds it (yoshall/UrbanFM, CUFAR's copy):
// ext subnet -> 9×9 stem -> residual blocks -> conv+BN + global skip -> sub-pixel upsampling ->
// cat(ext2hr) -> 9×9 conv, ReLU -> N2 (ε 1e-5) -> recovery. Also the input checks and the family's
// registration entry point shared by urbanpy.cpp, deeplgr.cpp and ode_models.cpp.
#include "fufi/core/error.h"
#include "fufi/model/baseline_blocks.h"
#include "fufi/model/builtin.h"
#include "fufi/model/layers.h"
#include "fufi/model/urban_baselines.h"

namespace fufi::model {

namespace nn = torch::nn;

bool urban_ext_enabled(const DataSpec& spec, const Config& config, const std::string& model) {
  if (!spec.has_ext() || !config.get_bool("use_ext")) return false;
  FUFI_CHECK(spec.ext_dim == ext_col::kCount, UsageError,
             "{}: its external-factor subnet embeds the {} TaxiBJ ext columns, but the data has {}; "
             "set use_ext=false to train without external factors",
             model, ext_col::kCount, spec.ext_dim);
  return true;
}

namespace {
// "16x1x32x32", or "nothing" for an undefined tensor (fmt::join moved headers across fmt versions).
std::string shape_text(const torch::Tensor& t) {
  if (!t.defined()) return "nothing";
  std::string out;
  for (auto d : t.sizes()) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out;
}
}  // namespace

void check_urban_input(const ModelInput& input, const DataSpec& spec, bool uses_ext, const std::string& model) {
  const auto& x = input.coarse;
  FUFI_CHECK(x.defined() && x.dim() == 4 && x.size(1) == spec.flow_channels && x.size(2) == spec.coarse_h &&
                 x.size(3) == spec.coarse_w,
             UsageError, "{}: coarse input must be (B, {}, {}, {}), got {}", model, spec.flow_channels, spec.coarse_h,
             spec.coarse_w, shape_text(x));
  if (!uses_ext) return;
  const auto& e = input.ext;
  FUFI_CHECK(e.defined() && e.dim() == 2 && e.size(0) == x.size(0) && e.size(1) == ext_col::kCount, UsageError,
             "{}: external factors must be (B, {}) next to a batch of {}, got {}", model, ext_col::kCount, x.size(0),
             shape_text(e));
}

namespace {

struct UrbanFMOptions {
  std::int64_t channels = 128;
  std::int64_t residual_blocks = 16;
  bool use_ext = true;
};

class UrbanFM : public FufiModel {
 public:
  UrbanFM(const DataSpec& spec, const UrbanFMOptions& opt) : spec_(spec), use_ext_(opt.use_ext) {
    FUFI_CHECK(opt.channels >= 1 && opt.residual_blocks >= 0, UsageError,
               "urbanfm: channels must be >= 1 and residual_blocks >= 0 (got {} and {})", opt.channels,
               opt.residual_blocks);
    trunk_ = UrbanFMTrunk(*this, spec, opt.channels, use_ext_, opt.residual_blocks,
                          [&] { return nn::AnyModule(ResidualBlock(opt.channels)); });
    // The head also reads the ext2hr channel.
    const auto extra = use_ext_ ? 1 : 0;
    head_ = register_module("head", nn::Conv2d(nn::Conv2dOptions(opt.channels + extra, spec.flow_channels, 9).padding(4)));
  }

  ModelOutput forward(const ModelInput& input) override {
    check_urban_input(input, spec_, use_ext_, "urbanfm");
    torch::Tensor ext_map;
    auto features = trunk_.forward(input, ext_map);
    auto raw = torch::relu(head_->forward(trunk_.input().with_fine_ext(features, ext_map)));
    return n2_recovered_output(raw, input.coarse, spec_, 1e-5);
  }

 private:
  DataSpec spec_;
  bool use_ext_;
  UrbanFMTrunk trunk_;
  nn::Conv2d head_{nullptr};
};

}  // namespace

void register_urbanfm_model(ModelRegistry& registry) {
  ModelInfo info;
  info.name = "urbanfm";
  info.description = "UrbanFM (KDD'19): residual CNN, sub-pixel upsampling, N2 normalization, ext subnet";
  info.params = {
      {"channels", "128", "base feature channels (the UrbanFM paper's default code uses 64; FUFI tables 128)"},
      {"residual_blocks", "16", "residual blocks at the coarse resolution"},
      {"use_ext", "true", "use external factors when the data has them (the reference's ext_flag)"},
  };
  // yoshall/UrbanFM train.py: MSE on Y/100 with X/1500 inputs, Adam(0.9, 0.999) lr 1e-4 halved every 20
  // epochs, 100 epochs, batch 16 (baselines.md §1).
  info.recipes["reference"] = Config::from_assignments(
      {"epochs=100", "batch_size=16", "lr=0.0001", "lr_halve_every=20", "lr_schedule=halving", "adam_beta1=0.9",
       "adam_beta2=0.999", "loss=mse", "scaler_x=1500", "scaler_y=100"},
      "urbanfm reference recipe");
  info.create = [](const DataSpec& spec, const Config& cfg) -> std::shared_ptr<FufiModel> {
    UrbanFMOptions opt;
    opt.channels = cfg.get_int("channels");
    opt.residual_blocks = cfg.get_int("residual_blocks");
    opt.use_ext = urban_ext_enabled(spec, cfg, "urbanfm");
    auto model = std::make_shared<UrbanFM>(spec, opt);
    // After make_shared: modules(include_self) needs the model owned by a shared_ptr.
    init_urbanfm_weights(*model);
    return model;
  };
  registry.add(std::move(info));
}

void register_urbanfm_family_models(ModelRegistry& registry) {
  register_urbanfm_model(registry);
  register_urbanpy_model(registry);
  register_deeplgr_model(registry);
  register_ode_models(registry);
}

}  // namespace fufi::model
