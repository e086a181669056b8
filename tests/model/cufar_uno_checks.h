#pragma once
// Shared by the tests of CUFAR (test_cufar.cpp) and UNO (test_uno.cpp), which builds on CUFAR's code: TaxiBJ's
// hour-head spec, small configurations, synthetic batches, a few Adam steps, and the checks both models pass
// (shape and constraint, safe_n2, no-ext data, hour heads and their range error, gradients, training with MSE
// and with DualFocal), each run by the model's own test file.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fufi/core/error.h"
#include "fufi/model.h"
#include "fufi/model/losses.h"

namespace fufi::test::cufar_uno {

using namespace fufi::model;

inline fufi::Config with(std::vector<std::string> items) { return fufi::Config::from_assignments(items, "test"); }

// TaxiBJ's hour-head configuration: hours 7..21, slot = hour - 7, 15 slots.
inline DataSpec taxibj_spec(std::int64_t h = 32, std::int64_t w = 32, std::int64_t upscale = 4) {
  DataSpec spec;
  spec.coarse_h = h;
  spec.coarse_w = w;
  spec.upscale = upscale;
  spec.ext_dim = ext_col::kCount;
  spec.hour_offset = 7;
  spec.hour_slots = 15;
  return spec;
}

// Small sizes for everything that runs a forward pass.
inline const fufi::Config& small_config(const std::string& model) {
  static const auto cufar = with({"channels=8", "sub_region=2"});
  static const auto uno = with({"channels=8", "edsr_channels=8", "edsr_blocks=2", "attn_heads=2"});
  return model == "cufar" ? cufar : uno;
}

// A small model with safe_n2 (every block keeps its coarse value).
inline std::shared_ptr<FufiModel> small_safe_model(const std::string& name, const DataSpec& spec) {
  return ModelRegistry::instance().create(name, spec, small_config(name).merged_with(with({"safe_n2=true"})));
}

// Raw 7-column TaxiBJ ext rows with the given hours.
inline torch::Tensor ext_rows(const std::vector<float>& hours) {
  const auto n = static_cast<std::int64_t>(hours.size());
  auto ext = torch::zeros({n, ext_col::kCount});
  ext.select(1, ext_col::kTemperature).uniform_(0, 1);
  ext.select(1, ext_col::kWind).uniform_(0, 1);
  ext.select(1, ext_col::kHoliday).random_(0, 2);
  ext.select(1, ext_col::kWeekend).random_(0, 2);
  ext.select(1, ext_col::kDayOfWeek).random_(1, 8);
  ext.select(1, ext_col::kWeather).random_(1, 18);
  ext.select(1, ext_col::kHour).copy_(torch::tensor(hours));
  return ext;
}

struct Batch {
  torch::Tensor coarse, fine, ext;
};
// Integer, zero-inflated, heavy-tailed fine maps on a fixed layout; coarse = exact block sums.
inline Batch synthetic_batch(const DataSpec& spec, const std::vector<float>& hours) {
  const auto n = static_cast<std::int64_t>(hours.size());
  auto layout = torch::rand({1, spec.flow_channels, spec.fine_h(), spec.fine_w()}).pow(3) * 8.0;
  auto fine = torch::floor(layout * torch::empty({n, spec.flow_channels, spec.fine_h(), spec.fine_w()}).exponential_(1.0));
  return {block_sum(fine, spec.upscale), fine, spec.has_ext() ? ext_rows(hours) : torch::Tensor()};
}

inline double loss_on(FufiModel& model, const Batch& b, const std::function<torch::Tensor(torch::Tensor, torch::Tensor)>& loss) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(99);  // identical dropout masks in every evaluation
  return loss(model.forward({b.coarse, b.ext}).fine, b.fine).item<double>();
}

// Adam, `steps` steps on one batch in train mode; returns the loss before and after.
inline std::pair<double, double> train_steps(FufiModel& model, const Batch& b, int steps, double lr,
                                      const std::function<torch::Tensor(torch::Tensor, torch::Tensor)>& loss) {
  model.train();
  const double before = loss_on(model, b, loss);
  torch::optim::Adam adam(model.parameters(), torch::optim::AdamOptions(lr));
  for (int step = 0; step < steps; ++step) {
    adam.zero_grad();
    loss(model.forward({b.coarse, b.ext}).fine, b.fine).backward();
    adam.step();
  }
  return {before, loss_on(model, b, loss)};
}

inline const auto kMse = [](torch::Tensor p, torch::Tensor t) { return torch::mse_loss(p, t); };

// ---------------------------------------------------------------- what both models pass

inline void ShapeAndConstraintWithExt(const std::string& name) {
  torch::manual_seed(10);
  auto spec = taxibj_spec(8, 8, 4);
  auto model = ModelRegistry::instance().create(name, spec, small_config(name));
  auto b = synthetic_batch(spec, {7, 12, 21});
  b.coarse += 1;  // every block non-empty
  auto out = model->forward({b.coarse, b.ext}).fine;
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{3, 1, 32, 32}));
  EXPECT_GE(out.min().item<float>(), 0.0f);  // ReLU before N2
  // Reference N2 after a ReLU: each block sums to its coarse value, or to 0 when all its raw values
  // were clipped (the documented "lost block").
  auto sums = block_sum(out, 4);
  auto kept = ((sums - b.coarse).abs() <= 1e-3 * b.coarse);
  auto lost = sums.abs() < 1e-6;
  EXPECT_TRUE((kept | lost).all().item<bool>()) << name;
  EXPECT_GT(kept.to(torch::kFloat32).mean().item<float>(), 0.5f) << name;
}

inline void SafeN2KeepsEveryBlock(const std::string& name) {
  torch::manual_seed(11);
  auto spec = taxibj_spec(8, 8, 4);
  auto model = small_safe_model(name, spec);
  auto b = synthetic_batch(spec, {8, 9});
  auto out = model->forward({b.coarse, b.ext}).fine;
  EXPECT_TRUE(torch::allclose(block_sum(out, 4), b.coarse, 1e-4, 1e-4)) << name;
}

inline void WithoutExtAnyChannelCountAndUpscale(const std::string& name) {
  // BikeNYC-like: 2 flow channels, 8×4 coarse, ×2, no ext (one shared output head).
  torch::manual_seed(12);
  DataSpec spec;
  spec.flow_channels = 2;
  spec.coarse_h = 8;
  spec.coarse_w = 4;
  spec.upscale = 2;
  auto model = ModelRegistry::instance().create(name, spec, small_config(name));
  auto b = synthetic_batch(spec, {0, 0});
  b.coarse += 1;
  auto out = model->forward({b.coarse, {}}).fine;
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{2, 2, 16, 8}));
  auto sums = block_sum(out, 2);
  EXPECT_TRUE((((sums - b.coarse).abs() <= 1e-3 * b.coarse) | (sums.abs() < 1e-6)).all().item<bool>()) << name;
}

inline void HeadsAreChosenByHour(const std::string& name) {
  torch::manual_seed(13);
  auto spec = taxibj_spec(8, 8, 4);
  auto model = small_safe_model(name, spec);
  model->eval();
  auto b = synthetic_batch(spec, {9, 9});
  // The same maps and ext twice, then the second copy at another hour.
  auto coarse = b.coarse[0].unsqueeze(0).repeat({2, 1, 1, 1});
  auto ext = b.ext[0].unsqueeze(0).repeat({2, 1});
  auto same = model->forward({coarse, ext}).fine;
  EXPECT_TRUE(torch::allclose(same[0], same[1]));
  ext[1][ext_col::kHour] = 15;
  auto different = model->forward({coarse, ext}).fine;
  EXPECT_TRUE(torch::allclose(different[0], same[0]));
  EXPECT_FALSE(torch::allclose(different[1], same[1], 1e-4, 1e-4));
}

inline void HourOutsideTheHeadsIsABadDataErrorNamingIt(const std::string& name) {
  torch::manual_seed(14);
  auto spec = taxibj_spec(8, 8, 4);  // hours 7..21
  auto model = ModelRegistry::instance().create(name, spec, small_config(name));
  auto b = synthetic_batch(spec, {12, 22});
  try {
    model->forward({b.coarse, b.ext});
    FAIL() << name << " accepted hour 22";
  } catch (const fufi::InputError& e) {
    EXPECT_TRUE(model->has_hour_heads());
    EXPECT_NE(e.message().find("hour 22"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("7..21"), std::string::npos) << e.message();
  }
  // The synthetic data's configuration (hours 0..23 → offset 0, 24 slots) accepts every hour.
  spec.hour_offset = 0;
  spec.hour_slots = 24;
  model = ModelRegistry::instance().create(name, spec, small_config(name));
  EXPECT_NO_THROW(model->forward({b.coarse, ext_rows({0, 23})}));
}

inline void BackwardReachesTheUsedParameters(const std::string& name) {
  torch::manual_seed(15);
  auto spec = taxibj_spec(8, 8, 4);
  auto model = ModelRegistry::instance().create(name, spec, small_config(name));
  auto b = synthetic_batch(spec, {7, 10});
  torch::mse_loss(model->forward({b.coarse, b.ext}).fine, b.fine).backward();
  for (const auto& p : model->named_parameters()) {
    const auto& key = p.key();
    // Unused by design: the heads of hours not in the batch, UNO's time_my when ext is on, and EDSR's
    // frozen MeanShift convs.
    bool used_head = key.rfind("time_conv.0.", 0) == 0 || key.rfind("time_conv.3.", 0) == 0;
    bool unused = (key.rfind("time_conv.", 0) == 0 && !used_head) || key.rfind("time_my.", 0) == 0 ||
                  key.find("_mean.") != std::string::npos;
    if (unused) {
      EXPECT_FALSE(p.value().grad().defined() && p.value().grad().abs().sum().item<float>() > 0) << name << ": " << key;
    } else {
      ASSERT_TRUE(p.value().grad().defined()) << name << ": " << key << " got no gradient";
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << name << ": " << key;
    }
  }
}

inline void AFewAdamStepsLowerTheMseLoss(const std::string& name) {
  torch::manual_seed(16);
  auto spec = taxibj_spec(8, 8, 4);
  auto model = ModelRegistry::instance().create(name, spec, small_config(name));
  auto b = synthetic_batch(spec, {7, 11, 16, 20});
  auto [before, after] = train_steps(*model, b, 20, 1e-3, kMse);
  EXPECT_LT(after, 0.9 * before) << name << ": " << before << " -> " << after;
}

inline void DualFocalPlugsIn(const std::string& name) {
  torch::manual_seed(17);
  auto spec = taxibj_spec(8, 8, 4);
  auto model = ModelRegistry::instance().create(name, spec, small_config(name));
  auto dualfocal = make_loss("dualfocal", fufi::Config{}, 1.0);
  auto loss = [&](torch::Tensor p, torch::Tensor t) { return dualfocal->forward(p, t); };
  auto b = synthetic_batch(spec, {8, 13, 18, 21});
  auto [before, after] = train_steps(*model, b, 20, 1e-3, loss);
  EXPECT_TRUE(std::isfinite(before) && std::isfinite(after));
  EXPECT_LT(after, 0.95 * before) << name << ": " << before << " -> " << after;
}

}  // namespace fufi::test::cufar_uno
