// fufi eval: the field's metrics of any predictions against targets, and optionally a training loss.
// The work is orchestrator::evaluate_files (fufi/orchestrator/evaluate.h); this file only parses options.
#include <iostream>

#include "commands.h"
#include "fufi/orchestrator/evaluate.h"

namespace fufi::cli {

void add_eval_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<orchestrator::EvalOptions>();
  auto* cmd = app.add_subcommand("eval", "MSE, MAE, MAPE (zero targets -> 1, a fraction) and RMSE of predictions");
  cmd->add_option("--pred", a->prediction, "Predictions (.npy), raw counts")->required();
  cmd->add_option("--target", a->target, "Targets (.npy), raw counts")->required();
  cmd->add_option("--format", a->format, "table or json")->capture_default_str();
  cmd->add_option("--loss", a->loss, "Also print this training loss (dualfocal, mse, ...) on the raw counts");
  cmd->add_option("--set", a->sets, "loss_*=value for --loss (repeatable)")->allow_extra_args(false);
  cmd->callback([a, &exit_code] { exit_code = orchestrator::evaluate_files(*a, std::cout); });
}

}  // namespace fufi::cli
