// fufi sweep FILE --db DB: expand a sweep file into jobs and run them (coordinated over MPI under mpirun),
// recording everything in the results DB. Rerunning the same command resumes.
#include <fmt/format.h>

#include <iostream>
#include <set>

#include "commands.h"
#include "fufi/core/error.h"
#include "fufi/orchestrator/sweep.h"
#include "fufi/orchestrator/sweep_run.h"
#include "fufi/results/store.h"
#include "fufi/results/table.h"
#include "fufi/worker/reducer.h"

namespace fufi::cli {

namespace {

struct SweepArgs {
  std::string file, db, runs, data_cache, data_root, format = "table", runner = "train";
  std::vector<std::string> sets;
  int ranks_per_job = 1, jobs_per_gpu = 1, gpus = -1;
  bool plan = false, fail_fast = false, retry_failed = false, quiet = false;
};

int show_plan(const SweepArgs& a) {
  // Under mpirun every rank parses the same arguments; one plan is enough.
  if (worker::mpi_launched() && worker::mpi_world().rank != 0) return 0;
  const auto sweep = orchestrator::load_sweep(a.file, {a.sets, a.data_root});
  for (const auto& w : sweep.warnings) std::cerr << "fufi: warning: " << a.file << ": " << w << "\n";
  std::vector<std::string> ids;
  for (const auto& j : sweep.jobs) ids.push_back(j.id);
  const auto states = results::read_job_states(a.db, ids);

  results::Table table({"#", "job", "model", "task", "variant", "seed", "epochs", "status", "attempts"});
  for (const char* c : {"#", "seed", "epochs", "attempts"}) table.set_numeric(c);
  int done = 0, failed = 0, to_run = 0;
  std::set<std::string> configurations;
  for (std::size_t i = 0; i < sweep.jobs.size(); ++i) {
    const auto& j = sweep.jobs[i];
    configurations.insert(j.group_id);
    auto it = states.find(j.id);
    const std::string status = it == states.end() ? "new" : it->second.status;
    const bool retries_left = it != states.end() && it->second.failures < sweep.max_attempts;
    if (status == "done") ++done;
    else if (status == "failed" && !(a.retry_failed || retries_left)) ++failed;
    else ++to_run;
    table.add_row({std::to_string(i + 1), j.id.substr(0, 12), j.model, j.task, j.variant, std::to_string(j.seed),
                   j.resolved.get_string("epochs"), status, it == states.end() ? "0" : std::to_string(it->second.attempts)});
  }
  std::cout << table.render(results::parse_table_format(a.format));
  std::cerr << fmt::format("{}: {} jobs ({} configurations): {} done, {} failed, {} to run; data {}; max_attempts {}; DB {}\n",
                           sweep.name, sweep.jobs.size(), configurations.size(), done, failed, to_run,
                           sweep.data.identity(), sweep.max_attempts, a.db);
  return 0;
}

int run(const SweepArgs& a) {
  if (a.plan) return show_plan(a);
  orchestrator::SweepRunOptions o;
  o.db_path = a.db;
  o.runs_dir = a.runs;
  o.data_cache = a.data_cache;
  o.ranks_per_job = a.ranks_per_job;
  o.jobs_per_gpu = a.jobs_per_gpu;
  o.gpus = a.gpus;
  o.fail_fast = a.fail_fast;
  o.retry_failed = a.retry_failed;
  o.quiet = a.quiet;
  std::unique_ptr<orchestrator::JobRunner> runner;
  if (a.runner == "train") runner = std::make_unique<orchestrator::TrainingRunner>();
  else if (a.runner == "noop") runner = std::make_unique<orchestrator::NoopRunner>();
  else if (a.runner == "fixture") runner = std::make_unique<orchestrator::FixtureRunner>();  // report tests
  else FUFI_THROW(UsageError, "--runner: unknown runner '{}' (train, noop, fixture)", a.runner);
  const orchestrator::SweepOverrides overrides{a.sets, a.data_root};
  return orchestrator::run_sweep([&] { return orchestrator::load_sweep(a.file, overrides); }, o, *runner, std::cout,
                                 std::cerr);
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand(
      "sweep",
      "Run every job of a sweep file, recording results in an SQLite DB (under mpirun: rank 0 coordinates, the "
      "other ranks train). Rerun the same command to resume: done jobs are skipped, interrupted ones continue "
      "from their checkpoints. See docs/SWEEPS.md.");
  cmd->add_option("file", a->file, "Sweep file (TOML)")->required();
  cmd->add_option("--db", a->db, "Results database (SQLite, on a local disk; created if missing)")->required();
  cmd->add_flag("--plan", a->plan, "Expand and validate, print the jobs and how many are done in DB; run nothing");
  cmd->add_option("--format", a->format, "--plan output: table, csv, json or md")->capture_default_str();
  cmd->add_option("--ranks-per-job", a->ranks_per_job, "Worker ranks per job (data-parallel groups)")->capture_default_str();
  cmd->add_option("--jobs-per-gpu", a->jobs_per_gpu, "Single-rank jobs that share one GPU")->capture_default_str();
  cmd->add_option("--gpus", a->gpus, "GPUs per node (default: CUDA_VISIBLE_DEVICES, else every NVIDIA GPU; 0: none)");
  cmd->add_option("--runs", a->runs, "Job run directories (default: runs/ next to the DB)");
  cmd->add_option("--data-cache", a->data_cache, "Where synthetic data is generated (default: data/ next to the DB)");
  cmd->add_option("--data-root", a->data_root, "Replace the sweep's data.root (a TaxiBJ-layout directory)");
  cmd->add_option("--set", a->sets, "key=value for every job, above the sweep file (e.g. device=cuda, epochs=2)")
      ->allow_extra_args(false);  // one value per --set/--where: a positional after it stays positional
  cmd->add_flag("--fail-fast", a->fail_fast, "Stop at the first job that fails for good (default: keep going)");
  cmd->add_flag("--retry-failed", a->retry_failed, "Give failed jobs max_attempts new attempts");
  cmd->add_flag("--quiet", a->quiet, "No progress output (failures and the final line still print)");
  // Measures the orchestrator itself: jobs do nothing and report zero metrics (use a throwaway DB).
  cmd->add_option("--runner", a->runner, "train (default), noop or fixture")->group("");
  cmd->callback([a, &exit_code] { exit_code = run(*a); });
}

}  // namespace fufi::cli
