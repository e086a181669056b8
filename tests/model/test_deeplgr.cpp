// DeepLGR (model/src/deeplgr.cpp): the reference parameter count, the family checks at test size, its recipe,
// the pyramid's grid limit and an empty SE body.
#include <gtest/gtest.h>

#include "urban_family_checks.h"

namespace fufi_test_deeplgr {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;
using namespace fufi::test::urban_family;
using fufi::Config;

TEST(DeepLGR, ParameterCountMatchesTheReference) { EXPECT_EQ(count("deeplgr", taxibj_spec()), 11026449); }

// ---------------------------------------------------------------- what every UrbanFM-family model passes

class DeepLGRSmall : public ::testing::TestWithParam<Case> {};

TEST_P(DeepLGRSmall, OutputShapeAndSpatialConstraint) { OutputShapeAndSpatialConstraint(GetParam()); }
TEST_P(DeepLGRSmall, MultiChannelRectangularWithoutExt) { MultiChannelRectangularWithoutExt(GetParam()); }
TEST_P(DeepLGRSmall, BackwardReachesEveryUsedParameter) { BackwardReachesEveryUsedParameter(GetParam()); }
TEST_P(DeepLGRSmall, TrainingStepsLowerTheLoss) { TrainingStepsLowerTheLoss(GetParam()); }
TEST_P(DeepLGRSmall, RejectsInputsThatDoNotMatchItsSpec) { RejectsInputsThatDoNotMatchItsSpec(GetParam()); }
TEST_P(DeepLGRSmall, CarriesItsReferenceRecipe) { CarriesItsReferenceRecipe(GetParam()); }
TEST_P(DeepLGRSmall, OnlyUrbanPyHasItsOwnLoss) { OnlyUrbanPyHasItsOwnLoss(GetParam()); }
TEST_P(DeepLGRSmall, UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel) { UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Configurations, DeepLGRSmall, ::testing::ValuesIn(cases_of("deeplgr")), case_label);

TEST(DeepLGR, RecipeFollowsItsReferenceScript) {
  const auto& recipe = ModelRegistry::instance().get("deeplgr").recipes.at("reference");
  EXPECT_DOUBLE_EQ(recipe.get_double("adam_beta2"), 0.9);  // CUFAR passes b1 twice
  EXPECT_EQ(recipe.get_int("lr_halve_every"), 0);
  EXPECT_DOUBLE_EQ(recipe.get_double("scaler_y"), 1.0);
}

TEST(DeepLGR, PyramidNeedsAGridDivisibleByEight) {
  // DeepLGR's pyramid needs gcd(H, W) divisible by 8: 12×4 fine maps have gcd 4.
  auto spec = small_spec();
  spec.coarse_h = 6;
  spec.coarse_w = 2;
  spec.upscale = 2;
  EXPECT_THROW(
      ModelRegistry::instance().create("deeplgr", spec, Config::from_assignments({"channels=16", "se_blocks=1"})),
      fufi::UsageError);
}

TEST(DeepLGR, ZeroSeBlocksIsAnIdentityBody) {
  torch::manual_seed(5);
  auto spec = small_spec();
  auto batch = synthetic_batch(spec, 2);
  auto model = ModelRegistry::instance().create("deeplgr", spec, Config::from_assignments({"channels=16", "se_blocks=0"}));
  EXPECT_EQ(model->forward({batch.coarse, batch.ext}).fine.sizes(), batch.fine.sizes());
}

}  // namespace fufi_test_deeplgr
