// What every subcommand shares (cli_support.cpp): --format checks and the reporting rank (the top-level guard,
// run_guarded, is core's: tests/core/test_status.cpp).
#include <gtest/gtest.h>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/orchestrator/cli_support.h"

namespace fufi_test_cli_support {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

TEST(CliSupport, FormatsAndTheReportingRank) {
  EXPECT_NO_THROW(check_format("json", {"table", "json"}));
  test::expect_error<UsageError>([] { check_format("xml", {"table", "json"}); }, "--format: unknown format 'xml' (table, json)");
  EXPECT_TRUE(is_reporting_rank());  // not under mpirun
}

}  // namespace fufi_test_cli_support
