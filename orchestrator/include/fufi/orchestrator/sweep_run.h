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
#include <functional>
#include <iosfwd>
#include <string>

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
  bool quiet = false;
  double heartbeat_seconds = 5;  // how often a running job's heartbeat reaches the DB
};

// Every rank calls it. `load` is called on the coordinator only (workers never read the sweep file).
// Returns 0 when every job of the sweep is done, 1 when some failed for good or fail-fast stopped it.
// Errors before any job runs (a bad sweep file, a locked DB) are thrown on the coordinator after the
// workers were told to stop; errors after that abort the MPI job (the DB stays consistent: rerun).
int run_sweep(const std::function<Sweep()>& load, const SweepRunOptions& options, JobRunner& runner, std::ostream& out,
              std::ostream& err);

// Default directories next to the DB.
std::string default_runs_dir(const std::string& db_path);
std::string default_data_cache(const std::string& db_path);

// GPUs visible to this node without initialising CUDA: CUDA_VISIBLE_DEVICES when set, else the NVIDIA
// driver's /proc entries; 0 on machines without GPUs.
int detect_gpus();

// The GPU a worker uses: workers are numbered by node-local rank; `jobs_per_gpu` consecutive workers
// share a GPU; more workers than GPU slots wrap around. Returns the index into the node's GPUs.
int gpu_slot(int local_worker, int jobs_per_gpu, int gpus);

}  // namespace fufi::orchestrator
