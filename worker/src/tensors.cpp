#include "fufi/worker/tensors.h"

#include <algorithm>

#include "fufi/core/error.h"

namespace fufi::worker {

namespace {

torch::Tensor to_tensor(data::NpyArray&& a) {
  auto t = torch::empty(a.shape, torch::kFloat32);
  std::copy(a.values.begin(), a.values.end(), t.data_ptr<float>());
  a.values.clear();
  a.values.shrink_to_fit();
  return t;
}

}  // namespace

const TensorSplit& TensorDataset::split(const std::string& name) const {
  auto it = splits.find(name);
  if (it == splits.end()) FUFI_THROW(UsageError, "{}: split '{}' was not loaded", dir, name);
  return it->second;
}

model::DataSpec TensorDataset::spec() const {
  model::DataSpec s;
  s.flow_channels = layout.flow_channels;
  s.coarse_h = layout.coarse_h;
  s.coarse_w = layout.coarse_w;
  s.upscale = layout.upscale;
  s.ext_dim = layout.ext_dim;
  s.scaler_ratio = scalers.x / scalers.y;
  s.hour_offset = hour_min;
  s.hour_slots = hour_max - hour_min + 1;
  return s;
}

TensorDataset to_tensors(data::FufiData&& data, const Scalers& scalers) {
  FUFI_CHECK(scalers.x > 0 && scalers.y > 0, UsageError, "scalers must be positive (scaler_x={}, scaler_y={})",
             scalers.x, scalers.y);
  TensorDataset out;
  out.dir = data.dir;
  out.layout = data.layout;
  out.scalers = scalers;
  bool have_hours = false;
  for (auto& [name, split] : data.splits) {
    TensorSplit t;
    t.X = to_tensor(std::move(split.X)).div_(scalers.x);
    t.Y = to_tensor(std::move(split.Y)).div_(scalers.y);
    if (!split.ext.shape.empty()) {
      t.ext = to_tensor(std::move(split.ext));
      // Hour-specific heads need the hour range; the training split defines it (any split when absent).
      if (name == "train" || !have_hours) {
        auto hours = t.ext.select(1, model::ext_col::kHour);
        out.hour_min = static_cast<std::int64_t>(hours.min().item<float>());
        out.hour_max = static_cast<std::int64_t>(hours.max().item<float>());
        have_hours = name == "train";
      }
    }
    out.splits.emplace(name, std::move(t));
  }
  return out;
}

void accumulate_metrics(data::MetricAccumulator& acc, const torch::Tensor& prediction, const torch::Tensor& target,
                        double scale) {
  FUFI_CHECK(prediction.sizes() == target.sizes(), RuntimeError, "metrics: prediction shape {} != target shape {}",
             c10::str(prediction.sizes()), c10::str(target.sizes()));
  auto p = prediction.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  auto y = target.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  acc.add(p.data_ptr<float>(), y.data_ptr<float>(), static_cast<std::size_t>(p.numel()), scale);
}

}  // namespace fufi::worker
