#pragma once
// FUFI datasets in the UrbanFM layout, torch-free: DIR/{train,valid,test}/{X.npy,Y.npy[,ext.npy]}.
//
//   X   (N,h,w) or (N,C,h,w)       coarse flows
//   Y   (N,H,W) or (N,C,H,W)       fine flows, H = s·h, W = s·w for one integer upscale s >= 2
//   ext (N,7)                      optional TaxiBJ external factors (absent: no external factors)
//
// A TaxiBJ root holds one such directory per task: ROOT/P1 .. ROOT/P4.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fufi/data/npy.h"

namespace fufi::data {

inline const std::vector<std::string>& split_names() {
  static const std::vector<std::string> names{"train", "valid", "test"};
  return names;
}

struct DataLayout {
  std::int64_t flow_channels = 1;  // C: the data's flow channels
  std::int64_t coarse_h = 0, coarse_w = 0;
  std::int64_t upscale = 0;
  std::int64_t ext_dim = 0;  // 0 or 7
  std::int64_t fine_h() const { return coarse_h * upscale; }
  std::int64_t fine_w() const { return coarse_w * upscale; }
};

struct SplitArrays {
  std::string name;  // "train", "valid", "test"
  NpyArray X;        // always (N,C,h,w) after loading
  NpyArray Y;        // always (N,C,H,W)
  NpyArray ext;      // (N,7) or empty when the dataset has no ext
  std::int64_t size() const { return X.shape.empty() ? 0 : X.shape[0]; }
};

// The largest violation of the spatial constraint (coarse == N×N block sum of fine).
struct ConstraintReport {
  double max_abs = 0.0;   // |blocksum(Y) - X|
  double max_rel = 0.0;   // |blocksum(Y) - X| / max(1, |X|)
  std::string split;      // where the largest relative violation is
  std::int64_t sample = -1, channel = -1, row = -1, col = -1;
  bool holds(double rel_tolerance) const { return max_rel <= rel_tolerance; }
};

struct LoadOptions {
  std::vector<std::string> splits = split_names();
  // true: what is otherwise a warning is an InputError: a constraint violation above the tolerance, ext's
  // continuous columns outside 0..1.
  bool strict = false;
  double constraint_tolerance = 1e-4;    // relative, per coarse cell
};

struct FufiData {
  std::string dir;
  DataLayout layout;
  std::map<std::string, SplitArrays> splits;
  ConstraintReport constraint;
  std::vector<std::string> warnings;  // a constraint violation, ext columns outside 0..1 (not strict)

  const SplitArrays& split(const std::string& name) const;
};

// Loads and validates every requested split. Throws InputError naming the file and the reason for a
// missing file, mismatched N or shapes, a non-integer upscale, negative or non-finite values, ext
// values out of range, or (strict) a constraint violation or ext continuous columns outside 0..1. A NaN or a
// negative flow is located as (file, sample, channel, row, col).
FufiData load_fufi_data(const std::string& dir, const LoadOptions& options = {});

// The paper's protocol (§5.1: "split ... with a ratio of 7:1:2"): the samples of train, valid and test,
// concatenated in that order (the released files are chronological and consecutive), re-split by count into
// the first 70 % / next 10 % / last 20 % (floors; the test split takes the rest). The layout, ext and the
// constraint report are kept; InputError when a split would be empty. `data` must hold all three splits.
void resplit_chronological(FufiData& data, int train_parts = 7, int valid_parts = 1, int test_parts = 2);

// ROOT/TASK when it exists; ROOT itself when TASK is empty and ROOT has train/. InputError otherwise.
std::string resolve_task_dir(const std::string& root, const std::string& task);

// The tasks under a TaxiBJ-style root (subdirectories that hold train/X.npy), sorted.
std::vector<std::string> list_tasks(const std::string& root);

// Constraint check of fine (N,C,H,W) against coarse (N,C,h,w), both flat arrays.
ConstraintReport check_constraint(const NpyArray& X, const NpyArray& Y, std::int64_t upscale,
                                  const std::string& split);

// Valid ranges of the integer ext columns: day 0..7, hour 0..23, weather 0..17.
void validate_ext(const NpyArray& ext, const std::string& file);

// One warning per continuous ext column (temperature, wind speed, holiday, weekend) with values outside the
// documented 0..1 scaling, naming the file, the column and its observed range. Empty when all fit.
std::vector<std::string> ext_range_warnings(const NpyArray& ext, const std::string& file);

}  // namespace fufi::data
