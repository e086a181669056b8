// fufi bench orchestrator: N no-op jobs through coordinator -> workers -> SQLite (run under mpirun).
#include <iostream>

#include "commands.h"
#include "fufi/core/error.h"
#include "fufi/orchestrator/bench_orchestrator.h"
#include "fufi/orchestrator/cli_support.h"

namespace fufi::cli {

void add_bench_orchestrator_subcommand(CLI::App& bench_cmd, int& exit_code) {
  struct Args {
    orchestrator::OrchestratorBenchOptions options;
    std::string format = "table";
  };
  auto a = std::make_shared<Args>();
  auto* cmd = bench_cmd.add_subcommand(
      "orchestrator", "Trivial jobs through coordinator, workers and SQLite: jobs/s and cost per job (under mpirun)");
  cmd->add_option("--jobs", a->options.jobs, "Number of no-op jobs")->capture_default_str();
  cmd->add_option("--db", a->options.db, "A new results DB to fill (default: a throwaway one in a temporary directory)");
  cmd->add_option("--ranks-per-job", a->options.ranks_per_job, "Worker ranks per job")->capture_default_str();
  cmd->add_option("--format", a->format, "table or json")->capture_default_str();
  cmd->callback([a, &exit_code] {
    orchestrator::check_format(a->format, {"table", "json"});
    const auto r = orchestrator::bench_orchestrator(a->options);
    if (orchestrator::is_reporting_rank())
      std::cout << (a->format == "json" ? orchestrator::to_json(r) : orchestrator::to_table(r));
    exit_code = orchestrator::kExitOk;
  });
}

}  // namespace fufi::cli
