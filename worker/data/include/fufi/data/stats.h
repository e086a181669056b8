#pragma once
// Descriptive statistics of a FUFI dataset (`fufi data stats`): shapes, value quantiles, zero fraction,
// the spatial constraint, ext ranges, and what context is worth (naive references' test MAE). Used to
// compare the synthetic data with TaxiBJ and BikeNYC.
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

// What context is worth on a dataset, before training anything: three naive references fitted on the
// training split and scored on an evaluation split (test by default), by MAE on raw values over every fine
// cell of every channel. The same definitions as the `historical` model (model/src/naive.cpp):
//   uniform   each coarse cell spread evenly over its s×s block
//   static    each fine cell's flow-weighted share of its block, Σ_t fine_t / Σ_t block_t over the
//             training split (blocks that never carried flow: uniform)
//   by hour   the same share from the training samples of the evaluated sample's hour of day (ext column 5);
//             a block that never carried flow at that hour (or an hour absent from training): the static share
// static_over_uniform = mae_static / mae_uniform: how much a learned layout can explain at all (lower: more).
// by_hour_gain = 1 - mae_by_hour / mae_static: the relative MAE reduction the hour buys over the static
// share (positive: the hour changes where flow goes inside a block). NaN where not applicable.
struct ContextStats {
  std::string split;              // the evaluated split
  bool available = false;         // false: the dataset lacks the train or the evaluated split
  bool by_hour_applicable = false;  // false: no ext (the by-hour numbers are NaN)
  std::string note;               // why something is not applicable
  double mae_uniform = 0, mae_static = 0, mae_by_hour = 0;
  double static_over_uniform = 0, by_hour_gain = 0;
  std::int64_t train_hours = 0;   // distinct hours of day in the training split
};

// Throws InputError when the training and evaluated splits' layouts differ (load_fufi_data prevents it).
ContextStats context_stats(const FufiData& data, const std::string& split = "test");

struct DatasetStats {
  std::string dir;
  DataLayout layout;
  std::vector<SplitStats> splits;
  ConstraintReport constraint;
  ContextStats context;
};

DatasetStats dataset_stats(const FufiData& data);
std::string stats_to_json(const std::vector<DatasetStats>& stats);
std::string stats_to_table(const std::vector<DatasetStats>& stats);

}  // namespace fufi::data
