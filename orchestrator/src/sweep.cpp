#include "fufi/orchestrator/sweep.h"

#include <fstream>
#include <sstream>

#include "fufi/core/error.h"
#include "fufi/orchestrator/sweep_grid.h"
#include "sweep_parser.h"

namespace fufi::orchestrator {

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
