#pragma once
// The three ways a process takes part in a sweep (private to fufi_orchestrator): alone (sweep_local.cpp),
// as the MPI coordinator (sweep_coordinator_loop.cpp) or as a worker rank (sweep_worker.cpp). run_sweep
// (sweep_run.cpp) picks one.
#include <mpi.h>

#include <functional>
#include <iosfwd>

#include "fufi/orchestrator/runner.h"
#include "fufi/orchestrator/sweep_run.h"

namespace fufi::orchestrator {

// This rank's place in the world.
struct Layout {
  int rank = 0, size = 1;
  int group = -1;  // this rank's group; -1: coordinator or idle
  int groups = 0;
  int local_worker = 0, local_workers = 1;  // among the workers of this node
};

// runner.run(), with anything it throws turned into a failed result (error_class_of): a job's failure never
// takes the sweep down.
worker::RunResult run_safely(JobRunner& runner, const JobTicket& t, worker::RecordSink& sink, worker::Communicator& comm,
                             const worker::EngineCallbacks& callbacks);

// Without workers: this process runs each job in turn.
int run_local(const std::function<Sweep()>& load, const SweepRunOptions& o, JobRunner& runner, std::ostream& out,
              std::ostream& err);
// Rank 0 under mpirun: hands out jobs, records what comes back. Errors after the workers started abort the
// MPI job (the DB stays consistent: rerun).
int run_coordinator(const std::function<Sweep()>& load, const SweepRunOptions& o, const Layout& layout, MPI_Comm comm,
                    std::ostream& out, std::ostream& err);
// A worker rank: trains the jobs its group's leader receives, until STOP.
void run_worker(const SweepRunOptions& o, const Layout& layout, MPI_Comm comm, MPI_Comm group, JobRunner& runner,
                results::Provenance provenance, int threads);

}  // namespace fufi::orchestrator
