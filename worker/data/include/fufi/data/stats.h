#pragma once
// Descriptive statistics of a FUFI dataset (`fufi data stats`): shapes, value quantiles, zero fraction,
// the spatial constraint, ext ranges. Used to compare the synthetic data with TaxiBJ and BikeNYC.
#include <cstdint>
#include <string>
#include <vector>

#include "fufi/data/dataset.h"

namespace fufi::data {

struct ValueStats {
  std::uint64_t count = 0;
  double min = 0, max = 0, mean = 0;
  double zero_fraction = 0;
  // Quantiles of all values.
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0;
  // Of the non-zero values: median and the tail ratio p99.9 / median.
  double nonzero_median = 0, nonzero_p99 = 0, nonzero_p999 = 0;
};

ValueStats value_stats(const std::vector<float>& values);

struct ExtColumnStats {
  std::string name;
  double min = 0, max = 0, mean = 0;
  std::int64_t distinct = 0;
};

struct SplitStats {
  std::string split;
  std::vector<std::int64_t> x_shape, y_shape, ext_shape;
  ValueStats coarse, fine;
  std::vector<ExtColumnStats> ext;
};

struct DatasetStats {
  std::string dir;
  DataLayout layout;
  std::vector<SplitStats> splits;
  ConstraintReport constraint;
};

DatasetStats dataset_stats(const FufiData& data);
std::string stats_to_json(const std::vector<DatasetStats>& stats);
std::string stats_to_table(const std::vector<DatasetStats>& stats);

}  // namespace fufi::data
