#pragma once
// fufi's one vocabulary for how a job ended and what the process exits with.
//
//   ErrorKind (fufi/core/error.h, what was thrown) -> ErrorClass (why a job failed) -> exit code
//
// error_class() and exit_code() are the only places that map one to the next: the CLI's top-level guard,
// `fufi train`, the sweep and the coordinator's retry rule all go through them. The text forms are what
// the results DB (jobs.status, jobs.error_class, attempts.*), metrics.json and the MPI messages hold.
#include <functional>
#include <iosfwd>
#include <string_view>

#include "fufi/core/error.h"

namespace fufi {

// Why a job failed. None: it did not fail.
enum class ErrorClass {
  None,         // ""
  Diverged,     // "diverged": a non-finite loss or validation MSE
  OutOfMemory,  // "out_of_memory"
  BadData,      // "bad_data": the data is missing or invalid (an InputError)
  BadConfig,    // "bad_config": the model or engine rejected the configuration (a UsageError); never retried
  Runtime,      // "runtime": anything else while doing valid work
  Io,           // "io": a file could not be written or read (full disk, quota, EIO); an IoError
};

// A job's (or one attempt's) state.
enum class JobStatus {
  Pending,      // "pending": waiting for a worker
  Running,      // "running"
  Done,         // "done": results stored
  Failed,       // "failed": for good (jobs), or this attempt (attempts, RunResult)
  Interrupted,  // "interrupted": the sweep died, or the engine stopped at stop_after_epochs
  Cancelled,    // "cancelled": fail-fast stopped it; it resumes on the next run
};

// A sweep run's state (the `sweep_runs` table): how one `fufi sweep` invocation ended.
enum class RunStatus {
  Running,      // "running"
  Finished,     // "finished": nothing left to run, and no job failed for good
  Failed,       // "failed": nothing left to run, and some jobs failed for good
  Stopped,      // "stopped": fail-fast stopped it
  Interrupted,  // "interrupted": the coordinator died (found by the next run)
};

// Exit codes of the `fufi` executable.
constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;  // a failure while doing valid work
constexpr int kExitUsage = 2;    // bad usage or bad input; the message names the file, key or argument

std::string_view to_string(ErrorClass error_class);
std::string_view to_string(JobStatus status);
std::string_view to_string(RunStatus status);
// The inverse of to_string. RuntimeError naming `text` and the valid names for anything else.
ErrorClass parse_error_class(std::string_view text);
JobStatus parse_job_status(std::string_view text);

// The class of a failure raised as `kind`: Input -> BadData, Usage -> BadConfig, Runtime -> Runtime, Io -> Io.
ErrorClass error_class(ErrorKind kind);
// The exit code of a failure of this class: 0 for None, 2 for BadData and BadConfig, else 1.
int exit_code(ErrorClass error_class);
// The exit code of a job that ended in `status` (with `error_class` when it failed): Done and Interrupted
// (stopped on purpose) are 0.
int exit_code(JobStatus status, ErrorClass error_class);

// The CLI's top-level guard: runs `body` and maps exceptions to exit codes: fufi::Error by its kind
// (Error::exit_code), std::bad_alloc and torch/std errors to 1. The message goes to `err` as one line
// "fufi: error: ..."; FUFI_DEBUG=1 adds the throw site (and a torch error's whole text). In core, not in the
// orchestrator, so that the `fufi` launcher, which links no LibTorch, runs its subcommands under it too.
int run_guarded(const std::function<int()>& body, std::ostream& err);

}  // namespace fufi
