#include <gtest/gtest.h>

#include "fufi/core/error.h"

namespace fufi_test_error {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

TEST(Error, CarriesKindExitCodeAndLocation) {
  try {
    FUFI_THROW(InputError, "{}: bad magic", "X.npy");
    FAIL() << "FUFI_THROW did not throw";
  } catch (const fufi::Error& e) {
    EXPECT_EQ(e.kind(), fufi::ErrorKind::Input);
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.message(), "X.npy: bad magic");
    EXPECT_NE(e.where().find("tests/core/test_error.cpp:"), std::string::npos) << e.where();
  }
  try {
    FUFI_THROW(RuntimeError, "diverged at epoch {}", 3);
    FAIL() << "FUFI_THROW did not throw";
  } catch (const fufi::Error& e) {
    EXPECT_EQ(e.exit_code(), 1);
    EXPECT_EQ(e.message(), "diverged at epoch 3");
  }
}

TEST(Error, CheckMacroThrowsOnlyWhenFalse) {
  EXPECT_NO_THROW(FUFI_CHECK(1 + 1 == 2, UsageError, "never"));
  EXPECT_THROW(FUFI_CHECK(1 + 1 == 3, UsageError, "always"), fufi::UsageError);
}

TEST(Error, WhatIncludesTheMessage) {
  const fufi::UsageError e("--only: unknown name", "x.cpp", 1);
  EXPECT_STREQ(e.what(), "--only: unknown name");
  EXPECT_EQ(e.where(), "x.cpp:1");
}

}  // namespace fufi_test_error
