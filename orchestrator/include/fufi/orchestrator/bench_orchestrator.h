#pragma once
// `fufi bench orchestrator`: the cost of the sweep machinery itself. N trivial jobs (the no-op runner,
// which trains nothing and reports zero metrics) go through the whole coordinator -> worker -> SQLite
// path: expansion and validation of a sweep, registration in a new DB, dispatch over MPI, results,
// provenance and commits. Then the same sweep is run again (every job done) to time a resume.
#include <cstdint>
#include <string>

namespace fufi::orchestrator {

struct OrchestratorBenchOptions {
  std::int64_t jobs = 10000;
  std::string db;     // "" = a throwaway DB in a temporary directory (removed afterwards)
  int ranks_per_job = 1;
};

struct OrchestratorBenchResult {
  std::int64_t jobs = 0;
  int ranks = 1;           // MPI ranks (1 without mpirun: the coordinator runs the jobs itself)
  int worker_groups = 0;   // groups of ranks that take jobs
  double expand_s = 0;     // parsing, grid expansion and per-job validation + hashing (coordinator)
  double run_s = 0;        // run_sweep from start to end: registration, dispatch, results, commits
  double rerun_s = 0;      // the same sweep again with every job done (resume)
  double jobs_per_s = 0;   // jobs / run_s
  double ms_per_job = 0;   // run_s / jobs: the coordinator + MPI + SQLite cost of one job
  std::int64_t db_bytes = 0;
};

// Every rank calls it (collective under mpirun); the result is meaningful on rank 0.
// UsageError when --db names an existing file (a benchmark needs a new DB) or jobs < 1.
OrchestratorBenchResult bench_orchestrator(const OrchestratorBenchOptions& options);

std::string to_table(const OrchestratorBenchResult& r);
std::string to_json(const OrchestratorBenchResult& r);

}  // namespace fufi::orchestrator
