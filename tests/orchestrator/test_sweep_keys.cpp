// The keys a sweep may set and their value kinds (sweep_keys.cpp), from the engine, losses and models.
#include <gtest/gtest.h>

#include <algorithm>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "sweep_keys.h"

namespace fufi_test_sweep_keys {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::orchestrator;

TEST(SweepKeys, KnowsTrainingLossAndModelKeysWithTheirKinds) {
  const auto& k = known_keys();
  EXPECT_EQ(k.kinds.at("epochs"), std::set<ValueKind>{ValueKind::Int});
  EXPECT_TRUE(k.kinds.at("lr").count(ValueKind::Number));
  EXPECT_TRUE(k.kinds.at("loss").count(ValueKind::String));
  EXPECT_TRUE(k.kinds.at("channels").count(ValueKind::Int));  // a model key
  EXPECT_EQ(k.kinds.at("recipe"), std::set<ValueKind>{ValueKind::String});
  EXPECT_TRUE(std::is_sorted(k.names.begin(), k.names.end()));
  EXPECT_EQ(k.names.size(), k.kinds.size());
  EXPECT_NE(std::find(k.models.begin(), k.models.end(), "plgf"), k.models.end());
  EXPECT_NE(std::find(k.losses.begin(), k.losses.end(), "dualfocal"), k.losses.end());
  EXPECT_NE(std::find(k.losses.begin(), k.losses.end(), "model"), k.losses.end());  // the model's own recipe
  EXPECT_EQ(k.kinds.count("seed"), 0u);  // seeds come from `seeds`
}

TEST(SweepKeys, KindsReadAsWords) {
  EXPECT_STREQ(kind_name(ValueKind::Bool), "true or false");
  EXPECT_STREQ(kind_name(ValueKind::Int), "an integer");
  EXPECT_STREQ(kind_name(ValueKind::Number), "a number");
  EXPECT_STREQ(kind_name(ValueKind::String), "a string");
}

// Issue #20: one spelling per value in job ids, and a value of the wrong kind refused when the plan is made.
TEST(SweepKeys, ValuesHaveOneCanonicalSpellingAndAreCheckedByKind) {
  for (const char* yes : {"true", "yes", "1", "on", "TRUE"}) EXPECT_EQ(canonical_value("safe_n2", yes, "--set"), "true");
  for (const char* no : {"false", "no", "0", "off"}) EXPECT_EQ(canonical_value("safe_n2", no, "--set"), "false");
  EXPECT_EQ(canonical_value("epochs", "007", "--set"), "7");
  EXPECT_EQ(canonical_value("lr", "0.00030", "--set"), canonical_value("lr", "3e-4", "--set"));
  EXPECT_EQ(canonical_value("loss", "mse", "--set"), "mse");
  fufi::test::expect_error<fufi::UsageError>([] { canonical_value("depth", "abc", "--set"); },
                                             {"--set", "key 'depth'", "an integer", "'abc'"});
  fufi::test::expect_error<fufi::UsageError>([] { canonical_value("safe_n2", "maybe", "--set"); },
                                             {"key 'safe_n2'", "true or false", "'maybe'"});
  fufi::test::expect_error<fufi::UsageError>([] { canonical_value("epochs", "2.5", "--set"); }, {"key 'epochs'"});
  // A key whose default is "auto" (channels_last: measured per job) takes "auto" or a boolean in any spelling.
  EXPECT_EQ(canonical_value("channels_last", "auto", "--set"), "auto");
  EXPECT_EQ(canonical_value("channels_last", "yes", "--set"), "true");
  EXPECT_EQ(canonical_value("channels_last", "0", "--set"), "false");
}

// In a sweep file too: `channels_last = false` (a TOML boolean) and `channels_last = "auto"` are both valid.
TEST(SweepKeys, AnAutoKeyTakesABooleanOrAuto) {
  EXPECT_TRUE(known_keys().kinds.at("channels_last").count(ValueKind::Bool));
  EXPECT_TRUE(known_keys().kinds.at("channels_last").count(ValueKind::String));
}

}  // namespace fufi_test_sweep_keys
