#pragma once
// Each subcommand file adds itself to the app; its callback stores the exit code in `exit_code`.
#include <CLI/CLI.hpp>

namespace fufi::cli {

void add_data_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
void add_infer_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_models_command(CLI::App& app, int& exit_code);
void add_sweep_command(CLI::App& app, int& exit_code);
void add_query_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
// `fufi bench orchestrator` (called by add_bench_command; lives in its own file, cmd_bench_orchestrator.cpp).
void add_bench_orchestrator_subcommand(CLI::App& bench_cmd, int& exit_code);

}  // namespace fufi::cli
