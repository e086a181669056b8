#pragma once
// The sweep file's TOML, read strictly into a SweepSpec (private to fufi_orchestrator). Every error is a
// UsageError naming file:line and, for names, the nearest valid one.
#include <string>

#include "fufi/orchestrator/sweep_grid.h"

namespace fufi::orchestrator {

// `path` names the file in messages. Fills everything but SweepSpec::train_samples.
SweepSpec parse_sweep_spec(const std::string& text, const std::string& path, const SweepOverrides& overrides);

}  // namespace fufi::orchestrator
