#pragma once
// `fufi sweep --plan`: what a sweep file expands to and what a run of it would do with a given DB, without
// running anything.
#include <iosfwd>
#include <string>

#include "fufi/orchestrator/sweep.h"

namespace fufi::orchestrator {

struct SweepPlanOptions {
  std::string file, db;
  SweepOverrides overrides;
  bool retry_failed = false;       // as `fufi sweep --retry-failed` would
  std::string format = "table";    // of the job table: table, csv, json or md
};

// The job table (#, job, model, task, variant, seed, epochs, status, attempts) to `out`, the warnings and a
// summary ("N jobs (C configurations): d done, f failed, r to run; ...") to `err`. Under mpirun only rank 0
// prints. Returns 0.
int show_sweep_plan(const SweepPlanOptions& options, std::ostream& out, std::ostream& err);

}  // namespace fufi::orchestrator
