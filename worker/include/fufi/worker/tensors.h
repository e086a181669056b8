#pragma once
// A loaded FUFI dataset as contiguous float32 tensors, scaled for a model, plus the DataSpec a model
// is built from. Data stays resident in memory: TaxiBJ's largest task is ~0.3 GB.
#include <torch/torch.h>

#include <map>
#include <string>

#include "fufi/data/dataset.h"
#include "fufi/data/metrics.h"
#include "fufi/model/model.h"

namespace fufi::worker {

// X is divided by scaler_x and Y by scaler_y before a model sees them; predictions are multiplied by
// scaler_y before metrics (which are always on raw counts).
struct Scalers {
  double x = 1.0;
  double y = 1.0;
};

struct TensorSplit {
  torch::Tensor X;    // (N,C,h,w) scaled
  torch::Tensor Y;    // (N,C,H,W) scaled
  torch::Tensor ext;  // (N,7) raw encoding, or undefined
  std::int64_t size() const { return X.defined() ? X.size(0) : 0; }
};

struct TensorDataset {
  std::string dir;
  data::DataLayout layout;
  Scalers scalers;
  std::int64_t hour_min = 0, hour_max = 23;  // observed in the training split's ext (0..23 without ext)
  std::map<std::string, TensorSplit> splits;

  const TensorSplit& split(const std::string& name) const;
  model::DataSpec spec() const;
};

// Moves the arrays of `data` into tensors (the arrays are left empty).
TensorDataset to_tensors(data::FufiData&& data, const Scalers& scalers);

// Accumulates the field's metrics of predictions against targets, both in scaled units (multiplied by
// `scale` first). Tensors may live on any device; they are copied to the CPU as float32.
void accumulate_metrics(data::MetricAccumulator& acc, const torch::Tensor& prediction, const torch::Tensor& target,
                        double scale);

}  // namespace fufi::worker
