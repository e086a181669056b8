#pragma once
// Sweep files: one TOML file describes a whole experiment (docs/SWEEPS.md). Loading one parses it strictly
// (sweep_parser.cpp: an unknown key, a wrong type, an unknown model, loss, task or variant is a UsageError
// that names file:line and the nearest valid name) into a SweepSpec, then expands the grid (sweep_grid.h:
// axes x variants x seeds, filtered by include/exclude) and resolves every job's configuration through the
// engine's own validation. Job ids: job_id.h.
#include <string>
#include <vector>

#include "fufi/core/job.h"
#include "fufi/orchestrator/job_id.h"
#include "fufi/orchestrator/sweep_data.h"

namespace fufi::orchestrator {

// One job of a sweep: its JobSpec (id, group_id, model, task, variant, seed; `settings`: the keys the sweep
// sets, numbers normalised, sources "file:line", what the engine gets; `resolved`: every resolved key incl.
// model and seed, what the id hashes) and its expected cost.
struct SweepJob : JobSpec {
  double work = 1;  // max(1, epochs) x training samples: the unit in which expected durations are estimated
};

struct Sweep {
  std::string name, description;
  std::string file, file_text, file_sha256;
  int max_attempts = 2;
  SweepData data;
  std::vector<SweepJob> jobs;         // in grid order
  std::vector<std::string> warnings;  // e.g. an exclude filter that matches no job
};

struct SweepOverrides {
  std::vector<std::string> sets;  // key=value, applied to every job above everything in the file
  std::string data_root;          // replaces data.root (only for sweeps over a data root)
};

// Reads and expands a sweep file. UsageError/InputError (exit 2) with file:line for anything invalid.
Sweep load_sweep(const std::string& path, const SweepOverrides& overrides = {});
// The same from text; `path` is used in messages.
Sweep parse_sweep(const std::string& text, const std::string& path, const SweepOverrides& overrides = {});

}  // namespace fufi::orchestrator
