// fufi eval: the field's metrics of any predictions against targets.
#include <fmt/format.h>

#include <iostream>

#include "commands.h"
#include "fufi/core/error.h"
#include "fufi/data/metrics.h"

namespace fufi::cli {

namespace {

struct EvalArgs {
  std::string prediction, target;
  std::string format = "table";
};

int run_eval(const EvalArgs& a) {
  if (a.format != "table" && a.format != "json")
    FUFI_THROW(UsageError, "--format: unknown format '{}' (table, json)", a.format);
  const auto m = data::evaluate_npy_files(a.prediction, a.target);
  if (a.format == "json") {
    std::cout << fmt::format("{{\"mse\": {}, \"mae\": {}, \"mape\": {}, \"rmse\": {}, \"cells\": {}}}\n", m.mse, m.mae,
                             m.mape, m.rmse, m.count);
  } else {
    std::cout << fmt::format("MSE   {:.6f}\nMAE   {:.6f}\nMAPE  {:.6f}\nRMSE  {:.6f}\ncells {}\n", m.mse, m.mae, m.mape,
                             m.rmse, m.count);
  }
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "MSE, MAE, MAPE (zero targets -> 1, a fraction) and RMSE of predictions");
  cmd->add_option("--pred", args->prediction, "Predictions (.npy), raw counts")->required();
  cmd->add_option("--target", args->target, "Targets (.npy), raw counts")->required();
  cmd->add_option("--format", args->format, "table or json")->capture_default_str();
  cmd->callback([args, &exit_code] { exit_code = run_eval(*args); });
}

}  // namespace fufi::cli
