#include "fufi/orchestrator/evaluate.h"

#include <cmath>
#include <ostream>
#include <string>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/status.h"
#include "fufi/data/metrics.h"
#include "fufi/data/npy.h"
#include "fufi/model/losses.h"
#include "fufi/orchestrator/cli_support.h"

namespace fufi::orchestrator {

namespace {

// The loss on raw counts (value_scale 1). Called after the metrics, which have already checked that the
// two files hold the same cells; the loss is an elementwise mean, so both are taken as flat vectors.
double loss_of_files(const EvalOptions& o, const model::Loss& loss) {
  auto as_tensor = [](data::NpyArray& array) {
    return torch::from_blob(array.values.data(), {static_cast<std::int64_t>(array.values.size())}, torch::kFloat32)
        .to(torch::kFloat64);
  };
  auto prediction = data::read_npy(o.prediction);
  auto target = data::read_npy(o.target);
  FUFI_CHECK(prediction.size() == target.size(), InputError, "{}: {} values, but {} has {}", o.prediction,
             prediction.size(), o.target, target.size());
  torch::NoGradGuard no_grad;
  return loss.forward(as_tensor(prediction), as_tensor(target)).item<double>();
}

// Six decimals in the usual range; scientific notation where fixed point would print dozens of digits
// (an MSE of 1e75 from a diverged model) or none that matter (1e-9).
std::string table_number(double x) {
  const double a = std::fabs(x);
  if (!std::isfinite(x) || a == 0 || (a >= 1e-4 && a < 1e9)) return fmt::format("{:.6f}", x);
  return fmt::format("{:.6e}", x);
}

// JSON has no NaN or infinity: null, as in every fufi JSON output.
std::string json_number(double x) { return std::isfinite(x) ? fmt::format("{}", x) : "null"; }

}  // namespace

int evaluate_files(const EvalOptions& o, std::ostream& out) {
  check_format(o.format, {"table", "json"});
  FUFI_CHECK(o.sets.empty() || !o.loss.empty(), UsageError, "--set: sets loss_* keys of --loss, but no --loss was given");
  // Built first so that a bad loss name or key fails before the files are read.
  const bool with_loss = !o.loss.empty();
  const auto loss_fn = with_loss ? model::make_loss(o.loss, Config::from_assignments(o.sets, "--set"), 1.0) : nullptr;
  const auto m = data::evaluate_npy_files(o.prediction, o.target);
  const double loss = with_loss ? loss_of_files(o, *loss_fn) : 0.0;
  if (o.format == "json") {
    const auto loss_fields =
        with_loss ? fmt::format(", \"loss\": \"{}\", \"loss_value\": {}", o.loss, json_number(loss)) : "";
    out << fmt::format("{{\"mse\": {}, \"mae\": {}, \"mape\": {}, \"rmse\": {}, \"cells\": {}{}}}\n", json_number(m.mse),
                       json_number(m.mae), json_number(m.mape), json_number(m.rmse), m.count, loss_fields);
  } else {
    out << fmt::format("MSE   {}\nMAE   {}\nMAPE  {}\nRMSE  {}\ncells {}\n", table_number(m.mse), table_number(m.mae),
                       table_number(m.mape), table_number(m.rmse), m.count);
    if (with_loss) out << fmt::format("loss  {} ({})\n", table_number(loss), o.loss);
  }
  return kExitOk;
}

}  // namespace fufi::orchestrator
