#pragma once
// One training job as every component sees it, and what it reports per epoch. The sweep expands a file into
// JobSpecs (orchestrator), the database stores them (results::JobRecord), the coordinator sends them to
// workers (orchestrator::JobTicket) and the engine trains them (worker::TrainJob): each of those types *is*
// a JobSpec plus what only its component needs, so a job's fields are written down once.
#include <cstdint>
#include <string>

#include "fufi/core/config.h"
#include "fufi/core/metrics.h"

namespace fufi {

struct JobSpec {
  std::string id;        // 64 hex digits: SHA-256 of the job's canonical text (orchestrator/job_id.h); "" outside a sweep
  std::string group_id;  // the same hash without the seed: the jobs whose results are averaged
  std::string model;
  std::string task;      // P1..P4 under a data root; "" when the data directory is the dataset itself
  std::string variant;   // the sweep's variant name ("" without variants)
  std::uint64_t seed = 1;
  Config settings;  // the keys the user or the sweep sets (numbers normalised): what the engine resolves
  Config resolved;  // every resolved key incl. model and seed, normalised: what the id hashes (sweeps only)
};

// One finished epoch of a job (the engine emits it; epochs.jsonl and the `epochs` table hold it).
struct EpochRecord {
  std::int64_t epoch = 0;  // 0-based
  double train_loss = 0;   // mean over the epoch's training samples
  FlowMetrics valid;
  double lr = 0;
  double seconds = 0;
  double samples_per_second = 0;
  bool best = false;  // this epoch's validation MSE is the best so far
};

}  // namespace fufi
