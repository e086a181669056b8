// The model registry (registry.cpp): names, the "did you mean" suggestion, key validation.
#include <gtest/gtest.h>

#include "fufi/core/error.h"
#include "fufi/model.h"

namespace fufi_test_registry {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

TEST(Registry, UnknownModelSuggestsNearest) {
  auto& r = ModelRegistry::instance();
  try {
    r.get("unifrm");
    FAIL();
  } catch (const fufi::UsageError& e) {
    EXPECT_NE(e.message().find("did you mean 'uniform'"), std::string::npos) << e.message();
  }
}

TEST(Registry, UnknownKeyIsUsageError) {
  auto& r = ModelRegistry::instance();
  EXPECT_THROW(r.resolve("uniform", fufi::Config::from_assignments({"channels=3"})), fufi::UsageError);
}

}  // namespace fufi_test_registry
