// UrbanPy (model/src/urbanpy.cpp): the reference parameter counts, the family checks for the local and global
// proposals, its recipe and limits, every scale of its cascade, its multi-scale loss and density KL, LocalConv.
#include <gtest/gtest.h>

#include "urban_family_checks.h"

namespace fufi_test_urbanpy {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;
using namespace fufi::test::urban_family;
using fufi::Config;

TEST(UrbanPy, ParameterCountsMatchTheReference) {
  auto spec = taxibj_spec();
  EXPECT_EQ(count("urbanpy", spec), 3536762);
  EXPECT_EQ(count("urbanpy", spec, {"proposal=global"}), 2974930);
  EXPECT_EQ(count("urbanpy", spec, {"channels=128"}), 11985338);
}

// ---------------------------------------------------------------- what every UrbanFM-family model passes

class UrbanPySmall : public ::testing::TestWithParam<Case> {};

TEST_P(UrbanPySmall, OutputShapeAndSpatialConstraint) { OutputShapeAndSpatialConstraint(GetParam()); }
TEST_P(UrbanPySmall, MultiChannelRectangularWithoutExt) { MultiChannelRectangularWithoutExt(GetParam()); }
TEST_P(UrbanPySmall, BackwardReachesEveryUsedParameter) { BackwardReachesEveryUsedParameter(GetParam()); }
TEST_P(UrbanPySmall, TrainingStepsLowerTheLoss) { TrainingStepsLowerTheLoss(GetParam()); }
TEST_P(UrbanPySmall, RejectsInputsThatDoNotMatchItsSpec) { RejectsInputsThatDoNotMatchItsSpec(GetParam()); }
TEST_P(UrbanPySmall, CarriesItsReferenceRecipe) { CarriesItsReferenceRecipe(GetParam()); }
TEST_P(UrbanPySmall, OnlyUrbanPyHasItsOwnLoss) { OnlyUrbanPyHasItsOwnLoss(GetParam()); }
TEST_P(UrbanPySmall, UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel) { UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Configurations, UrbanPySmall, ::testing::ValuesIn(cases_of("urbanpy")), case_label);

TEST(UrbanPy, RecipeFollowsItsReferenceScript) {
  EXPECT_EQ(ModelRegistry::instance().get("urbanpy").recipes.at("reference").get_int("lr_halve_every"), 50);
}

TEST(UrbanPy, ArchitecturalLimitsAreUsageErrors) {
  auto& r = ModelRegistry::instance();
  auto spec = small_spec();
  spec.upscale = 1;  // no ×2 step to cascade
  EXPECT_THROW(r.create("urbanpy", spec, Config::from_assignments({"channels=16"})), fufi::UsageError);
  spec = small_spec();
  EXPECT_THROW(r.create("urbanpy", spec, Config::from_assignments({"proposal=middle"})), fufi::UsageError);
}

TEST(UrbanPy, ZeroBlockBodiesAreIdentities) {
  torch::manual_seed(5);
  auto spec = small_spec();
  auto batch = synthetic_batch(spec, 2);
  auto model = ModelRegistry::instance().create(
      "urbanpy", spec, Config::from_assignments({"channels=16", "residual_blocks=0", "proposal_res_blocks=0"}));
  EXPECT_EQ(model->forward({batch.coarse, batch.ext}).fine.sizes(), batch.fine.sizes());
}

TEST(UrbanPy, ReturnsEveryScaleAndEachKeepsItsConstraint) {
  torch::manual_seed(21);
  auto spec = small_spec();
  spec.upscale = 8;  // three ×2 steps
  auto model = ModelRegistry::instance().create("urbanpy", spec,
                                                Config::from_assignments({"channels=16", "residual_blocks=1"}));
  auto batch = synthetic_batch(spec, 2);
  auto out = model->forward({batch.coarse, batch.ext});
  ASSERT_EQ(out.intermediate.size(), 2u);
  ASSERT_EQ(out.densities.size(), 3u);
  auto expected = batch.coarse * spec.scaler_ratio;
  for (int i = 0; i < 3; ++i) {
    const std::int64_t block = std::int64_t{2} << i;
    const auto& flows = i < 2 ? out.intermediate[i] : out.fine;
    ASSERT_EQ(flows.size(2), 8 * block);
    EXPECT_EQ(out.densities[i].sizes(), flows.sizes());
    EXPECT_TRUE(torch::allclose(block_sum(flows, block), expected, 1e-3, 1e-2)) << "scale " << block;
    // Densities sum to one over each block with traffic.
    EXPECT_TRUE(torch::allclose(block_sum(out.densities[i], block), torch::ones_like(expected), 1e-3, 1e-3));
  }
  auto loss = model->model_loss(out, batch.fine);
  EXPECT_EQ(loss.dim(), 0);
  EXPECT_GT(loss.item<double>(), 0.0);
  // Someone else's output (no densities) is a usage error, not a crash.
  EXPECT_THROW(model->model_loss(ModelOutput{out.fine, {}, {}}, batch.fine), fufi::UsageError);
}

TEST(UrbanPy, ModelLossIsWeightedMseOverScalesPlusKl) {
  torch::manual_seed(22);
  auto spec = small_spec();
  auto model = ModelRegistry::instance().create(
      "urbanpy", spec, Config::from_assignments({"channels=16", "residual_blocks=1", "kl_alpha=0.25"}));
  auto batch = synthetic_batch(spec, 2);
  auto out = model->forward({batch.coarse, batch.ext});
  auto mid_target = block_sum(batch.fine, 2);  // the 16×16 scale
  auto mse = torch::mse_loss(out.intermediate[0], mid_target) + torch::mse_loss(out.fine, batch.fine);
  auto kl = urbanpy_density_kl(out.densities[0], mid_target, 2) + urbanpy_density_kl(out.densities[1], batch.fine, 4);
  EXPECT_NEAR(model->model_loss(out, batch.fine).item<double>(), (0.75 * mse + 0.25 * kl).item<double>(), 1e-5);
}

TEST(UrbanPy, DensityKlMatchesHandComputation) {
  // One sample, one 2×2 block with counts {1, 3, 0, 0} (true density {.25, .75, 0, 0}) and one empty block.
  auto target = torch::tensor({{1.f, 3.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}}).reshape({1, 1, 2, 4});
  auto predicted = torch::tensor({{0.5f, 0.5f, 0.25f, 0.25f}, {0.f, 0.f, 0.25f, 0.25f}}).reshape({1, 1, 2, 4});
  // Only the first block counts; the zero-density cells contribute ~1e-9·log(...) ≈ 0.
  const double expected = 0.25 * std::log(0.25 / 0.5) + 0.75 * std::log(0.75 / 0.5);
  EXPECT_NEAR(urbanpy_density_kl(predicted, target, 2).item<double>(), expected, 1e-5);
  // A perfect prediction has zero divergence; an all-empty sample contributes zero, not NaN.
  auto perfect = torch::tensor({{0.25f, 0.75f, 0.25f, 0.25f}, {0.f, 0.f, 0.25f, 0.25f}}).reshape({1, 1, 2, 4});
  EXPECT_NEAR(urbanpy_density_kl(perfect, target, 2).item<double>(), 0.0, 1e-5);
  EXPECT_EQ(urbanpy_density_kl(perfect, torch::zeros_like(target), 2).item<double>(), 0.0);
}

TEST(UrbanPy, LocalConvGivesEachTileItsOwnMatrix) {
  torch::manual_seed(23);
  LocalConv local(LocalConvOptions{2, 3, 2, 2, 2});
  {
    torch::NoGradGuard no_grad;
    local->weight.copy_(torch::eye(8).expand({6, 8, 8}));
  }
  auto x = torch::randn({3, 2, 4, 6});
  EXPECT_TRUE(torch::allclose(local->forward(x), x));  // identity per tile
  {
    torch::NoGradGuard no_grad;
    local->weight[4].mul_(3.0);  // tile (row 1, col 1) only
  }
  auto y = local->forward(x);
  auto tile = [](const torch::Tensor& t) { return t.slice(2, 2, 4).slice(3, 2, 4); };
  EXPECT_TRUE(torch::allclose(tile(y), 3.0 * tile(x)));
  EXPECT_TRUE(torch::allclose(y.slice(2, 0, 2), x.slice(2, 0, 2)));
  EXPECT_EQ(count_parameters(*local), 6 * 8 * 8);
}

}  // namespace fufi_test_urbanpy
