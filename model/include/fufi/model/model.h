#pragma once
// The interface every fufi model implements. model/ knows nothing of files, ranks or databases:
// a model is built from a DataSpec (what the data looks like) and a Config (its hyperparameters).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fufi::model {

// What a model must know about the data; filled by the worker from a dataset.
struct DataSpec {
  std::int64_t flow_channels = 1;  // flow channels C of the data (TaxiBJ 1, BikeNYC 2); not a model's feature width
  std::int64_t coarse_h = 32;
  std::int64_t coarse_w = 32;
  std::int64_t upscale = 4;  // N: each coarse cell is an N×N block of fine cells
  std::int64_t ext_dim = 0;  // 0: no external factors; 7: the TaxiBJ 7-column encoding
  // The scaler ratio scaler_X / scaler_Y: multiplied with the (scaled) coarse input it gives fine-scaled units.
  // The density-based recovery multiplies its block densities by the upsampled coarse map times this.
  double scaler_ratio = 1.0;
  // Hour-specific heads (CUFAR, UNO) use slot = hour - hour_offset, 0 <= slot < hour_slots.
  std::int64_t hour_offset = 0;
  std::int64_t hour_slots = 24;

  std::int64_t fine_h() const { return coarse_h * upscale; }
  std::int64_t fine_w() const { return coarse_w * upscale; }
  bool has_ext() const { return ext_dim > 0; }
};

// The TaxiBJ external-factor columns (../shared/reference/data.md).
namespace ext_col {
constexpr int kTemperature = 0;  // min-max scaled
constexpr int kWind = 1;         // min-max scaled
constexpr int kHoliday = 2;      // 0/1
constexpr int kWeekend = 3;      // 0/1
constexpr int kDayOfWeek = 4;    // 1..7
constexpr int kHour = 5;         // 0..23
constexpr int kWeather = 6;      // 1..17
constexpr int kCount = 7;
constexpr int kContinuous = 4;   // columns 0..3 are fed raw
}  // namespace ext_col

struct ModelInput {
  torch::Tensor coarse;  // (B, C, h, w) float32, in scaled units (X / scaler_X)
  torch::Tensor ext;     // (B, 7) float32 raw encoding; undefined when DataSpec::ext_dim == 0
};

struct ModelOutput {
  torch::Tensor fine;  // (B, C, h·N, w·N) in scaled fine units (Y / scaler_Y)
  // Extra outputs a model's own loss needs (UrbanPy: the intermediate-scale maps and densities,
  // coarsest first). Empty for most models.
  std::vector<torch::Tensor> intermediate;
  std::vector<torch::Tensor> densities;
};

class FufiModel : public torch::nn::Module {
 public:
  virtual ModelOutput forward(const ModelInput& input) = 0;

  // Models that are fitted from data instead of (or before) gradient training ("historical").
  virtual bool needs_fit() const { return false; }
  // coarse (N,C,h,w) and fine (N,C,H,W) in scaled units, the whole training split; ext (N,7) its raw
  // external factors, undefined when the data has none (context-dependent fits, e.g. historical by_hour,
  // need it and say so).
  virtual void fit(const torch::Tensor& coarse, const torch::Tensor& fine, const torch::Tensor& ext = {}) {}
  // True for models with one output head per hour of the training split (CUFAR, UNO with ext): every sample
  // they see must have an hour in DataSpec's hour_offset .. hour_offset + hour_slots - 1. The worker checks
  // every split against that range before training.
  virtual bool has_hour_heads() const { return false; }
  // False for parameter-free models: the engine then skips the optimizer.
  virtual bool trainable() const { return true; }

  // Models whose reference recipe has its own objective (UrbanPy: MSE over scales + alpha * KL of
  // densities) override these; the engine uses it when the training config says loss=model.
  // `target` is the (B,C,H,W) fine target in scaled units.
  virtual bool has_model_loss() const { return false; }
  virtual torch::Tensor model_loss(const ModelOutput& output, const torch::Tensor& target);
};

// All registered parameters, frozen ones included, as the reference code counts them.
std::int64_t count_parameters(const torch::nn::Module& module);

}  // namespace fufi::model
