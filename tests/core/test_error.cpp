#include <gtest/gtest.h>

#include "fufi/core/error.h"
#include "fufi/core/version.h"

TEST(Error, CarriesKindExitCodeAndLocation) {
  try {
    FUFI_THROW(InputError, "{}: bad magic", "X.npy");
  } catch (const fufi::Error& e) {
    EXPECT_EQ(e.kind(), fufi::ErrorKind::Input);
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.message(), "X.npy: bad magic");
    EXPECT_NE(e.where().find("tests/core/test_error.cpp:"), std::string::npos) << e.where();
  }
  try {
    FUFI_THROW(RuntimeError, "diverged at epoch {}", 3);
  } catch (const fufi::Error& e) {
    EXPECT_EQ(e.exit_code(), 1);
  }
}

TEST(Error, CheckMacroThrowsOnlyWhenFalse) {
  EXPECT_NO_THROW(FUFI_CHECK(1 + 1 == 2, UsageError, "never"));
  EXPECT_THROW(FUFI_CHECK(1 + 1 == 3, UsageError, "always"), fufi::UsageError);
}

TEST(Version, LineNamesVersionAndTorch) {
  auto line = fufi::version_line();
  EXPECT_NE(line.find(fufi::version()), std::string::npos);
  EXPECT_NE(line.find("torch"), std::string::npos);
}
