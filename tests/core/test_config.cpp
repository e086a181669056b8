#include <gtest/gtest.h>

#include "fufi/core/config.h"
#include "fufi/core/error.h"

namespace fufi_test_config {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using fufi::Config;

TEST(Config, ParsesAssignmentsAndTypes) {
  auto c = Config::from_assignments({"channels=64", "lr = 3e-4", "film=false", "name=plgf"});
  EXPECT_EQ(c.get_int("channels"), 64);
  EXPECT_DOUBLE_EQ(c.get_double("lr"), 3e-4);
  EXPECT_FALSE(c.get_bool("film"));
  EXPECT_EQ(c.get_string("name"), "plgf");
  EXPECT_EQ(c.get_int("depth", 4), 4);
}

TEST(Config, RejectsMalformedAssignment) {
  EXPECT_THROW(Config::from_assignments({"channels"}), fufi::UsageError);
  EXPECT_THROW(Config::from_assignments({"=3"}), fufi::UsageError);
}

TEST(Config, BadValueNamesKeyValueAndSource) {
  auto c = Config::from_assignments({"channels=sixty"}, "--set");
  try {
    c.get_int("channels");
    FAIL() << "expected a UsageError";
  } catch (const fufi::UsageError& e) {
    std::string msg = e.message();
    EXPECT_NE(msg.find("channels"), std::string::npos) << msg;
    EXPECT_NE(msg.find("sixty"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--set"), std::string::npos) << msg;
    EXPECT_EQ(e.exit_code(), 2);
  }
  EXPECT_THROW(Config::from_assignments({"lr=1e-4x"}).get_double("lr"), fufi::UsageError);
  EXPECT_THROW(Config::from_assignments({"lr=nan"}).get_double("lr"), fufi::UsageError);
  EXPECT_THROW(Config::from_assignments({"film=maybe"}).get_bool("film"), fufi::UsageError);
  EXPECT_THROW(Config::from_assignments({"depth=4.5"}).get_int("depth"), fufi::UsageError);
}

TEST(Config, UnknownKeySuggestsNearest) {
  auto c = Config::from_assignments({"chanels=64"});
  try {
    c.check_known({"channels", "depth"}, "model 'plgf'");
    FAIL();
  } catch (const fufi::UsageError& e) {
    EXPECT_NE(e.message().find("did you mean 'channels'"), std::string::npos) << e.message();
  }
  EXPECT_NO_THROW(Config::from_assignments({"depth=2"}).check_known({"channels", "depth"}, "x"));
}

TEST(Config, CanonicalIsSortedAndMergeOverrides) {
  auto a = Config::from_assignments({"b=2", "a=1"});
  auto b = Config::from_assignments({"b=3", "c=4"});
  EXPECT_EQ(a.canonical(), "a=1,b=2");
  EXPECT_EQ(a.merged_with(b).canonical(), "a=1,b=3,c=4");
}

TEST(Config, CanonicalNumber) {
  EXPECT_EQ(fufi::canonical_number(64.0), "64");
  EXPECT_EQ(fufi::canonical_number(0.0003), "0.0003");
  EXPECT_EQ(fufi::canonical_number(-2.5), "-2.5");
}

}  // namespace fufi_test_config
