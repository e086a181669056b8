// The keys a sweep may set and their value kinds (sweep_keys.cpp), from the engine, losses and models.
#include <gtest/gtest.h>

#include <algorithm>

#include "sweep_keys.h"

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
