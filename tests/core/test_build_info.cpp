// version.h (build_info.cpp): the version line, and the libraries this process really runs with.
#include <gtest/gtest.h>

#include <string>

#include "fufi/core/version.h"

namespace fufi_test_build_info {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

TEST(RuntimeLibraries, MallocIsProvidedByANamedLibrary) {
  const auto name = fufi::malloc_library();
  // The test binary does not link tcmalloc: glibc's malloc (or whatever LD_PRELOAD put first).
  EXPECT_NE(name, "unknown");
  EXPECT_EQ(name.find('/'), std::string::npos) << name;
  EXPECT_NE(name.find(".so"), std::string::npos) << name;
  EXPECT_NE(fufi::version_line().find("malloc " + name), std::string::npos) << fufi::version_line();
}

TEST(Version, LineNamesVersionAndTorch) {
  auto line = fufi::version_line();
  EXPECT_NE(line.find(fufi::version()), std::string::npos);
  EXPECT_NE(line.find("torch"), std::string::npos);
}

}  // namespace fufi_test_build_info
