#pragma once
// What every `fufi` subcommand shares: exit codes and turning exceptions into one clear message.
#include <string>
#include <vector>

#include "fufi/core/status.h"

namespace fufi::orchestrator {

// Exit codes: kExitOk, kExitRuntime, kExitUsage of fufi/core/status.h.
using ::fufi::kExitOk;
using ::fufi::kExitRuntime;
using ::fufi::kExitUsage;

// The top-level guard (exceptions to exit codes and one message line): core's (fufi/core/status.h).
using ::fufi::run_guarded;

// UsageError "--format: unknown format 'x' (table, json)" unless `format` is one of `valid`.
void check_format(const std::string& format, const std::vector<std::string>& valid);

// Whether this process prints a collective command's result: the only process, or rank 0 under mpirun.
bool is_reporting_rank();

}  // namespace fufi::orchestrator
