// What every subcommand shares (cli_support.cpp): exceptions to exit codes and one message line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <sstream>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/orchestrator/cli_support.h"

namespace fufi_test_cli_support {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

TEST(CliSupport, ExceptionsBecomeExitCodesAndOneLine) {
  ::unsetenv("FUFI_DEBUG");
  std::ostringstream err;
  EXPECT_EQ(run_guarded([] { return 0; }, err), kExitOk);
  EXPECT_EQ(run_guarded([]() -> int { FUFI_THROW(UsageError, "--only: unknown name 'x'"); }, err), kExitUsage);
  EXPECT_EQ(run_guarded([]() -> int { FUFI_THROW(InputError, "X.npy: bad magic"); }, err), kExitUsage);
  EXPECT_EQ(run_guarded([]() -> int { FUFI_THROW(RuntimeError, "diverged"); }, err), kExitRuntime);
  EXPECT_EQ(run_guarded([]() -> int { throw std::bad_alloc(); }, err), kExitRuntime);
  EXPECT_EQ(run_guarded([]() -> int { throw std::runtime_error("first line\nsecond"); }, err), kExitRuntime);
  EXPECT_EQ(err.str(), "fufi: error: --only: unknown name 'x'\nfufi: error: X.npy: bad magic\nfufi: error: diverged\n"
                       "fufi: error: out of memory\nfufi: error: first line\n");
  ::setenv("FUFI_DEBUG", "1", 1);
  std::ostringstream debug;
  run_guarded([]() -> int { FUFI_THROW(UsageError, "bad"); }, debug);
  ::unsetenv("FUFI_DEBUG");
  EXPECT_NE(debug.str().find("[tests/orchestrator/test_cli_support.cpp:"), std::string::npos) << debug.str();
}

TEST(CliSupport, FormatsAndTheReportingRank) {
  EXPECT_NO_THROW(check_format("json", {"table", "json"}));
  test::expect_error<UsageError>([] { check_format("xml", {"table", "json"}); }, "--format: unknown format 'xml' (table, json)");
  EXPECT_TRUE(is_reporting_rank());  // not under mpirun
}

}  // namespace fufi_test_cli_support
