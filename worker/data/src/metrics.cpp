#include "fufi/data/metrics.h"

#include <cmath>

namespace fufi::data {

void MetricAccumulator::add(const float* prediction, const float* target, std::size_t n, double scale) {
  double sse = 0, sae = 0, sape = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double p = static_cast<double>(prediction[i]) * scale;
    const double y = static_cast<double>(target[i]) * scale;
    const double err = p - y;
    const double abs_err = std::fabs(err);
    sse += err * err;
    sae += abs_err;
    sape += abs_err / (y == 0.0 ? 1.0 : std::fabs(y));
  }
  sse_ += sse;
  sae_ += sae;
  sape_ += sape;
  count_ += n;
}

void MetricAccumulator::merge(const MetricAccumulator& other) {
  sse_ += other.sse_;
  sae_ += other.sae_;
  sape_ += other.sape_;
  count_ += other.count_;
}

MetricAccumulator MetricAccumulator::from_sums(double sse, double sae, double sape, std::uint64_t count) {
  MetricAccumulator m;
  m.sse_ = sse;
  m.sae_ = sae;
  m.sape_ = sape;
  m.count_ = count;
  return m;
}

FlowMetrics MetricAccumulator::result() const {
  FlowMetrics m;
  m.count = count_;
  if (count_ == 0) return m;
  const double n = static_cast<double>(count_);
  m.mse = sse_ / n;
  m.mae = sae_ / n;
  m.mape = sape_ / n;
  m.rmse = std::sqrt(m.mse);
  return m;
}

}  // namespace fufi::data

#include "fufi/core/error.h"
#include "fufi/data/npy.h"

namespace fufi::data {

namespace {
std::vector<std::int64_t> without_singleton_channel(std::vector<std::int64_t> shape) {
  if (shape.size() == 4 && shape[1] == 1) shape.erase(shape.begin() + 1);
  return shape;
}
}  // namespace

FlowMetrics evaluate_npy_files(const std::string& prediction_path, const std::string& target_path) {
  NpyReadOptions finite;
  finite.allow_nonfinite = false;
  const NpyArray p = read_npy(prediction_path, finite);
  const NpyArray y = read_npy(target_path, finite);
  if (without_singleton_channel(p.shape) != without_singleton_channel(y.shape))
    FUFI_THROW(InputError, "{}: shape {} does not match {} of {}", prediction_path, shape_to_string(p.shape),
               shape_to_string(y.shape), target_path);
  MetricAccumulator acc;
  acc.add(p.values.data(), y.values.data(), p.values.size());
  return acc.result();
}

}  // namespace fufi::data
