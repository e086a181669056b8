#pragma once
// The field's metrics (paper Eqs. 13-15 as the reference code computes them), on de-scaled values:
//   MSE  = mean (ŷ - y)²          over all cells of all samples (a global mean, not a mean of batch means)
//   MAE  = mean |ŷ - y|
//   MAPE = mean |ŷ - y| / y'      y' = y with zeros replaced by 1; a fraction (0.281), not x100
//   RMSE = sqrt(MSE)
// Accumulated in double so that millions of cells sum without drift; mergeable across batches and ranks.
#include <cstddef>
#include <cstdint>

#include "fufi/core/metrics.h"

namespace fufi::data {

// The one metrics type (fufi/core/metrics.h), shared with the engine, the sweep and the results DB.
using FlowMetrics = ::fufi::FlowMetrics;

class MetricAccumulator {
 public:
  // `scale` multiplies both predictions and targets first (de-scaling: scaler_Y).
  void add(const float* prediction, const float* target, std::size_t n, double scale = 1.0);
  void merge(const MetricAccumulator& other);
  FlowMetrics result() const;

  // Raw sums, for all-reducing across ranks: {squared, absolute, percentage, count}.
  double sum_squared() const { return sse_; }
  double sum_absolute() const { return sae_; }
  double sum_percentage() const { return sape_; }
  std::uint64_t count() const { return count_; }
  static MetricAccumulator from_sums(double sse, double sae, double sape, std::uint64_t count);

 private:
  double sse_ = 0, sae_ = 0, sape_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace fufi::data

#include <string>

namespace fufi::data {

// Metrics of a prediction file against a target file (NPY). Shapes must match; a singleton channel
// axis on either side is ignored ((N,1,H,W) vs (N,H,W)). Non-finite predictions are an InputError.
FlowMetrics evaluate_npy_files(const std::string& prediction_path, const std::string& target_path);

}  // namespace fufi::data
