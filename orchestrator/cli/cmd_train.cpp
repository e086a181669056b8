// fufi train: one job (one model, one dataset, one seed). Under mpirun the ranks train it data-parallel.
// The work is orchestrator::train_one (fufi/orchestrator/train_one.h); this file only parses options.
#include <iostream>

#include "commands.h"
#include "option_checks.h"
#include "fufi/orchestrator/train_one.h"

namespace fufi::cli {

void add_train_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<orchestrator::TrainOneOptions>();
  auto* cmd = app.add_subcommand("train", "Train one model on one dataset (data-parallel under mpirun)");
  cmd->add_option("--model", a->model, "Registered model name (fufi models), or torchscript:PATH.pt (docs/BYO_MODEL.md)")->required();
  cmd->add_option("--data", a->data, "Dataset directory, or a TaxiBJ-style root with --task")->required();
  cmd->add_option("--task", a->task, "Task under a root: P1 .. P4");
  cmd->add_option("--set", a->sets, "key=value: model, loss (loss_*) and training keys (epochs, lr, ...)");
  cmd->add_option("--seed", a->seed, "Seed (model init, data order, dropout)")
      ->check(integer_at_least(0))  // an unsigned option would otherwise take -1 as 18446744073709551615
      ->capture_default_str();
  cmd->add_option("--out", a->out, "Run directory: checkpoints, epochs.jsonl, metrics.json")->required();
  cmd->add_option("--diagnose", a->diagnose,
                  "Append step diagnostics (gradient norms per module, N2 inputs, attention entropy, activation "
                  "scales) of the first steps and of every loss jump to this JSONL file");
  cmd->add_option("--diagnose-steps", a->diagnose_steps, "With --diagnose: how many first steps")->capture_default_str();
  cmd->add_flag("--fresh", a->fresh, "Ignore an existing checkpoint in --out and start over");
  cmd->add_flag("--quiet", a->quiet, "No per-epoch progress lines");
  cmd->add_flag("--strict", a->strict,
                "Refuse (exit 2) what is otherwise a data warning: a spatial-constraint violation, ext columns outside 0..1");
  cmd->callback([a, &exit_code] { exit_code = orchestrator::train_one(*a, std::cout, std::cerr); });
}

}  // namespace fufi::cli
