#pragma once
// `fufi train`: one job (one model, one dataset, one seed). Under mpirun every rank of the world trains it
// data-parallel (NCCL for device=cuda, MPI otherwise); alone, no MPI is initialised.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "fufi/core/config.h"

namespace fufi::orchestrator {

struct TrainOneOptions {
  std::string model, data, task, out;
  std::vector<std::string> sets;  // key=value (--set)
  std::uint64_t seed = 1;
  bool fresh = false;  // ignore (delete) OUT's checkpoints and start over
  bool quiet = false;  // no per-epoch lines
  bool strict = false;  // refuse data warnings (ext columns outside 0..1, constraint violations) as bad_data
  std::string diagnose;               // non-empty: step diagnostics to this JSONL file (worker/diagnosis.h)
  std::int64_t diagnose_steps = 20;   // with `diagnose`: the first steps recorded
};

// Trains, writing OUT (checkpoints, epochs.jsonl, metrics.json). Rank 0 prints one line per epoch to `err`
// ("epoch   0 of 0..59 ...", 0-based as everywhere, the count from the job's resolved settings, recipe included) and the test metrics to
// `out`, or the failure to `err`. Returns the exit code of the job's status and error class (status.h).
int train_one(const TrainOneOptions& options, std::ostream& out, std::ostream& err);

// The epochs a job of MODEL with these settings runs: its resolved settings (the engine's default < the
// model's recipe < the user's keys). 0 when they do not resolve (the engine then fails the job and says why).
std::int64_t planned_epochs(const std::string& model, const Config& settings, std::uint64_t seed);

}  // namespace fufi::orchestrator
