// run_sweep: picks this process's role (alone, coordinator or worker) and builds the communicators.
#include "fufi/orchestrator/sweep_run.h"

#include <filesystem>

#include "fufi/core/error.h"
#include "fufi/core/mpi_check.h"
#include "fufi/orchestrator/provenance.h"
#include "fufi/worker/communicator.h"
#include "sweep_roles.h"

namespace fs = std::filesystem;

namespace fufi::orchestrator {

std::string default_runs_dir(const std::string& db_path) {
  return (fs::absolute(db_path).parent_path() / "runs").lexically_normal().string();
}

std::string default_data_cache(const std::string& db_path) {
  return (fs::absolute(db_path).parent_path() / "data").lexically_normal().string();
}

namespace {

// The sweep's communicators: a duplicate of the world for messages, the workers of each node (for the GPU
// mapping) and each rank group's. Their errors return codes (FUFI_MPI_CHECK turns them into exceptions).
struct Communicators {
  MPI_Comm comm = MPI_COMM_NULL, role = MPI_COMM_NULL, node = MPI_COMM_NULL, group = MPI_COMM_NULL;

  explicit Communicators(Layout& layout) {
    FUFI_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
    set_errors_return(comm);
    // Workers of this node (the coordinator apart) number themselves for the GPU mapping.
    FUFI_MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, layout.rank == 0 ? 0 : 1, layout.rank, &role));
    set_errors_return(role);
    FUFI_MPI_CHECK(MPI_Comm_split_type(role, MPI_COMM_TYPE_SHARED, layout.rank, MPI_INFO_NULL, &node));
    set_errors_return(node);
    FUFI_MPI_CHECK(MPI_Comm_rank(node, &layout.local_worker));
    FUFI_MPI_CHECK(MPI_Comm_size(node, &layout.local_workers));
    FUFI_MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, layout.group >= 0 ? layout.group : MPI_UNDEFINED, layout.rank, &group));
    if (group != MPI_COMM_NULL) set_errors_return(group);
  }
  // On the normal path: every free checked.
  void free() {
    for (MPI_Comm* c : {&group, &node, &role, &comm})
      if (*c != MPI_COMM_NULL) FUFI_MPI_CHECK(MPI_Comm_free(c));
  }
  // On an exception's way out: best effort, its result ignored (a destructor must not throw, and the error
  // being thrown is the one to report).
  ~Communicators() {
    for (MPI_Comm* c : {&group, &node, &role, &comm})
      if (*c != MPI_COMM_NULL) (void)MPI_Comm_free(c);
  }
  Communicators(const Communicators&) = delete;
  Communicators& operator=(const Communicators&) = delete;
};

void run_worker_rank(const SweepRunOptions& o, const Layout& layout, const Communicators& comms, JobRunner& runner) {
  auto provenance = local_provenance();
  const int slot = gpu_slot(layout.local_worker, o.jobs_per_gpu, o.gpus >= 0 ? o.gpus : detect_gpus());
  if (slot >= 0) provenance.gpu = pin_gpu(slot);
  run_worker(o, layout, comms.comm, comms.group, runner, provenance, worker_threads(layout.local_workers));
}

}  // namespace

int run_sweep(const std::function<Sweep()>& load, const SweepRunOptions& options, JobRunner& runner, std::ostream& out,
              std::ostream& err) {
  SweepRunOptions o = options;
  o.check_data = o.check_data && runner.reads_data();  // the noop and fixture runners never open the data
  FUFI_CHECK(o.ranks_per_job >= 1, UsageError, "--ranks-per-job must be >= 1, got {}", o.ranks_per_job);
  FUFI_CHECK(o.jobs_per_gpu >= 1, UsageError, "--jobs-per-gpu must be >= 1, got {}", o.jobs_per_gpu);
  if (!worker::mpi_launched()) return run_local(load, o, runner, out, err);

  const auto world = worker::mpi_world();
  if (world.size == 1) return run_local(load, o, runner, out, err);

  Layout layout;
  layout.rank = world.rank;
  layout.size = world.size;
  layout.groups = (world.size - 1) / o.ranks_per_job;
  if (layout.groups < 1) {
    // Every rank stops with the usage exit code; one of them says why.
    if (world.rank != 0) return kExitUsage;
    FUFI_THROW(UsageError, "--ranks-per-job {}: needs at least {} ranks (one coordinator and one group), mpirun started {}",
               o.ranks_per_job, o.ranks_per_job + 1, world.size);
  }
  if (world.rank > 0 && world.rank <= layout.groups * o.ranks_per_job) layout.group = (world.rank - 1) / o.ranks_per_job;

  Communicators comms(layout);
  int code = kExitOk;
  if (world.rank == 0) code = run_coordinator(load, o, layout, comms.comm, out, err);
  else if (layout.group >= 0) run_worker_rank(o, layout, comms, runner);
  comms.free();
  return code;
}

int run_sweep_file(const std::string& file, const SweepOverrides& overrides, const SweepRunOptions& options,
                   const std::string& runner, std::ostream& out, std::ostream& err) {
  const auto job_runner = make_runner(runner);
  return run_sweep([&] { return load_sweep(file, overrides); }, options, *job_runner, out, err);
}

}  // namespace fufi::orchestrator
