// fufi sweep FILE --db DB: expand a sweep file into jobs and run them (coordinated over MPI under mpirun),
// recording everything in the results DB. Rerunning the same command resumes. The work is
// orchestrator::run_sweep_file (sweep_run.h) and, with --plan, orchestrator::show_sweep_plan (sweep_plan.h);
// this file only parses options.
#include <iostream>

#include "commands.h"
#include "fufi/orchestrator/sweep_plan.h"
#include "fufi/orchestrator/sweep_run.h"

namespace fufi::cli {

namespace {

struct SweepArgs {
  std::string file, format = "table", runner = "train";
  orchestrator::SweepOverrides overrides;
  orchestrator::SweepRunOptions run;
  bool plan = false;
};

int run(const SweepArgs& a) {
  if (a.plan)
    return orchestrator::show_sweep_plan({a.file, a.run.db_path, a.overrides, a.run.retry_failed, a.format, a.run.replace_sweep}, std::cout,
                                         std::cerr);
  return orchestrator::run_sweep_file(a.file, a.overrides, a.run, a.runner, std::cout, std::cerr);
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
  cmd->add_option("--db", a->run.db_path, "Results database (SQLite, on a local disk; created if missing)")->required();
  cmd->add_flag("--plan", a->plan, "Expand and validate, print the jobs and how many are done in DB; run nothing");
  cmd->add_option("--format", a->format, "--plan output: table, csv, json or md")->capture_default_str();
  cmd->add_option("--ranks-per-job", a->run.ranks_per_job, "Worker ranks per job (data-parallel groups)")->capture_default_str();
  cmd->add_option("--jobs-per-gpu", a->run.jobs_per_gpu, "Single-rank jobs that share one GPU")->capture_default_str();
  cmd->add_option("--gpus", a->run.gpus, "GPUs per node (default: CUDA_VISIBLE_DEVICES, else every NVIDIA GPU; 0: none)");
  cmd->add_option("--runs", a->run.runs_dir, "Job run directories (default: runs/ next to the DB)");
  cmd->add_option("--data-cache", a->run.data_cache, "Where synthetic data is generated (default: data/ next to the DB)");
  cmd->add_option("--data-root", a->overrides.data_root, "Replace the sweep's data.root (a TaxiBJ-layout directory)");
  cmd->add_option("--set", a->overrides.sets, "key=value for every job, above the sweep file (e.g. device=cuda, epochs=2)")
      ->allow_extra_args(false);  // one value per --set/--where: a positional after it stays positional
  cmd->add_flag("--fail-fast", a->run.fail_fast, "Stop at the first job that fails for good (default: keep going)");
  cmd->add_flag("--retry-failed", a->run.retry_failed, "Give failed jobs max_attempts new attempts");
  cmd->add_flag("--replace-sweep", a->run.replace_sweep,
                "Let this file take over a sweep name another file holds in the DB (its jobs are listed as orphaned)");
  cmd->add_flag("--strict", a->run.strict_data,
                "Refuse the data's warnings (ext columns outside 0..1, a spatial-constraint violation) before any job runs");
  cmd->add_flag("--quiet", a->run.quiet, "No progress output (failures and the final line still print)");
  // Measures the orchestrator itself: jobs do nothing and report zero metrics (use a throwaway DB).
  cmd->add_option("--runner", a->runner, "train (default), noop or fixture")->group("");
  cmd->callback([a, &exit_code] { exit_code = run(*a); });
}

}  // namespace fufi::cli
