#pragma once
// A parsed sweep (SweepSpec: what the file says, every value with the file:line it came from) and its
// expansion into jobs: model x task x variant x the other axes (odometer order, the last axis fastest) x
// seed, kept or dropped by the include/exclude filters, each resolved by the engine's validation and given
// its id. expand_grid is a pure function of the spec (the model registry and the engine's key list are fixed
// at build time), so a sweep's jobs can be tested without files or data.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "fufi/orchestrator/sweep.h"

namespace fufi::orchestrator {

// A value from the sweep file with the place it came from.
struct SweepValue {
  std::string text;   // as the engine parses it; numbers normalised
  std::string where;  // "file:line", or "--set"
};
using SweepSettings = std::map<std::string, SweepValue>;             // key -> value
using SweepFilter = std::map<std::string, std::vector<SweepValue>>;  // key -> any of these values

struct SweepSpec {
  Sweep sweep;  // name, description, file, max_attempts, data; no jobs yet
  // Axes other than model and task, in the order of their keys (toml++ tables are ordered maps).
  std::vector<std::pair<std::string, std::vector<SweepValue>>> axes;
  std::vector<SweepValue> models, tasks;
  std::vector<std::uint64_t> seeds;
  // Precedence, lowest first: training < per model < axes < variant < --set.
  SweepSettings training;
  std::map<std::string, SweepSettings> per_model;
  std::vector<std::pair<std::string, SweepSettings>> variants;  // none: one unnamed variant
  std::string variants_where;                                    // where [variants] is, for messages
  SweepSettings sets;
  std::vector<SweepFilter> include, exclude;
  std::map<std::string, std::int64_t> train_samples;  // per task: what a job's work is counted in
};

struct SweepGrid {
  std::vector<SweepJob> jobs;         // in grid order
  std::vector<std::string> warnings;  // filters that match no job
};

// The jobs of `spec`. UsageError naming the file and the grid point when the engine rejects a job's
// configuration, when two grid points are the same job, or when no job is left.
SweepGrid expand_grid(const SweepSpec& spec);

}  // namespace fufi::orchestrator
