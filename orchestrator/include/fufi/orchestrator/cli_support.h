#pragma once
// What every `fufi` subcommand shares: exit codes and turning exceptions into one clear message.
#include <functional>
#include <iosfwd>

namespace fufi::orchestrator {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;  // a failure while doing valid work
constexpr int kExitUsage = 2;    // bad usage or bad input; the message names the file, key or argument

// Runs `body` and maps exceptions to exit codes: fufi::Error by its kind, torch/std errors to 1.
// The message goes to `err` as "fufi: error: ...". FUFI_DEBUG=1 adds the throw site.
int run_guarded(const std::function<int()>& body, std::ostream& err);

}  // namespace fufi::orchestrator
