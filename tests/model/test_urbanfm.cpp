// UrbanFM (model/src/urbanfm.cpp): the reference parameter counts at 32→128, the family checks at test size,
// its recipe, ext handling, an empty residual body, and DualFocal as its loss.
#include <gtest/gtest.h>

#include "urban_family_checks.h"

namespace fufi_test_urbanfm {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;
using namespace fufi::test::urban_family;
using fufi::Config;

TEST(UrbanFM, ParameterCountsMatchTheReference) {
  auto spec = taxibj_spec();
  EXPECT_EQ(count("urbanfm", spec), 6226752);
  EXPECT_EQ(count("urbanfm", spec, {"channels=64"}), 1668992);
  EXPECT_EQ(count("urbanfm", spec, {"channels=32"}), 523680);
  EXPECT_EQ(count("urbanfm", spec, {"use_ext=false"}), 6082305);
  spec.ext_dim = 0;
  EXPECT_EQ(count("urbanfm", spec), 6082305);
}

// ---------------------------------------------------------------- what every UrbanFM-family model passes

class UrbanFMSmall : public ::testing::TestWithParam<Case> {};

TEST_P(UrbanFMSmall, OutputShapeAndSpatialConstraint) { OutputShapeAndSpatialConstraint(GetParam()); }
TEST_P(UrbanFMSmall, MultiChannelRectangularWithoutExt) { MultiChannelRectangularWithoutExt(GetParam()); }
TEST_P(UrbanFMSmall, BackwardReachesEveryUsedParameter) { BackwardReachesEveryUsedParameter(GetParam()); }
TEST_P(UrbanFMSmall, TrainingStepsLowerTheLoss) { TrainingStepsLowerTheLoss(GetParam()); }
TEST_P(UrbanFMSmall, RejectsInputsThatDoNotMatchItsSpec) { RejectsInputsThatDoNotMatchItsSpec(GetParam()); }
TEST_P(UrbanFMSmall, CarriesItsReferenceRecipe) { CarriesItsReferenceRecipe(GetParam()); }
TEST_P(UrbanFMSmall, OnlyUrbanPyHasItsOwnLoss) { OnlyUrbanPyHasItsOwnLoss(GetParam()); }
TEST_P(UrbanFMSmall, UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel) { UpscaleNotAPowerOfTwoIsAUsageErrorNamingTheModel(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Configurations, UrbanFMSmall, ::testing::ValuesIn(cases_of("urbanfm")), case_label);

TEST(UrbanFM, RecipeFollowsItsReferenceScript) {
  const auto& urbanfm = ModelRegistry::instance().get("urbanfm").recipes.at("reference");
  EXPECT_EQ(urbanfm.get_int("lr_halve_every"), 20);
  EXPECT_DOUBLE_EQ(urbanfm.get_double("scaler_x"), 1500.0);
  EXPECT_DOUBLE_EQ(urbanfm.get_double("scaler_y"), 100.0);
}

TEST(UrbanFM, ExtOfAnotherWidthCannotBeEmbedded) {
  auto spec = small_spec();
  spec.ext_dim = 5;
  EXPECT_THROW(ModelRegistry::instance().create("urbanfm", spec, Config::from_assignments({"channels=16"})),
               fufi::UsageError);
  EXPECT_NO_THROW(
      ModelRegistry::instance().create("urbanfm", spec, Config::from_assignments({"channels=16", "use_ext=false"})));
}

TEST(UrbanFM, ZeroResidualBlocksIsAnIdentityBody) {
  torch::manual_seed(5);
  auto spec = small_spec();
  auto batch = synthetic_batch(spec, 2);
  auto model =
      ModelRegistry::instance().create("urbanfm", spec, Config::from_assignments({"channels=16", "residual_blocks=0"}));
  EXPECT_EQ(model->forward({batch.coarse, batch.ext}).fine.sizes(), batch.fine.sizes());
}

TEST(UrbanFM, DualFocalTrainsIt) {
  torch::manual_seed(41);
  auto spec = small_spec();
  auto model = ModelRegistry::instance().create("urbanfm", spec,
                                                Config::from_assignments({"channels=16", "residual_blocks=2"}));
  auto loss = make_loss("dualfocal", Config{}, 1.0);
  auto batch = synthetic_batch(spec, 4);
  auto evaluate = [&] {
    torch::NoGradGuard no_grad;
    torch::manual_seed(99);
    return loss->forward(model->forward({batch.coarse, batch.ext}).fine, batch.fine).item<double>();
  };
  const double before = evaluate();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  for (int step = 0; step < 20; ++step) {
    adam.zero_grad();
    auto value = loss->forward(model->forward({batch.coarse, batch.ext}).fine, batch.fine);
    ASSERT_TRUE(std::isfinite(value.item<double>()));
    value.backward();
    adam.step();
  }
  EXPECT_LT(evaluate(), before);
}

}  // namespace fufi_test_urbanfm
