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
  bool replace_sweep = false;      // as `fufi sweep --replace-sweep` would
};

// The job table (#, job, model, task, variant, seed, epochs, status, attempts) to `out`, the warnings and a
// summary ("N jobs (C configurations): d done, f failed, r to run; ...") to `err`, and the jobs of the DB
// that no sweep file has any more (orphans_warning). Under mpirun only rank 0 prints. Returns 0; the run's
// UsageError when the DB holds the sweep's name from another file (check_sweep_binding).
int show_sweep_plan(const SweepPlanOptions& options, std::ostream& out, std::ostream& err);

}  // namespace fufi::orchestrator
