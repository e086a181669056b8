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
  // Memory format of the forward: "auto" (measured per model, shape and machine as training's channels_last=auto,
  // autotune.h, when the input has at least kMeasureFromBatches batches; NCHW below that, or a cached answer
  // is not looked up), "true" (NHWC) or "false" (NCHW). The formats differ in float rounding only.
  std::string channels_last = "auto";
};

// `fufi infer` measures the memory format only when the input is at least this many batches: the measurement
// costs 6 forwards of one batch.
inline constexpr std::int64_t kMeasureFromBatches = 8;

struct InferenceSummary {
  std::string model;
  std::int64_t samples = 0;
  std::vector<std::int64_t> out_shape;
  double max_block_sum_error = 0;  // largest |block sum of the output - coarse input|
  double seconds = 0;
  std::string memory_format;         // "channels_last" or "contiguous"
  std::string memory_format_source;  // "set", "measured", "cached", or "default" (too few batches to measure)
};

InferenceSummary run_inference(const InferenceOptions& options);

}  // namespace fufi::worker
