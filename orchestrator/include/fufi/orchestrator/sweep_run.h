#pragma once
// Running a sweep. Under mpirun (or srun), rank 0 is the coordinator and the only writer of the DB; the
// other ranks are workers in groups of `ranks_per_job` consecutive ranks, each group training one job
// at a time (data-parallel over the group's communicator). Without mpirun, or with a single rank, the
// process runs the jobs itself, one after another, through the same coordinator.
//
// Protocol (all messages are small JSON texts on a duplicate of MPI_COMM_WORLD):
//   group leader -> coordinator   HELLO (where it runs), BEGIN (resumed at epoch k), EPOCH, HEARTBEAT, RESULT
//   coordinator -> group leader   JOB (a JobTicket), CANCEL (fail-fast), STOP
//   leader -> the group's ranks   the JOB or STOP, by a non-blocking broadcast on the group's communicator
// Waiting ranks poll (MPI_Iprobe / MPI_Test, sleeping 20 us .. 2 ms in between): none spins a core.
//
// Where it lives: sweep_run.cpp (roles, communicators), sweep_local.cpp (one process),
// sweep_coordinator_loop.cpp (rank 0), sweep_worker.cpp (the groups), mpi_transport.cpp (sending and
// polling), wire_format.cpp (the messages), sweep_session.cpp (DB lock, registration, summary),
// sweep_sinks.cpp (where records go), sweep_progress.cpp (the status line), placement.cpp (GPUs, threads).
// MPI errors: the communicators the sweep creates return error codes, and every MPI call is checked by
// FUFI_MPI_CHECK (fufi/core/mpi_check.h), which names the call and its site.
#include <functional>
#include <iosfwd>
#include <string>

#include "fufi/orchestrator/placement.h"
#include "fufi/orchestrator/runner.h"
#include "fufi/orchestrator/sweep.h"

namespace fufi::orchestrator {

struct SweepRunOptions {
  std::string db_path;
  std::string runs_dir;    // "" = <DB's directory>/runs
  std::string data_cache;  // "" = <DB's directory>/data (synthetic data, generated once)
  int ranks_per_job = 1;
  int jobs_per_gpu = 1;
  int gpus = -1;  // GPUs per node; -1: CUDA_VISIBLE_DEVICES or /proc/driver/nvidia/gpus
  bool fail_fast = false;
  bool retry_failed = false;
  bool replace_sweep = false;  // --replace-sweep: this file takes over a sweep name another file holds in the DB
  bool quiet = false;
  bool check_data = true;    // load each task of a data root once before the DB exists (sweep_data.h)
  bool strict_data = false;  // --strict: the data's warnings (ext columns outside 0..1, ...) refuse the sweep
  double heartbeat_seconds = 5;  // how often a running job's heartbeat reaches the DB
};

// Every rank calls it. `load` is called on the coordinator only (workers never read the sweep file).
// Returns 0 when every job of the sweep is done, 1 when some failed for good or fail-fast stopped it.
// Errors before any job runs (a bad sweep file, a locked DB) are thrown on the coordinator after the
// workers were told to stop; errors after that abort the MPI job (the DB stays consistent: rerun).
int run_sweep(const std::function<Sweep()>& load, const SweepRunOptions& options, JobRunner& runner, std::ostream& out,
              std::ostream& err);

// `fufi sweep FILE`: run_sweep of the sweep file (read on the coordinator only) with the runner named
// `runner` (make_runner).
int run_sweep_file(const std::string& file, const SweepOverrides& overrides, const SweepRunOptions& options,
                   const std::string& runner, std::ostream& out, std::ostream& err);

// Default directories next to the DB.
std::string default_runs_dir(const std::string& db_path);
std::string default_data_cache(const std::string& db_path);

}  // namespace fufi::orchestrator
