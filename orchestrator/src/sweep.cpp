#include "fufi/orchestrator/sweep.h"

#include <fstream>
#include <sstream>

#include "fufi/core/error.h"
#include "fufi/orchestrator/sweep_grid.h"
#include "sweep_parser.h"

namespace fufi::orchestrator {

Config SweepJob::resolved() const {
  Config c = configuration->resolved;
  c.set("seed", normalise_value(std::to_string(seed)));
  return c;
}

JobSpec SweepJob::spec() const {
  JobSpec j;
  j.id = id;
  j.group_id = group_id();
  j.model = model();
  j.task = task();
  j.variant = variant();
  j.seed = seed;
  j.settings = settings();
  j.resolved = resolved();
  return j;
}

Sweep parse_sweep(const std::string& text, const std::string& path, const SweepOverrides& overrides) {
  SweepSpec spec = parse_sweep_spec(text, path, overrides);
  for (const auto& task : spec.tasks) spec.train_samples[task.text] = train_samples(spec.sweep.data, task.text);
  SweepGrid grid = expand_grid(spec);
  Sweep sweep = std::move(spec.sweep);
  sweep.jobs = std::move(grid.jobs);
  sweep.warnings = std::move(grid.warnings);
  return sweep;
}

Sweep load_sweep(const std::string& path, const SweepOverrides& overrides) {
  std::ifstream in(path, std::ios::binary);
  FUFI_CHECK(in, InputError, "{}: cannot read the sweep file", path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_sweep(text.str(), path, overrides);
}

}  // namespace fufi::orchestrator
