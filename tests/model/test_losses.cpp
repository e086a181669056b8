// Losses: DualFocal against hand-computed values and finite differences, the focal factor's effect,
// units, the ablation variants, the baselines' losses and configuration errors.
#include <gtest/gtest.h>

#include <cmath>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/model/losses.h"

namespace fufi_test_losses {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

namespace {

fufi::Config cfg(std::vector<std::string> items) { return fufi::Config::from_assignments(items); }

double value(const std::string& name, const fufi::Config& c, double scale, const torch::Tensor& p,
             const torch::Tensor& y) {
  return make_loss(name, c, scale)->forward(p, y).item<double>();
}

// One cell of Eqs. 16-17 computed with scalar maths.
double dualfocal_cell(double p, double y, double lambda, double beta, double gamma) {
  const double ds = std::abs(p - y) + lambda * std::abs(std::log(1 + p) - std::log(1 + y));
  return std::pow(std::tanh(beta * ds), gamma) * ds;
}

}  // namespace

TEST(Losses, DualFocalMatchesHandComputedValues) {
  // Cell (p=3, y=1): L1 = 2, log term = ln 4 - ln 2 = ln 2, L_ds = 2 + 10 ln 2 = 8.931472,
  // factor tanh(0.2 * 8.931472) = tanh(1.786294) = 0.945368, loss = 8.443529.
  auto p = torch::tensor({3.0}, torch::kDouble), y = torch::tensor({1.0}, torch::kDouble);
  EXPECT_NEAR(value("dualfocal", {}, 1.0, p, y), 8.443529, 1e-5);
  // A perfect cell costs nothing; the mean runs over every cell of (B,C,H,W).
  auto pred = torch::tensor({0.0, 3.0, 10.0, 20.0}, torch::kDouble).view({1, 1, 2, 2});
  auto target = torch::tensor({0.0, 1.0, 20.0, 5.0}, torch::kDouble).view({1, 1, 2, 2});
  const double expected = (0.0 + dualfocal_cell(3, 1, 10, 0.2, 1) + dualfocal_cell(10, 20, 10, 0.2, 1) +
                           dualfocal_cell(20, 5, 10, 0.2, 1)) /
                          4.0;
  EXPECT_NEAR(value("dualfocal", {}, 1.0, pred, target), expected, 1e-12);
  // Non-default λ, β, γ.
  const double custom = (dualfocal_cell(3, 1, 2, 0.5, 2) + dualfocal_cell(10, 20, 2, 0.5, 2) +
                         dualfocal_cell(20, 5, 2, 0.5, 2)) /
                        4.0;
  EXPECT_NEAR(value("dualfocal", cfg({"loss_lambda=2", "loss_beta=0.5", "loss_gamma=2"}), 1.0, pred, target), custom,
              1e-12);
  // The sigmoid-style factor 2σ(x) - 1 equals tanh(x / 2).
  const double sig = (dualfocal_cell(3, 1, 10, 0.1, 1) + dualfocal_cell(10, 20, 10, 0.1, 1) +
                      dualfocal_cell(20, 5, 10, 0.1, 1)) /
                     4.0;
  EXPECT_NEAR(value("dualfocal", cfg({"loss_focal_fn=sigmoid"}), 1.0, pred, target), sig, 1e-12);
}

TEST(Losses, AblationVariantsDropTheirTerm) {
  auto p = torch::tensor({3.0, 10.0, 0.5}, torch::kDouble), y = torch::tensor({1.0, 20.0, 0.0}, torch::kDouble);
  EXPECT_NEAR(value("dualfocal_nolog", {}, 1.0, p, y), value("dualfocal", cfg({"loss_lambda=0"}), 1.0, p, y), 1e-12);
  EXPECT_NEAR(value("dualfocal_nolog", {}, 1.0, p, y),
              (dualfocal_cell(3, 1, 0, 0.2, 1) + dualfocal_cell(10, 20, 0, 0.2, 1) + dualfocal_cell(0.5, 0, 0, 0.2, 1)) / 3,
              1e-12);
  const double ds = (2 + 10 * std::log(2.0) + 10 + 10 * std::log(21.0 / 11.0) + 0.5 + 10 * std::log(1.5)) / 3;
  EXPECT_NEAR(value("dualfocal_nofocal", {}, 1.0, p, y), ds, 1e-12);
  // γ = 0 turns the factor into 1: plain L_ds again.
  EXPECT_NEAR(value("dualfocal", cfg({"loss_gamma=0"}), 1.0, p, y), ds, 1e-9);
}

TEST(Losses, DualFocalIsComputedOnRawCountsByDefault) {
  auto raw_p = torch::tensor({30.0, 2.0}, torch::kDouble), raw_y = torch::tensor({10.0, 0.0}, torch::kDouble);
  // The model outputs Y / scaler_y; with scaler_y = 100 the loss de-scales first.
  const double on_raw = value("dualfocal", {}, 1.0, raw_p, raw_y);
  EXPECT_NEAR(value("dualfocal", {}, 100.0, raw_p / 100, raw_y / 100), on_raw, 1e-9);
  // loss_units=scaled uses the values as given.
  EXPECT_NEAR(value("dualfocal", cfg({"loss_units=scaled"}), 100.0, raw_p / 100, raw_y / 100),
              value("dualfocal", {}, 1.0, raw_p / 100, raw_y / 100), 1e-12);
  // The baselines' losses default to the scaled units (UrbanFM's MSE on Y/100).
  EXPECT_NEAR(value("mse", {}, 100.0, raw_p / 100, raw_y / 100), (0.04 + 0.0004) / 2, 1e-12);
  EXPECT_NEAR(value("mse", cfg({"loss_units=raw"}), 100.0, raw_p / 100, raw_y / 100), (400.0 + 4.0) / 2, 1e-9);
}

TEST(Losses, DualFocalGradientMatchesFiniteDifferences) {
  torch::manual_seed(11);
  // Keep away from the kinks (p = y) of the absolute values, where the derivative is undefined.
  auto y = torch::rand({2, 1, 3, 3}, torch::kDouble) * 30;
  auto offset = (torch::rand({2, 1, 3, 3}, torch::kDouble) * 10 + 0.5) *
                (torch::randint(0, 2, {2, 1, 3, 3}, torch::kDouble) * 2 - 1);
  auto p0 = y + offset;
  p0 = torch::where(p0 < 0.25, y + offset.abs(), p0);  // non-negative flows, still off the kinks
  for (const auto& items : std::vector<std::vector<std::string>>{{},
                                                                  {"loss_gamma=2"},
                                                                  {"loss_gamma=0.5", "loss_beta=0.05"},
                                                                  {"loss_focal_fn=sigmoid", "loss_lambda=3"}}) {
    auto loss = make_loss("dualfocal", cfg(items), 1.0);
    auto p = p0.clone().requires_grad_(true);
    auto grad = torch::autograd::grad({loss->forward(p, y)}, {p})[0];
    const double h = 1e-6;
    for (std::int64_t i = 0; i < p0.numel(); ++i) {
      auto plus = p0.clone(), minus = p0.clone();
      plus.view(-1)[i] += h;
      minus.view(-1)[i] -= h;
      const double numeric = (loss->forward(plus, y).item<double>() - loss->forward(minus, y).item<double>()) / (2 * h);
      EXPECT_NEAR(grad.view(-1)[i].item<double>(), numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
          << "cell " << i << " config " << fufi::join(items, ",");
    }
  }
}

TEST(Losses, FocalFactorDownWeightsEasyCells) {
  // Gradient of DualFocal relative to plain L_ds, per cell: small for an easy cell, ~1+ for a hard one.
  auto y = torch::tensor({10.0, 10.0}, torch::kDouble);
  auto p = torch::tensor({10.1, 60.0}, torch::kDouble).requires_grad_(true);  // easy, hard
  auto g_focal = torch::autograd::grad({make_loss("dualfocal", {}, 1.0)->forward(p, y)}, {p})[0];
  auto g_plain = torch::autograd::grad({make_loss("dualfocal_nofocal", {}, 1.0)->forward(p, y)}, {p})[0];
  const double easy = (g_focal[0] / g_plain[0]).item<double>();
  const double hard = (g_focal[1] / g_plain[1]).item<double>();
  EXPECT_LT(easy, 0.1);
  EXPECT_GT(hard, 0.99);
  // And the loss of an easy cell is a smaller fraction of its L_ds than a hard cell's.
  auto cell = [&](double pv, const std::string& name) {
    return value(name, {}, 1.0, torch::tensor({pv}, torch::kDouble), torch::tensor({10.0}, torch::kDouble));
  };
  EXPECT_LT(cell(10.1, "dualfocal") / cell(10.1, "dualfocal_nofocal"),
            0.1 * cell(60.0, "dualfocal") / cell(60.0, "dualfocal_nofocal"));
}

TEST(Losses, NegativePredictionsStayFinite) {
  auto p = torch::tensor({-5.0, -0.5, 2.0}, torch::kDouble).requires_grad_(true);
  auto y = torch::tensor({1.0, 0.0, 2.0}, torch::kDouble);
  auto l = make_loss("dualfocal", {}, 1.0)->forward(p, y);
  l.backward();
  EXPECT_TRUE(std::isfinite(l.item<double>()));
  EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
  EXPECT_LT(p.grad()[0].item<double>(), 0.0);  // the L1 term still pulls the negative cell up
}

TEST(Losses, BaselineLossesMatchLibTorch) {
  torch::manual_seed(12);
  auto p = torch::randn({2, 1, 4, 4}) * 2, y = torch::randn({2, 1, 4, 4}) * 2;
  EXPECT_NEAR(value("l1", {}, 1.0, p, y), torch::l1_loss(p, y).item<double>(), 1e-6);
  EXPECT_NEAR(value("mse", {}, 1.0, p, y), torch::mse_loss(p, y).item<double>(), 1e-5);
  EXPECT_NEAR(value("smooth_l1", {}, 1.0, p, y), torch::smooth_l1_loss(p, y).item<double>(), 1e-6);
  auto a = (p - y).abs();
  auto huber_half = torch::where(a < 0.5, a.square(), a - 0.25).mean().item<double>();  // 0.5·a²/0.5 = a²
  EXPECT_NEAR(value("smooth_l1", cfg({"loss_beta=0.5"}), 1.0, p, y), huber_half, 1e-5);
}

TEST(Losses, ConfigurationErrorsNameTheProblem) {
  auto expect_message = [](auto&& f, const std::string& part) {
    try {
      f();
      ADD_FAILURE() << "no UsageError; expected one mentioning " << part;
    } catch (const fufi::UsageError& e) {
      EXPECT_NE(e.message().find(part), std::string::npos) << e.message();
    }
  };
  expect_message([] { make_loss("dualfocall", {}, 1.0); }, "did you mean 'dualfocal'");
  expect_message([] { make_loss("model", {}, 1.0); }, "trainer");
  expect_message([] { make_loss("dualfocal", cfg({"loss_lamda=3"}), 1.0); }, "loss_lamda");
  expect_message([] { make_loss("l1", cfg({"loss_lambda=3"}), 1.0); }, "loss_lambda");
  expect_message([] { make_loss("dualfocal", cfg({"channels=3"}), 1.0); }, "channels");
  expect_message([] { make_loss("dualfocal_nolog", cfg({"loss_lambda=3"}), 1.0); }, "loss_lambda");
  expect_message([] { make_loss("dualfocal", cfg({"loss_focal_fn=relu"}), 1.0); }, "loss_focal_fn");
  expect_message([] { make_loss("dualfocal", cfg({"loss_units=counts"}), 1.0); }, "loss_units");
  expect_message([] { make_loss("dualfocal", cfg({"loss_beta=0"}), 1.0); }, "loss_beta");
  expect_message([] { make_loss("mse", {}, 0.0); }, "scaler_y");
  expect_message(
      [] {
        make_loss("mse", {}, 1.0)->forward(torch::zeros({1, 1, 2, 2}), torch::zeros({1, 1, 4, 4}));
      },
      "shape");
}

TEST(Losses, EveryLossIsListedWithLossPrefixedKeys) {
  std::vector<std::string> names;
  for (const auto& info : loss_infos()) {
    names.push_back(info.name);
    EXPECT_FALSE(info.description.empty());
    for (const auto& p : info.params) EXPECT_EQ(p.key.rfind("loss_", 0), 0u) << info.name << ": " << p.key;
    // Each loss builds from its own defaults and reports its name.
    EXPECT_EQ(make_loss(info.name, {}, 1.0)->name(), info.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"dualfocal", "dualfocal_nolog", "dualfocal_nofocal", "l1", "mse",
                                             "smooth_l1"}));
}

// The open choices of DualFocal (docs/FIDELITY.md): where the focal factor comes from, and whether it is
// differentiated.
TEST(Losses, FocalGranularityAndDetachSwitches) {
  // Two samples of two cells each: sample 0 has errors (p=3,y=1) and (p=0,y=0); sample 1 (10,20) and (20,5).
  auto p = torch::tensor({3.0, 0.0, 10.0, 20.0}, torch::kDouble).view({2, 1, 1, 2});
  auto y = torch::tensor({1.0, 0.0, 20.0, 5.0}, torch::kDouble).view({2, 1, 1, 2});
  auto ds = [](double a, double b) { return std::abs(a - b) + 10 * std::abs(std::log1p(a) - std::log1p(b)); };
  const double s0 = (ds(3, 1) + ds(0, 0)) / 2, s1 = (ds(10, 20) + ds(20, 5)) / 2;
  const double per_sample =
      (std::tanh(0.2 * s0) * (ds(3, 1) + ds(0, 0)) + std::tanh(0.2 * s1) * (ds(10, 20) + ds(20, 5))) / 4;
  EXPECT_NEAR(value("dualfocal", cfg({"loss_focal=sample"}), 1.0, p, y), per_sample, 1e-12);
  // Per cell (the default) differs: the perfect cell costs nothing there.
  EXPECT_GT(std::abs(value("dualfocal", {}, 1.0, p, y) - per_sample), 0.1);

  // Detached: the same value, the gradient of factor * L_ds with the factor held constant.
  auto pd = torch::tensor({3.0}, torch::kDouble).requires_grad_();
  auto pa = torch::tensor({3.0}, torch::kDouble).requires_grad_();
  const auto target = torch::tensor({1.0}, torch::kDouble);
  auto ld = make_loss("dualfocal", cfg({"loss_focal_detach=true"}), 1.0)->forward(pd, target);
  auto la = make_loss("dualfocal", {}, 1.0)->forward(pa, target);
  EXPECT_NEAR(ld.item<double>(), la.item<double>(), 1e-12);
  ld.backward();
  la.backward();
  const double l = ds(3, 1), dl = 1 + 10.0 / 4.0;  // d L_ds / dp at p=3, y=1: 1 + λ/(1+p)
  EXPECT_NEAR(pd.grad().item<double>(), std::tanh(0.2 * l) * dl, 1e-9);
  EXPECT_NEAR(pa.grad().item<double>(), (std::tanh(0.2 * l) + l * 0.2 * (1 - std::pow(std::tanh(0.2 * l), 2))) * dl,
              1e-9);
  EXPECT_THROW(make_loss("dualfocal", cfg({"loss_focal=region"}), 1.0), fufi::UsageError);
}

}  // namespace fufi_test_losses
