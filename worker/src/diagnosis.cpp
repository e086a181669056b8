#include "fufi/worker/diagnosis.h"

#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "fufi/core/atomic_file.h"
#include "fufi/core/error.h"

namespace fufi::worker {

StepDiagnosis::StepDiagnosis(const std::string& path, std::int64_t first_steps, double jump_factor)
    : path_(path), first_steps_(first_steps), jump_factor_(jump_factor) {
  append_to_file(path_, "");  // refuses a special file and fails on an unwritable path before training
  FUFI_CHECK(first_steps >= 0 && jump_factor > 1, UsageError, "--diagnose: bad step count or jump factor");
}

void StepDiagnosis::record(std::int64_t epoch, std::int64_t step, double loss, double lr,
                           const torch::nn::Module& model) {
  const bool first = global_step_ < first_steps_;
  const bool jump = global_step_ > 0 && std::isfinite(average_) && loss > jump_factor_ * average_;
  if (first || jump || !std::isfinite(loss)) {
    std::map<std::string, double> squares;
    for (const auto& p : model.named_parameters()) {
      if (!p.value().grad().defined()) continue;
      std::string key = p.key();
      const auto dot = key.find('.');
      if (dot != std::string::npos) {
        const auto second = key.find('.', dot + 1);
        if (second != std::string::npos) key = key.substr(0, second);
      }
      squares[key] += std::pow(p.value().grad().norm().item<double>(), 2);
    }
    nlohmann::json grads = nlohmann::json::object();
    for (const auto& [k, v] : squares) grads[k] = std::sqrt(v);
    nlohmann::json line{{"epoch", epoch},
                        {"step", step},
                        {"global_step", global_step_},
                        {"reason", first ? "first" : (jump ? "jump" : "non_finite")},
                        {"loss", std::isfinite(loss) ? nlohmann::json(loss) : nlohmann::json(nullptr)},
                        {"lr", lr},
                        {"grad_norm", grads},
                        {"probe", probe_.values()}};
    append_to_file(path_, line.dump() + "\n");
    ++lines_;
  }
  if (std::isfinite(loss)) average_ = global_step_ == 0 ? loss : 0.9 * average_ + 0.1 * loss;
  ++global_step_;
  probe_.clear();
}

}  // namespace fufi::worker
