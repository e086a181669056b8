// CUFAR (PattonYu/CUFAR, model/CUFAR.py): a local branch with its own weights per sub-region and a
// global branch, both turned into fine-resolution features by "mini models" (conv, conv, PixelShuffle,
// BN, Dropout), then an output conv chosen per sample by the hour of day. ../shared/reference/
// baselines.md §3 "CUFAR" has the layer shapes; 40,359,197 parameters at C=128, sub-region 4, ext on,
// 15 hour slots.
//
// Generalisations (the reference is fixed to 1 flow channel and 128 features):
// - C flow channels in and out (the inputs of both branches and the heads' outputs follow C);
// - any feature width: the heads read 2·channels (the reference hard-codes 256 = 2·128);
// - hour slots and offset from DataSpec (TaxiBJ: hour − 7 over 15 slots);
// - without ext (BikeNYC) the ext and time maps are off like the reference's use_exf=False, and the
//   hour-specific heads collapse to one shared head: the reference reads the hour from ext even
//   with use_exf=False, which data without ext cannot provide.
#include "fufi/core/error.h"
#include "fufi/model/baseline_blocks.h"
#include "fufi/model/builtin.h"
#include "fufi/model/layers.h"

namespace fufi::model {

namespace {

namespace nn = torch::nn;

constexpr double kCufarN2Epsilon = 1e-7;

class Cufar : public FufiModel {
 public:
  Cufar(const DataSpec& spec, const Config& cfg)
      : spec_(spec),
        width_(cfg.get_int("channels")),
        sub_region_(cfg.get_int("sub_region")),
        safe_n2_(cfg.get_bool("safe_n2")) {
    FUFI_CHECK(width_ >= 1, UsageError, "cufar: channels must be positive (got {})", width_);
    FUFI_CHECK(sub_region_ >= 1 && spec.coarse_h % sub_region_ == 0 && spec.coarse_w % sub_region_ == 0, UsageError,
               "cufar: sub_region {} must divide the coarse grid {}x{} (each of the sub_region x sub_region "
               "regions gets its own weights)",
               sub_region_, spec.coarse_h, spec.coarse_w);
    FUFI_CHECK(spec.upscale >= 1, UsageError, "cufar: upscale must be positive (got {})", spec.upscale);
    const auto C = spec.flow_channels, regions = sub_region_ * sub_region_;
    const auto region_cells = (spec.coarse_h / sub_region_) * (spec.coarse_w / sub_region_);
    const auto grid_cells = spec.coarse_h * spec.coarse_w;
    // Per region (and globally) the input is the flow map plus, with ext, an ext map and a time map.
    const auto per_region_in = C + (spec.has_ext() ? 2 : 0);
    if (spec.has_ext()) {
      FUFI_CHECK(spec.hour_slots >= 1, UsageError, "cufar: hour_slots must be positive (got {})", spec.hour_slots);
      ext_maps_ = HourExtMaps(*this, spec.hour_slots, region_cells, grid_cells);
    }
    global_ = register_module("global_model", CufarMiniModel(CufarMiniModelOptions{
                                                  per_region_in, width_, width_, 9, 1, spec.upscale}));
    local_ = register_module("local_sub_model",
                             CufarMiniModel(CufarMiniModelOptions{per_region_in * regions, width_ * regions,
                                                                  width_ * regions, 3, regions, spec.upscale}));
    const auto head_count = spec.has_ext() ? spec.hour_slots : 1;
    for (std::int64_t i = 0; i < head_count; ++i)
      heads_->push_back(nn::Conv2d(nn::Conv2dOptions(2 * width_, C, 3).padding(1)));
    register_module("time_conv", heads_);
    // PyTorch default initialisation, as the reference (no weight_init).
  }

  bool has_hour_heads() const override { return spec_.has_ext(); }

  ModelOutput forward(const ModelInput& in) override {
    const auto& x = in.coarse;
    const auto B = x.size(0), sr = sub_region_;
    const auto rh = spec_.coarse_h / sr, rw = spec_.coarse_w / sr;
    // einops 'b c (ph h) (pw w) -> b (ph pw) c h w': region index = row-major over the sr×sr regions.
    auto regions = x.reshape({B, spec_.flow_channels, sr, rh, sr, rw}).permute({0, 2, 4, 1, 3, 5});
    regions = regions.reshape({B, sr * sr, spec_.flow_channels, rh, rw});
    torch::Tensor global_in = x, slots;
    if (spec_.has_ext()) {
      FUFI_CHECK(in.ext.defined(), UsageError, "cufar: the data spec has ext but the input has none");
      slots = hour_slot_indices(in.ext, spec_, "cufar");
      ext_maps_.append(regions, global_in, in.ext, slots);
    }
    // Channels stacked region by region: the grouped convs then give each region its own weights.
    auto local = local_->forward(regions.reshape({B, -1, rh, rw}));
    const auto N = spec_.upscale;
    // 'b (ph pw c) h w -> b c (ph h) (pw w)'
    local = local.reshape({B, sr, sr, width_, rh * N, rw * N}).permute({0, 3, 1, 4, 2, 5});
    local = local.reshape({B, width_, spec_.fine_h(), spec_.fine_w()});
    auto features = torch::cat({local, global_->forward(global_in)}, 1);
    // ReLU(head[slot_b](features_b)) per sample b; the one shared head without ext.
    auto raw = torch::relu(slots.defined() ? apply_hour_heads(heads_, features, slots)
                                           : heads_->ptr<nn::Conv2dImpl>(0)->forward(features));
    return n2_recovered_output(raw, x, spec_, kCufarN2Epsilon, safe_n2_);
  }

 private:
  DataSpec spec_;
  std::int64_t width_, sub_region_;
  bool safe_n2_;
  HourExtMaps ext_maps_;
  CufarMiniModel global_{nullptr}, local_{nullptr};
  nn::ModuleList heads_;
};

}  // namespace

void register_cufar_models(ModelRegistry& registry) {
  ModelInfo info;
  info.name = "cufar";
  info.description = "CUFAR: per-region local + global mini models, hour-specific output heads";
  info.params = {
      {"channels", "128", "feature width of each branch (the heads read 2 x channels)"},
      {"sub_region", "4", "the coarse grid is cut into sub_region x sub_region regions with their own weights"},
      {"safe_n2", "false", "true: smoothed N2 so that an all-zero block keeps its coarse value (off = reference)"},
  };
  // train_single_task.py: F.mse_loss on raw counts, Adam lr 1e-4 with betas (0.9, 0.9) (b1 passed
  // twice), constant lr, 100 epochs, batch 16.
  info.recipes["reference"] = Config::from_assignments(
      {"epochs=100", "batch_size=16", "lr=0.0001", "lr_halve_every=0", "lr_schedule=halving", "adam_beta1=0.9",
       "adam_beta2=0.9", "loss=mse", "scaler_x=1", "scaler_y=1"},
      "cufar reference recipe");
  info.create = [](const DataSpec& spec, const Config& cfg) -> std::shared_ptr<FufiModel> {
    return std::make_shared<Cufar>(spec, cfg);
  };
  registry.add(std::move(info));
}

}  // namespace fufi::model
