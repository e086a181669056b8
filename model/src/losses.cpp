// Training losses (see losses.h and docs/MODELS.md, "Losses").
#include "fufi/model/losses.h"

#include <fmt/ranges.h>

#include <cmath>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"

namespace fufi::model {

namespace {

constexpr const char* kUnitsHelp =
    "raw: multiply prediction and target by scaler_y first (de-scaled counts); scaled: use the model's units";

// Which units a loss is computed in: the raw counts (×scaler_y), or the scaled values the model outputs.
double units_multiplier(const std::string& loss, const Config& c, double value_scale) {
  const auto units = c.get_string("loss_units");
  if (units == "raw") return value_scale;
  if (units == "scaled") return 1.0;
  FUFI_THROW(UsageError, "loss '{}': loss_units must be 'raw' or 'scaled', got '{}'", loss, units);
}

void check_same_shape(const std::string& loss, const torch::Tensor& prediction, const torch::Tensor& target) {
  FUFI_CHECK(prediction.sizes() == target.sizes(), UsageError,
             "loss '{}': prediction shape {} differs from target shape {}", loss,
             fmt::join(prediction.sizes().vec(), "x"), fmt::join(target.sizes().vec(), "x"));
}

class DualFocalLoss : public Loss {
 public:
  DualFocalLoss(std::string name, DualFocalParams params, double multiplier)
      : name_(std::move(name)), params_(params), multiplier_(multiplier) {}
  torch::Tensor forward(const torch::Tensor& prediction, const torch::Tensor& target) const override {
    check_same_shape(name_, prediction, target);
    return dualfocal_elementwise(prediction * multiplier_, target * multiplier_, params_).mean();
  }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  DualFocalParams params_;
  double multiplier_;
};

enum class Elementwise { L1, Mse, SmoothL1 };

class ElementwiseLoss : public Loss {
 public:
  ElementwiseLoss(std::string name, Elementwise kind, double multiplier, double smooth_beta)
      : name_(std::move(name)), kind_(kind), multiplier_(multiplier), smooth_beta_(smooth_beta) {}
  torch::Tensor forward(const torch::Tensor& prediction, const torch::Tensor& target) const override {
    check_same_shape(name_, prediction, target);
    auto diff = (prediction - target) * multiplier_;
    switch (kind_) {
      case Elementwise::L1:
        return diff.abs().mean();
      case Elementwise::Mse:
        return diff.square().mean();
      case Elementwise::SmoothL1: {
        // PyTorch's smooth_l1_loss written out, so that every LibTorch version has the same `beta`.
        auto a = diff.abs();
        if (smooth_beta_ == 0) return a.mean();
        return torch::where(a < smooth_beta_, 0.5 * a.square() / smooth_beta_, a - 0.5 * smooth_beta_).mean();
      }
    }
    FUFI_THROW(RuntimeError, "loss '{}': unhandled kind", name_);
  }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Elementwise kind_;
  double multiplier_;
  double smooth_beta_;
};

std::vector<LossInfo> build_loss_infos() {
  const ParamSpec lambda{"loss_lambda", "10", "weight of the log-space term |log(1+p) - log(1+y)| (paper: 10)"};
  const ParamSpec beta{"loss_beta", "0.2", "focal rate: the factor is f(beta * L_ds)^gamma (paper: 0.2)"};
  const ParamSpec gamma{"loss_gamma", "1", "focal exponent gamma (paper: 1)"};
  const ParamSpec focal_fn{"loss_focal_fn", "tanh", "focusing function f: tanh or sigmoid (2*sigmoid(x) - 1)"};
  const ParamSpec granularity{"loss_focal", "cell",
                              "where the focal factor comes from: cell (each cell's L_ds) or sample (the map's mean "
                              "L_ds); the paper leaves it open (docs/FIDELITY.md)"};
  const ParamSpec detach{"loss_focal_detach", "false",
                         "true: the focal factor is a constant weight (no gradient through f); false: differentiated"};
  const ParamSpec raw_units{"loss_units", "raw", kUnitsHelp};
  const ParamSpec scaled_units{"loss_units", "scaled", kUnitsHelp};
  return {
      {"dualfocal", "DualFocal (paper Eqs. 16-17): f(beta*L_ds)^gamma * L_ds, L_ds = L1 + lambda * log-space L1",
       {lambda, beta, gamma, focal_fn, granularity, detach, raw_units}},
      {"dualfocal_nolog", "DualFocal without the log-space term (lambda = 0; ablation 'wo/ Logarithmic')",
       {beta, gamma, focal_fn, granularity, detach, raw_units}},
      {"dualfocal_nofocal", "the dual-scale loss L_ds alone, without the focal factor", {lambda, raw_units}},
      {"l1", "mean absolute error", {scaled_units}},
      {"mse", "mean squared error (UrbanFM, CUFAR)", {scaled_units}},
      {"smooth_l1", "smooth L1 / Huber loss (UNO); quadratic below loss_beta",
       {{"loss_beta", "1", "threshold between the quadratic and linear parts, in the loss's units"}, scaled_units}},
  };
}

FocalFunction parse_focal_function(const std::string& loss, const std::string& text) {
  if (text == "tanh") return FocalFunction::Tanh;
  if (text == "sigmoid") return FocalFunction::Sigmoid;
  FUFI_THROW(UsageError, "loss '{}': loss_focal_fn must be 'tanh' or 'sigmoid', got '{}'", loss, text);
}

}  // namespace

torch::Tensor dualfocal_elementwise(const torch::Tensor& prediction, const torch::Tensor& target,
                                    const DualFocalParams& p) {
  auto dual = (prediction - target).abs();
  if (p.lambda != 0) {
    // Flows are non-negative; predictions below 0 (models without a final ReLU) would make log(1+p)
    // NaN below -1, so the log-space term sees max(p, 0) and the L1 term alone pulls such cells up.
    auto log_error = (torch::log1p(prediction.clamp_min(0)) - torch::log1p(target.clamp_min(0))).abs();
    dual = dual + p.lambda * log_error;
  }
  if (!p.focal) return dual;
  auto x = p.beta * (p.granularity == FocalGranularity::Sample ? dual.mean({1, 2, 3}, /*keepdim=*/true) : dual);
  if (p.detach_factor) x = x.detach();
  auto f = p.focal_function == FocalFunction::Tanh ? torch::tanh(x) : 2 * torch::sigmoid(x) - 1;
  if (p.gamma == 1.0) return f * dual;
  // The clamp keeps d/dL of f^γ finite at L = 0 when γ < 1 (γ·f^(γ−1) would be infinite there).
  return f.clamp_min(1e-12).pow(p.gamma) * dual;
}

const std::vector<LossInfo>& loss_infos() {
  static const std::vector<LossInfo> infos = build_loss_infos();
  return infos;
}

std::shared_ptr<Loss> make_loss(const std::string& name, const Config& config, double value_scale) {
  const LossInfo* info = nullptr;
  std::vector<std::string> names;
  for (const auto& i : loss_infos()) {
    names.push_back(i.name);
    if (i.name == name) info = &i;
  }
  if (info == nullptr) {
    const auto hint = name == "model" ? "; loss=model (the model's own objective) is chosen by the trainer, not here"
                                      : std::string();
    FUFI_THROW(UsageError, "unknown loss '{}'{}; losses: {}{}", name, did_you_mean(name, names), join(names, ", "),
               hint);
  }
  std::vector<std::string> keys;
  Config c;
  for (const auto& p : info->params) {
    keys.push_back(p.key);
    c.set(p.key, p.default_value, "default of loss " + name);
  }
  config.check_known(keys, "loss '" + name + "'");
  c = c.merged_with(config);
  FUFI_CHECK(std::isfinite(value_scale) && value_scale > 0, UsageError,
             "loss '{}': value scale (scaler_y) must be a positive number, got {}", name, value_scale);
  const double multiplier = units_multiplier(name, c, value_scale);

  if (name == "l1") return std::make_shared<ElementwiseLoss>(name, Elementwise::L1, multiplier, 0.0);
  if (name == "mse") return std::make_shared<ElementwiseLoss>(name, Elementwise::Mse, multiplier, 0.0);
  if (name == "smooth_l1") {
    const double beta = c.get_double("loss_beta");
    FUFI_CHECK(beta >= 0, UsageError, "loss 'smooth_l1': loss_beta must be >= 0, got {}", beta);
    return std::make_shared<ElementwiseLoss>(name, Elementwise::SmoothL1, multiplier, beta);
  }

  DualFocalParams p;
  p.lambda = name == "dualfocal_nolog" ? 0.0 : c.get_double("loss_lambda");
  p.focal = name != "dualfocal_nofocal";
  if (p.focal) {
    p.beta = c.get_double("loss_beta");
    p.gamma = c.get_double("loss_gamma");
    p.focal_function = parse_focal_function(name, c.get_string("loss_focal_fn"));
    const auto g = c.get_string("loss_focal");
    FUFI_CHECK(g == "cell" || g == "sample", UsageError, "loss '{}': loss_focal must be 'cell' or 'sample', got '{}'",
               name, g);
    p.granularity = g == "sample" ? FocalGranularity::Sample : FocalGranularity::Cell;
    p.detach_factor = c.get_bool("loss_focal_detach");
  }
  FUFI_CHECK(p.lambda >= 0, UsageError, "loss '{}': loss_lambda must be >= 0, got {}", name, p.lambda);
  FUFI_CHECK(p.beta > 0, UsageError, "loss '{}': loss_beta must be > 0, got {}", name, p.beta);
  FUFI_CHECK(p.gamma >= 0, UsageError, "loss '{}': loss_gamma must be >= 0, got {}", name, p.gamma);
  return std::make_shared<DualFocalLoss>(name, p, multiplier);
}

}  // namespace fufi::model
