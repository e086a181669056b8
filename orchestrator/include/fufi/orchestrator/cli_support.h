#pragma once
// What every `fufi` subcommand shares: exit codes and turning exceptions into one clear message.
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "fufi/core/status.h"

namespace fufi::orchestrator {

// Exit codes: kExitOk, kExitRuntime, kExitUsage of fufi/core/status.h.
using ::fufi::kExitOk;
using ::fufi::kExitRuntime;
using ::fufi::kExitUsage;

// Runs `body` and maps exceptions to exit codes: fufi::Error by its kind (Error::exit_code, the one mapping of
// status.h), std::bad_alloc and torch/std errors to 1.
// The message goes to `err` as "fufi: error: ...". FUFI_DEBUG=1 adds the throw site.
int run_guarded(const std::function<int()>& body, std::ostream& err);

// UsageError "--format: unknown format 'x' (table, json)" unless `format` is one of `valid`.
void check_format(const std::string& format, const std::vector<std::string>& valid);

// Whether this process prints a collective command's result: the only process, or rank 0 under mpirun.
bool is_reporting_rank();

}  // namespace fufi::orchestrator
