// fufi eval: the field's metrics of any predictions against targets, and optionally a training loss.
#include <fmt/format.h>

#include <iostream>

#include "commands.h"
#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/data/metrics.h"
#include "fufi/data/npy.h"
#include "fufi/model/losses.h"

namespace fufi::cli {

namespace {

struct EvalArgs {
  std::string prediction, target;
  std::string format = "table";
  std::string loss;               // empty: metrics only
  std::vector<std::string> sets;  // loss_* keys of --loss
};

// The loss on raw counts (value_scale 1). Called after the metrics, which have already checked that the
// two files hold the same cells; the loss is an elementwise mean, so both are taken as flat vectors.
double loss_of_files(const EvalArgs& a, const model::Loss& loss) {
  auto as_tensor = [](data::NpyArray& array) {
    return torch::from_blob(array.values.data(), {static_cast<std::int64_t>(array.values.size())}, torch::kFloat32)
        .to(torch::kFloat64);
  };
  auto prediction = data::read_npy(a.prediction);
  auto target = data::read_npy(a.target);
  FUFI_CHECK(prediction.size() == target.size(), InputError, "{}: {} values, but {} has {}", a.prediction,
             prediction.size(), a.target, target.size());
  torch::NoGradGuard no_grad;
  return loss.forward(as_tensor(prediction), as_tensor(target)).item<double>();
}

int run_eval(const EvalArgs& a) {
  if (a.format != "table" && a.format != "json")
    FUFI_THROW(UsageError, "--format: unknown format '{}' (table, json)", a.format);
  FUFI_CHECK(a.sets.empty() || !a.loss.empty(), UsageError,
             "--set: sets loss_* keys of --loss, but no --loss was given");
  // Built first so that a bad loss name or key fails before the files are read.
  const bool with_loss = !a.loss.empty();
  const auto loss_fn = with_loss ? model::make_loss(a.loss, Config::from_assignments(a.sets, "--set"), 1.0) : nullptr;
  const auto m = data::evaluate_npy_files(a.prediction, a.target);
  const double loss = with_loss ? loss_of_files(a, *loss_fn) : 0.0;
  if (a.format == "json") {
    const auto loss_fields = with_loss ? fmt::format(", \"loss\": \"{}\", \"loss_value\": {}", a.loss, loss) : "";
    std::cout << fmt::format("{{\"mse\": {}, \"mae\": {}, \"mape\": {}, \"rmse\": {}, \"cells\": {}{}}}\n", m.mse, m.mae,
                             m.mape, m.rmse, m.count, loss_fields);
  } else {
    std::cout << fmt::format("MSE   {:.6f}\nMAE   {:.6f}\nMAPE  {:.6f}\nRMSE  {:.6f}\ncells {}\n", m.mse, m.mae, m.mape,
                             m.rmse, m.count);
    if (with_loss) std::cout << fmt::format("loss  {:.6f} ({})\n", loss, a.loss);
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
  cmd->add_option("--loss", args->loss, "Also print this training loss (dualfocal, mse, ...) on the raw counts");
  cmd->add_option("--set", args->sets, "loss_*=value for --loss (repeatable)")->allow_extra_args(false);
  cmd->callback([args, &exit_code] { exit_code = run_eval(*args); });
}

}  // namespace fufi::cli
