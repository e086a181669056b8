// FODE and UrbanODE (model/src/ode_models.cpp): the reference parameter counts, the family checks at test size,
// their recipes and width limits, the RK4 3/8 step, pyramid attention against the literal reference
// computation, and the negative-output quirk with its safe_n2 fix.
#include <gtest/gtest.h>

#include "urban_family_checks.h"

namespace fufi_test_ode_models {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;
using namespace fufi::test::urban_family;
using fufi::Config;

TEST(OdeModels, FODEParameterCountMatchesTheReference) { EXPECT_EQ(count("fode", taxibj_spec()), 2131423); }

TEST(OdeModels, UrbanODEParameterCountMatchesTheReference) { EXPECT_EQ(count("urbanode", taxibj_spec()), 3053139); }

// ---------------------------------------------------------------- what every UrbanFM-family model passes

class FODESmall : public ::testing::TestWithParam<Case> {};

TEST_P(FODESmall, OutputShapeAndSpatialConstraint) { OutputShapeAndSpatialConstraint(GetParam()); }
TEST_P(FODESmall, MultiChannelRectangularWithoutExt) { MultiChannelRectangularWithoutExt(GetParam()); }
TEST_P(FODESmall, BackwardReachesEveryUsedParameter) { BackwardReachesEveryUsedParameter(GetParam()); }
TEST_P(FODESmall, TrainingStepsLowerTheLoss) { TrainingStepsLowerTheLoss(GetParam()); }
TEST_P(FODESmall, RejectsInputsThatDoNotMatchItsSpec) { RejectsInputsThatDoNotMatchItsSpec(GetParam()); }
TEST_P(FODESmall, CarriesItsReferenceRecipe) { CarriesItsReferenceRecipe(GetParam()); }
TEST_P(FODESmall, OnlyUrbanPyHasItsOwnLoss) { OnlyUrbanPyHasItsOwnLoss(GetParam()); }
TEST_P(FODESmall, UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel) { UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Configurations, FODESmall, ::testing::ValuesIn(cases_of("fode")), case_label);

class UrbanODESmall : public ::testing::TestWithParam<Case> {};

TEST_P(UrbanODESmall, OutputShapeAndSpatialConstraint) { OutputShapeAndSpatialConstraint(GetParam()); }
TEST_P(UrbanODESmall, MultiChannelRectangularWithoutExt) { MultiChannelRectangularWithoutExt(GetParam()); }
TEST_P(UrbanODESmall, BackwardReachesEveryUsedParameter) { BackwardReachesEveryUsedParameter(GetParam()); }
TEST_P(UrbanODESmall, TrainingStepsLowerTheLoss) { TrainingStepsLowerTheLoss(GetParam()); }
TEST_P(UrbanODESmall, RejectsInputsThatDoNotMatchItsSpec) { RejectsInputsThatDoNotMatchItsSpec(GetParam()); }
TEST_P(UrbanODESmall, CarriesItsReferenceRecipe) { CarriesItsReferenceRecipe(GetParam()); }
TEST_P(UrbanODESmall, OnlyUrbanPyHasItsOwnLoss) { OnlyUrbanPyHasItsOwnLoss(GetParam()); }
TEST_P(UrbanODESmall, UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel) { UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Configurations, UrbanODESmall, ::testing::ValuesIn(cases_of("urbanode")), case_label);

TEST(OdeModels, RecipesFollowTheirReferenceScripts) {
  for (const char* name : {"fode", "urbanode"}) {
    const auto& recipe = ModelRegistry::instance().get(name).recipes.at("reference");
    EXPECT_DOUBLE_EQ(recipe.get_double("adam_beta2"), 0.9) << name;  // CUFAR passes b1 twice
    EXPECT_EQ(recipe.get_int("lr_halve_every"), 0) << name;
    EXPECT_DOUBLE_EQ(recipe.get_double("scaler_y"), 1.0) << name;
  }
}

TEST(OdeModels, WidthLimitsAreUsageErrors) {
  auto spec = small_spec();
  EXPECT_THROW(ModelRegistry::instance().create("fode", spec, Config::from_assignments({"channels=8"})),
               fufi::UsageError);
  EXPECT_THROW(ModelRegistry::instance().create("urbanode", spec, Config::from_assignments({"channels=48"})),
               fufi::UsageError);
}

TEST(OdeModels, RungeKuttaThreeEighthsStepIsFourthOrder) {
  // dy/dt = a·y: one RK4 step gives y0·(1 + h + h²/2 + h³/6 + h⁴/24), h = a·dt.
  auto y0 = torch::tensor({1.0, -2.0}, torch::kFloat64);
  for (double a : {0.5, -1.3}) {
    for (double dt : {1.0, 0.25}) {
      const double h = a * dt;
      auto y1 = rk4_three_eighths_step([a](const torch::Tensor& y) { return a * y; }, y0, dt);
      const double factor = 1 + h + h * h / 2 + h * h * h / 6 + h * h * h * h / 24;
      EXPECT_TRUE(torch::allclose(y1, y0 * factor, 1e-12, 1e-12)) << a << " " << dt;
    }
  }
  // The 3/8 rule (not the classic rule) on dy/dt = t-free nonlinear f: compare with the explicit tableau.
  auto f = [](const torch::Tensor& y) { return torch::sin(y) * 2.0; };
  auto k1 = f(y0), k2 = f(y0 + k1 / 3.0), k3 = f(y0 + k2 - k1 / 3.0), k4 = f(y0 + k1 - k2 + k3);
  EXPECT_TRUE(torch::allclose(rk4_three_eighths_step(f, y0), y0 + (k1 + 3 * k2 + 3 * k3 + k4) / 8.0));
}

// The reference's PyramidAttention.forward written out literally (per-sample conv2d against the
// normalised key patches, conv_transpose2d with the value patches, interpolate by scale factor), from
// the module's own parameters: fufi's batched-GEMM version must give the same map.
torch::Tensor literal_pyramid_attention(PyramidAttention& attention, const torch::Tensor& input) {
  namespace F = torch::nn::functional;
  auto params = attention->named_parameters();
  auto conv_prelu = [&](const std::string& name, const torch::Tensor& x) {
    auto y = torch::conv2d(x, params[name + ".0.weight"], params[name + ".0.bias"]);
    return torch::prelu(y, params[name + ".1.weight"]);
  };
  auto patches = [](const torch::Tensor& x) {
    return F::unfold(x, F::UnfoldFuncOptions({3, 3}).padding(1))
        .view({x.size(0), x.size(1), 3, 3, -1})
        .permute({0, 4, 1, 2, 3});
  };
  auto query = conv_prelu("match_base", input);
  std::vector<torch::Tensor> keys, values;
  for (int level = 0; level < 5; ++level) {
    const double scale = 1.0 - level / 10.0;
    auto ref = level == 0 ? input
                          : F::interpolate(input, F::InterpolateFuncOptions()
                                                      .scale_factor(std::vector<double>{scale, scale})
                                                      .mode(torch::kNearest)
                                                      .recompute_scale_factor(true));
    values.push_back(patches(conv_prelu("assembly", ref)));
    keys.push_back(patches(conv_prelu("match", ref)));
  }
  std::vector<torch::Tensor> out;
  for (std::int64_t i = 0; i < input.size(0); ++i) {
    std::vector<torch::Tensor> k, v;
    for (int level = 0; level < 5; ++level) {
      k.push_back(keys[level][i]);
      v.push_back(values[level][i]);
    }
    auto wi = torch::cat(k, 0);
    auto norms = torch::max(wi.pow(2).sum({1, 2, 3}, true).sqrt(), torch::full({1}, 1e-4));
    auto xi = F::pad(query.slice(0, i, i + 1), F::PadFuncOptions({1, 1, 1, 1}));
    auto yi = torch::softmax(F::conv2d(xi, wi / norms) * 10.0, 1);
    out.push_back(F::conv_transpose2d(yi, torch::cat(v, 0), F::ConvTranspose2dFuncOptions().padding(1)) / 4.0);
  }
  return torch::cat(out, 0) + input;
}

TEST(OdeModels, PyramidAttentionMatchesTheLiteralReferenceComputation) {
  torch::manual_seed(32);
  PyramidAttention attention(8);
  auto input = torch::randn({2, 8, 7, 5});  // rectangular and odd, to catch transposed axes
  auto expected = literal_pyramid_attention(attention, input);
  auto actual = attention->forward(input);
  ASSERT_EQ(actual.sizes(), input.sizes());
  EXPECT_TRUE(torch::allclose(actual, expected, 1e-4, 1e-5)) << (actual - expected).abs().max().item<double>();
  EXPECT_EQ(count_parameters(*attention), (8 * 4 + 4 + 1) * 2 + (8 * 8 + 8 + 1));
}

// The reference adds the signed high-resolution ext ODE terms after the head's ReLU; a block with mixed
// signs and a small positive sum then yields negative fine flows. Forcing the ext ODE's derivative to a
// ±10 pattern along the width makes that happen deterministically; safe_n2 clamps it away.
TEST(OdeModels, SignedExtTermsGiveNegativeOutputsUnlessSafeN2) {
  for (const char* name : {"fode", "urbanode"}) {
    for (bool safe : {false, true}) {
      torch::manual_seed(31);
      auto spec = small_spec();
      auto model = ModelRegistry::instance().create(
          name, spec, Config::from_assignments({"channels=16", safe ? "safe_n2=true" : "safe_n2=false"}));
      {
        torch::NoGradGuard no_grad;
        for (auto& item : model->named_parameters()) {
          const auto& key = item.key();
          if (key.find("ext_ode") == std::string::npos || key.find("fine") == std::string::npos) continue;
          if (key.find("fc3.weight") != std::string::npos) item.value().zero_();
          if (key.find("fc3.bias") != std::string::npos)
            item.value().copy_((torch::arange(item.value().size(0)).remainder(2) * 20 - 10).to(torch::kFloat32));
        }
      }
      model->eval();
      auto batch = synthetic_batch(spec, 2);
      auto fine = model->forward({batch.coarse + 1.0, batch.ext}).fine;
      if (safe)
        EXPECT_GE(fine.min().item<double>(), 0.0) << name;
      else
        EXPECT_LT(fine.min().item<double>(), 0.0) << name;
    }
  }
}

}  // namespace fufi_test_ode_models
