// SRCNN, ESPCN, VDSR, DeepSD, SRResNet (UrbanSTA adaptations): exact reference parameter counts,
// shapes for any channel count and power-of-two upscale, the N2 constraint and its documented
// failure mode, backward, and a few training steps that lower the loss.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "fufi/core/error.h"
#include "fufi/model.h"

namespace fufi_test_sr_baselines {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

namespace {

const std::vector<std::string> kSrModels = {"srcnn", "espcn", "vdsr", "deepsd", "srresnet"};

fufi::Config with(std::vector<std::string> items) { return fufi::Config::from_assignments(items, "test"); }

DataSpec small_spec(std::int64_t channels = 1, std::int64_t h = 8, std::int64_t w = 8, std::int64_t upscale = 4) {
  DataSpec spec;
  spec.flow_channels = channels;
  spec.coarse_h = h;
  spec.coarse_w = w;
  spec.upscale = upscale;
  return spec;
}

// TaxiBJ-like batch: a fixed skewed spatial layout times exponential noise, floored to integer counts
// (many zeros, a heavy tail); the coarse map is the exact block sum, so the layout is learnable.
struct Batch {
  torch::Tensor coarse, fine;
};
Batch synthetic_batch(const DataSpec& spec, std::int64_t batch) {
  auto layout = torch::rand({1, spec.flow_channels, spec.fine_h(), spec.fine_w()}).pow(3) * 8.0;
  auto noise = torch::empty({batch, spec.flow_channels, spec.fine_h(), spec.fine_w()}).exponential_(1.0);
  auto fine = torch::floor(layout * noise);
  return {block_sum(fine, spec.upscale), fine};
}

// Loss on a fixed batch; the RNG is reseeded so that anything stochastic is identical between calls.
double loss_on(FufiModel& model, const Batch& b) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(99);
  return torch::mse_loss(model.forward({b.coarse, {}}).fine, b.fine).item<double>();
}

}  // namespace

TEST(SrBaselines, ParameterCountsMatchTheReferences) {
  // baselines.md §3, verified against the UrbanSTA code at 32→128, one flow channel.
  const std::map<std::string, std::pair<std::int64_t, std::int64_t>> expected = {
      {"srcnn", {131777, 513409}}, {"espcn", {94913, 374145}},        {"vdsr", {961152, 3839232}},
      {"deepsd", {189058, 730370}}, {"srresnet", {1526016, 6074880}},
  };
  DataSpec spec;  // 32×32 → 128×128, C = 1, no ext
  for (const auto& [name, counts] : expected) {
    auto& registry = ModelRegistry::instance();
    EXPECT_EQ(count_parameters(*registry.create(name, spec, {})), counts.first) << name << " at the default c=64";
    EXPECT_EQ(count_parameters(*registry.create(name, spec, with({"channels=128"}))), counts.second)
        << name << " at c=128";
  }
}

TEST(SrBaselines, ReferenceRecipesAreRegistered) {
  auto& registry = ModelRegistry::instance();
  for (const auto& name : kSrModels) {
    const auto& recipes = registry.get(name).recipes;
    ASSERT_TRUE(recipes.count("reference")) << name;
    const auto& r = recipes.at("reference");
    EXPECT_EQ(r.get_string("loss"), "mse") << name;
    EXPECT_EQ(r.get_int("epochs"), 200) << name;
    EXPECT_EQ(r.get_int("lr_halve_every"), 50) << name;
  }
  EXPECT_DOUBLE_EQ(registry.get("srresnet").recipes.at("reference").get_double("lr"), 5e-5);
  EXPECT_DOUBLE_EQ(registry.get("vdsr").recipes.at("reference").get_double("lr"), 5e-4);
}

TEST(SrBaselines, ShapesForAnyChannelCountAndPowerOfTwoUpscale) {
  torch::manual_seed(1);
  auto& registry = ModelRegistry::instance();
  // TaxiBJ-like (C=1, ×4) and BikeNYC-like (C=2, 10×4 coarse, ×2).
  for (const auto& spec : {small_spec(1, 8, 8, 4), small_spec(2, 10, 4, 2)}) {
    for (const auto& name : kSrModels) {
      auto model = registry.create(name, spec, with({"channels=8"}));
      auto coarse = torch::rand({2, spec.flow_channels, spec.coarse_h, spec.coarse_w}) * 10;
      auto out = model->forward({coarse, {}}).fine;
      EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{2, spec.flow_channels, spec.fine_h(), spec.fine_w()})) << name;
    }
  }
}

TEST(SrBaselines, NonPowerOfTwoUpscaleIsAUsageError) {
  for (const auto& name : kSrModels) {
    try {
      ModelRegistry::instance().create(name, small_spec(1, 8, 8, 3), with({"channels=8"}));
      ADD_FAILURE() << name << " accepted upscale 3";
    } catch (const fufi::UsageError& e) {
      EXPECT_NE(e.message().find("power of two"), std::string::npos) << e.message();
    }
  }
}

TEST(SrBaselines, ReferenceN2KeepsTheConstraintButAllowsNegativeFlows) {
  // The references feed the raw conv output to N2 (no ReLU): blocks still sum to the coarse value
  // (up to eps/(S+eps)), but individual cells can be negative.
  torch::manual_seed(2);
  auto spec = small_spec();
  for (const auto& name : kSrModels) {
    auto model = ModelRegistry::instance().create(name, spec, with({"channels=8"}));
    auto coarse = torch::rand({2, 1, 8, 8}) * 50 + 1;
    auto out = model->forward({coarse, {}}).fine;
    auto relative_error = (block_sum(out, 4) - coarse).abs() / coarse;
    auto kept = (relative_error < 1e-3).to(torch::kFloat32).mean().item<float>();
    EXPECT_GE(kept, 0.95f) << name << ": fraction of blocks that sum to their coarse value";
    EXPECT_LT(out.min().item<float>(), 0.0f) << name << ": the reference quirk (signed densities) is gone";
  }
}

TEST(SrBaselines, SafeN2IsNonNegativeAndExact) {
  torch::manual_seed(3);
  auto spec = small_spec();
  for (const auto& name : kSrModels) {
    auto model = ModelRegistry::instance().create(name, spec, with({"channels=8", "safe_n2=true"}));
    auto coarse = torch::rand({2, 1, 8, 8}) * 50;
    coarse[0][0][0][0] = 0;  // an empty coarse cell stays empty
    auto out = model->forward({coarse, {}}).fine;
    EXPECT_GE(out.min().item<float>(), 0.0f) << name;
    EXPECT_TRUE(torch::allclose(block_sum(out, 4), coarse, /*rtol=*/1e-4, /*atol=*/1e-4)) << name;
  }
}

TEST(SrBaselines, BackwardReachesEveryParameter) {
  torch::manual_seed(4);
  auto spec = small_spec();
  for (const auto& name : kSrModels) {
    auto model = ModelRegistry::instance().create(name, spec, with({"channels=8"}));
    auto b = synthetic_batch(spec, 2);
    torch::mse_loss(model->forward({b.coarse, {}}).fine, b.fine).backward();
    for (const auto& p : model->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << name << ": " << p.key() << " got no gradient";
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << name << ": " << p.key();
    }
  }
}

TEST(SrBaselines, AFewAdamStepsLowerTheLoss) {
  // Descent is asserted for the well-posed smoothed N2 only. The reference N2 divides by raw block sums of
  // a signed conv output: whether its first steps hit an exploding block depends on the rounding of the
  // convolution kernels, i.e. on the CPU's instruction set (AVX-512 vs AVX2 vs SSE4.1 in oneDNN), so a
  // descent test of it passes on one machine and fails on another. Its properties that hold on every CPU
  // are tested below (ReferenceN2StepsStayFiniteOrAreDetected).
  auto spec = small_spec();
  for (const auto& name : kSrModels) {
    torch::manual_seed(5);
    auto b = synthetic_batch(spec, 4);
    auto model = ModelRegistry::instance().create(name, spec, with({"channels=8", "safe_n2=true"}));
    model->train();
    const double before = loss_on(*model, b);
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
    for (int step = 0; step < 20; ++step) {
      adam.zero_grad();
      torch::mse_loss(model->forward({b.coarse, {}}).fine, b.fine).backward();
      adam.step();
    }
    const double after = loss_on(*model, b);
    EXPECT_LT(after, 0.9 * before) << name << " safe_n2=true: " << before << " -> " << after;
  }
}

TEST(SrBaselines, ReferenceN2KeepsBlockSumsWhileTraining) {
  // The reference N2 (safe_n2=false) may take large steps, but whatever the CPU, every step's output
  // still satisfies the spatial constraint wherever the raw block sum is not near zero, and a non-finite
  // loss is visible to the caller (the engine records it as `diverged`).
  auto spec = small_spec();
  for (const auto& name : kSrModels) {
    torch::manual_seed(5);
    auto b = synthetic_batch(spec, 4);
    auto model = ModelRegistry::instance().create(name, spec, with({"channels=8", "safe_n2=false"}));
    model->train();
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
    for (int step = 0; step < 5; ++step) {
      adam.zero_grad();
      auto out = model->forward({b.coarse, {}}).fine;
      auto loss = torch::mse_loss(out, b.fine);
      if (!std::isfinite(loss.item<double>())) break;  // detected: what the engine turns into `diverged`
      torch::NoGradGuard no_grad;
      auto sums = block_sum(out, spec.upscale);
      auto finite = torch::isfinite(sums);
      auto rel = ((sums - b.coarse).abs() / (b.coarse.abs() + 1.0)).masked_fill(~finite, 0.0);
      // Blocks whose raw sum lies within ~eps of zero blow up by design; the rest must hold to float rounding
      // scaled by the blow-up factor, so compare the median block, which no single explosion can move.
      EXPECT_LT(rel.flatten().median().item<double>(), 1e-3) << name << " step " << step;
      loss.backward();
      adam.step();
    }
  }
}

}  // namespace fufi_test_sr_baselines
