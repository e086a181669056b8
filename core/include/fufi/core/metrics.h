#pragma once
// FlowMetrics: the field's four error measures of a prediction (paper Eqs. 13-15), the one metrics type that
// the data layer computes (fufi/data/metrics.h), the engine reports (EpochRecord, RunResult), the sweep sends
// to its coordinator and the results database stores. Values are on de-scaled flows (raw counts):
//   mse  = mean (ŷ - y)²; mae = mean |ŷ - y|; mape = mean |ŷ - y| / y' (y' = y with zeros as 1; a fraction,
//   not x100); rmse = sqrt(mse). NaN where not measured (e.g. a job that never finished an epoch).
#include <cstdint>

namespace fufi {

struct FlowMetrics {
  // Not an aggregate, so metrics are only ever set by name: a positional {mse, rmse, mae, mape} once filled
  // two structs with different member orders and would swap fields without a word from the compiler.
  constexpr FlowMetrics() {}

  double mse = 0, mae = 0, mape = 0, rmse = 0;
  std::uint64_t count = 0;  // cells averaged; not stored in the DB or in JSON files
};

}  // namespace fufi
