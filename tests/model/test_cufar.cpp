// CUFAR (model/src/cufar.cpp): the exact reference parameter count and recipe, the checks it shares with UNO
// (hour-specific heads, shapes with and without ext, the N2 constraint, backward, training), its sub-region limit.
#include <gtest/gtest.h>

#include "cufar_uno_checks.h"

namespace fufi_test_cufar {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;
using namespace fufi::test::cufar_uno;

TEST(Cufar, ParameterCountMatchesTheReference) {
  auto model = ModelRegistry::instance().create("cufar", taxibj_spec(), {});
  EXPECT_EQ(count_parameters(*model), 40359197);
}

TEST(Cufar, ReferenceRecipe) {
  const auto& cufar = ModelRegistry::instance().get("cufar").recipes.at("reference");
  EXPECT_EQ(cufar.get_string("loss"), "mse");
  EXPECT_DOUBLE_EQ(cufar.get_double("adam_beta2"), 0.9);  // the reference passes b1 twice
  EXPECT_EQ(cufar.get_int("lr_halve_every"), 0);
}

// ---------------------------------------------------------------- forward: shapes, constraint, hour heads

TEST(Cufar, ShapeAndConstraintWithExt) { ShapeAndConstraintWithExt("cufar"); }
TEST(Cufar, SafeN2KeepsEveryBlock) { SafeN2KeepsEveryBlock("cufar"); }
TEST(Cufar, WithoutExtAnyChannelCountAndUpscale) { WithoutExtAnyChannelCountAndUpscale("cufar"); }
TEST(Cufar, HeadsAreChosenByHour) { HeadsAreChosenByHour("cufar"); }
TEST(Cufar, HourOutsideTheHeadsIsABadDataErrorNamingIt) { HourOutsideTheHeadsIsABadDataErrorNamingIt("cufar"); }
TEST(Cufar, BackwardReachesTheUsedParameters) { BackwardReachesTheUsedParameters("cufar"); }
TEST(Cufar, AFewAdamStepsLowerTheMseLoss) { AFewAdamStepsLowerTheMseLoss("cufar"); }
TEST(Cufar, DualFocalPlugsIn) { DualFocalPlugsIn("cufar"); }

// ---------------------------------------------------------------- configuration

TEST(Cufar, SubRegionMustDivideTheGrid) {
  try {
    ModelRegistry::instance().create("cufar", taxibj_spec(10, 10, 4), with({"channels=8", "sub_region=4"}));
    FAIL();
  } catch (const fufi::UsageError& e) {
    EXPECT_NE(e.message().find("sub_region 4"), std::string::npos) << e.message();
  }
}

TEST(Cufar, HeadsFollowTheFeatureWidth) {
  // The reference hard-codes the heads to 2·128 inputs; fufi's read 2·channels (conv3 → C, + bias).
  auto model = ModelRegistry::instance().create("cufar", taxibj_spec(8, 8, 4), small_config("cufar"));
  EXPECT_EQ(model->named_parameters()["time_conv.0.weight"].sizes(), (std::vector<std::int64_t>{1, 16, 3, 3}));
}

}  // namespace fufi_test_cufar
