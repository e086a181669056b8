#pragma once
// Metrics for test fixtures, set by name (FlowMetrics has no positional form): rmse = sqrt(mse).
#include <cmath>

#include "fufi/core/metrics.h"

namespace fufi::test {

inline FlowMetrics flow_metrics(double mse, double mae, double mape) {
  FlowMetrics m;
  m.mse = mse;
  m.mae = mae;
  m.mape = mape;
  m.rmse = std::sqrt(mse);
  return m;
}

}  // namespace fufi::test
