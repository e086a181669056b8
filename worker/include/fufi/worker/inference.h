#pragma once
// Applying a checkpoint to coarse maps (`fufi infer`): the checkpoint records the model, its config,
// the data shape and the scalers, so nothing else must be given. Output is in raw counts, and every
// N×N block of it sums to its coarse cell (for models that keep the constraint).
#include <cstdint>
#include <string>
#include <vector>

namespace fufi::worker {

struct InferenceOptions {
  std::string checkpoint;
  std::string coarse;  // X.npy: (N,h,w) or (N,C,h,w), raw counts
  std::string ext;     // ext.npy (N,7); required iff the model was trained with external factors
  std::string out;     // Y.npy to write: the same rank as X
  std::int64_t batch = 32;
  std::string device = "cpu";
  int threads = 0;  // 0: all cores
};

struct InferenceSummary {
  std::string model;
  std::int64_t samples = 0;
  std::vector<std::int64_t> out_shape;
  double max_block_sum_error = 0;  // largest |block sum of the output - coarse input|
  double seconds = 0;
};

InferenceSummary run_inference(const InferenceOptions& options);

}  // namespace fufi::worker
