#include "fufi/orchestrator/bench_orchestrator.h"

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/core/mpi_check.h"
#include "fufi/orchestrator/runner.h"
#include "fufi/orchestrator/sweep.h"
#include "fufi/orchestrator/sweep_run.h"
#include "fufi/results/table.h"
#include "fufi/worker/communicator.h"

namespace fufi::orchestrator {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One model without parameters, one task, N seeds: N distinct jobs whose validation is cheap, on a
// synthetic dataset small enough that generating it is negligible (the no-op runner never reads it).
std::string bench_sweep_text(std::int64_t jobs) {
  return fmt::format(R"(name = "bench-orchestrator"
description = "fufi bench orchestrator: {} no-op jobs"
seeds = {}
max_attempts = 1

[data]
synthetic = "small"
coarse_size = 4
upscale = 2
samples_per_task = 10

[training]
epochs = 1

[axes]
model = ["uniform"]
task = ["P1"]
)",
                     jobs, jobs);
}

// Rank 0 decides the directory; every rank must use the same paths.
std::string broadcast_string(std::string text, MPI_Comm comm) {
  int size = static_cast<int>(text.size());
  FUFI_MPI_CHECK(MPI_Bcast(&size, 1, MPI_INT, 0, comm));
  text.resize(static_cast<std::size_t>(size));
  FUFI_MPI_CHECK(MPI_Bcast(text.data(), size, MPI_CHAR, 0, comm));
  return text;
}

}  // namespace

OrchestratorBenchResult bench_orchestrator(const OrchestratorBenchOptions& options) {
  FUFI_CHECK(options.jobs >= 1, UsageError, "--jobs: must be at least 1, got {}", options.jobs);
  const bool launched = worker::mpi_launched();
  int rank = 0, size = 1;
  if (launched) {
    const auto world = worker::mpi_world();
    rank = world.rank;
    size = world.size;
  }

  // A benchmark into an existing DB would time a resume, not a run: refuse it (on every rank, so no
  // rank waits in a collective that the others skip).
  FUFI_CHECK(options.db.empty() || !fs::exists(options.db), UsageError,
             "--db {}: exists; the benchmark needs a new database (remove it or name another)", options.db);

  std::string tmp_dir;
  std::string db = options.db;
  if (db.empty()) {
    if (rank == 0) {
      std::string pattern = (fs::temp_directory_path() / "fufi-bench-orchestrator-XXXXXX").string();
      FUFI_CHECK(mkdtemp(pattern.data()) != nullptr, RuntimeError, "cannot create a temporary directory under {}",
                 fs::temp_directory_path().string());
      tmp_dir = pattern;
    }
    if (launched) tmp_dir = broadcast_string(tmp_dir, MPI_COMM_WORLD);
    db = (fs::path(tmp_dir) / "bench.db").string();
  }

  SweepRunOptions run_options;
  run_options.db_path = db;
  run_options.ranks_per_job = options.ranks_per_job;
  run_options.quiet = true;
  run_options.gpus = 0;

  OrchestratorBenchResult result;
  result.jobs = options.jobs;
  result.ranks = size;
  result.worker_groups = size > 1 ? (size - 1) / options.ranks_per_job : 1;

  const std::string text = bench_sweep_text(options.jobs);
  auto load = [&] {
    const auto t0 = Clock::now();
    auto sweep = parse_sweep(text, "<bench-orchestrator>");
    result.expand_s = seconds_since(t0);
    return sweep;
  };
  NoopRunner runner;
  std::ostringstream out, err;

  if (launched) FUFI_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
  auto t0 = Clock::now();
  int status = run_sweep(load, run_options, runner, out, err);
  result.run_s = seconds_since(t0);
  FUFI_CHECK(status == 0, RuntimeError, "the benchmark sweep did not complete: {}", err.str());

  // The resume: every job is done, so this times loading, expansion and the DB's done-set lookup.
  if (launched) FUFI_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
  t0 = Clock::now();
  status = run_sweep(load, run_options, runner, out, err);
  result.rerun_s = seconds_since(t0);
  FUFI_CHECK(status == 0, RuntimeError, "the benchmark's rerun did not complete: {}", err.str());

  result.jobs_per_s = static_cast<double>(options.jobs) / result.run_s;
  result.ms_per_job = 1e3 * result.run_s / static_cast<double>(options.jobs);
  if (rank == 0) {
    std::error_code ec;
    result.db_bytes = static_cast<std::int64_t>(fs::file_size(db, ec));
    if (ec) result.db_bytes = -1;
  }
  if (launched) FUFI_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
  if (rank == 0 && !tmp_dir.empty()) fs::remove_all(tmp_dir);
  return result;
}

std::string to_table(const OrchestratorBenchResult& r) {
  results::Table t({"jobs", "ranks", "worker_groups", "expand_s", "run_s", "rerun_s", "jobs_per_s", "ms_per_job"});
  for (const auto& c : t.columns()) t.set_numeric(c);
  t.add_row({std::to_string(r.jobs), std::to_string(r.ranks), std::to_string(r.worker_groups),
             fmt::format("{:.3f}", r.expand_s), fmt::format("{:.3f}", r.run_s), fmt::format("{:.3f}", r.rerun_s),
             fmt::format("{:.0f}", r.jobs_per_s), fmt::format("{:.3f}", r.ms_per_job)});
  return t.to_text();
}

std::string to_json(const OrchestratorBenchResult& r) {
  return fmt::format(
      "{{\"jobs\": {}, \"ranks\": {}, \"worker_groups\": {}, \"expand_s\": {:.4f}, \"run_s\": {:.4f}, "
      "\"rerun_s\": {:.4f}, \"jobs_per_s\": {:.1f}, \"ms_per_job\": {:.4f}, \"db_bytes\": {}}}\n",
      r.jobs, r.ranks, r.worker_groups, r.expand_s, r.run_s, r.rerun_s, r.jobs_per_s, r.ms_per_job, r.db_bytes);
}

}  // namespace fufi::orchestrator
