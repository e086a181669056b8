// UNO (model/src/uno.cpp): the exact reference parameter count and recipe, the checks it shares with CUFAR
// (hour-specific heads, shapes with and without ext, the N2 constraint, backward, training), its width limits.
#include <gtest/gtest.h>

#include "cufar_uno_checks.h"

namespace fufi_test_uno {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;
using namespace fufi::test::cufar_uno;

TEST(Uno, ParameterCountMatchesTheReference) {
  // Includes EDSR's 24 frozen MeanShift parameters and the unused shared head time_my.
  auto model = ModelRegistry::instance().create("uno", taxibj_spec(), {});
  EXPECT_EQ(count_parameters(*model), 117913472);
}

TEST(Uno, ReferenceRecipe) {
  const auto& uno = ModelRegistry::instance().get("uno").recipes.at("reference");
  EXPECT_EQ(uno.get_string("loss"), "smooth_l1");
  EXPECT_EQ(uno.get_string("lr_schedule"), "uno");
  EXPECT_EQ(uno.get_int("epochs"), 60);
}

// ---------------------------------------------------------------- forward: shapes, constraint, hour heads

TEST(Uno, ShapeAndConstraintWithExt) { ShapeAndConstraintWithExt("uno"); }
TEST(Uno, SafeN2KeepsEveryBlock) { SafeN2KeepsEveryBlock("uno"); }
TEST(Uno, WithoutExtAnyChannelCountAndUpscale) { WithoutExtAnyChannelCountAndUpscale("uno"); }
TEST(Uno, HeadsAreChosenByHour) { HeadsAreChosenByHour("uno"); }
TEST(Uno, HourOutsideTheHeadsIsABadDataErrorNamingIt) { HourOutsideTheHeadsIsABadDataErrorNamingIt("uno"); }
TEST(Uno, BackwardReachesTheUsedParameters) { BackwardReachesTheUsedParameters("uno"); }
TEST(Uno, AFewAdamStepsLowerTheMseLoss) { AFewAdamStepsLowerTheMseLoss("uno"); }
TEST(Uno, DualFocalPlugsIn) { DualFocalPlugsIn("uno"); }

// ---------------------------------------------------------------- configuration

TEST(Uno, AttentionHeadsMustDivideTheEncoderWidth) {
  EXPECT_THROW(ModelRegistry::instance().create("uno", taxibj_spec(8, 8, 4),
                                                with({"channels=8", "edsr_channels=10", "attn_heads=4"})),
               fufi::UsageError);
  EXPECT_THROW(ModelRegistry::instance().create("uno", taxibj_spec(8, 8, 4), with({"channels=7"})), fufi::UsageError);
}

TEST(Uno, HeadsFollowTheFeatureWidth) {
  // The reference hard-codes the heads to 2·128 inputs; fufi's read 2·channels (conv3 → C, + bias).
  auto model = ModelRegistry::instance().create("uno", taxibj_spec(8, 8, 4), small_config("uno"));
  EXPECT_EQ(model->named_parameters()["time_my.weight"].sizes(), (std::vector<std::int64_t>{1, 16, 3, 3}));
}

}  // namespace fufi_test_uno
