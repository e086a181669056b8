#pragma once
// Sweep files: one TOML file describes a whole experiment (docs/SWEEPS.md). Loading one parses it strictly
// (sweep_parser.cpp: an unknown key, a wrong type, an unknown model, loss, task or variant is a UsageError
// that names file:line and the nearest valid name) into a SweepSpec, then expands the grid (sweep_grid.h:
// axes x variants x seeds, filtered by include/exclude) and resolves every job's configuration through the
// engine's own validation. Job ids: job_id.h.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fufi/core/job.h"
#include "fufi/orchestrator/job_id.h"
#include "fufi/orchestrator/sweep_data.h"

namespace fufi::orchestrator {

// What the jobs of one configuration (one grid point, over its seeds) share: resolved once, held once and
// shared by its jobs, so that a million-seed sweep holds one Config pair, not a million (issue #17).
struct SweepConfiguration {
  std::string group_id;  // the SHA-256 of the configuration's text without the seed (job_id.h)
  std::string model, task, variant;
  Config settings;  // the keys the sweep sets (numbers normalised, sources "file:line"): what the engine gets
  Config resolved;  // every resolved key incl. model, normalised, without the seed
  double work = 1;  // max(1, epochs) x training samples: the unit in which expected durations are estimated
};

// One job of a sweep: its id and seed, and its configuration (shared with the configuration's other seeds).
// spec() is the JobSpec the DB and the workers get (`resolved` with this job's seed: what the id hashes).
struct SweepJob {
  std::string id;  // 64 hex digits (job_id.h)
  std::uint64_t seed = 1;
  std::shared_ptr<const SweepConfiguration> configuration;

  const std::string& group_id() const { return configuration->group_id; }
  const std::string& model() const { return configuration->model; }
  const std::string& task() const { return configuration->task; }
  const std::string& variant() const { return configuration->variant; }
  const Config& settings() const { return configuration->settings; }
  double work() const { return configuration->work; }
  // Every resolved key incl. model and seed (a copy: the seed is this job's).
  Config resolved() const;
  JobSpec spec() const;
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
