// Before the first job and after the last (sweep_session.cpp): lock, registration, summary, exit code.
#include <gtest/gtest.h>

#include <sstream>

#include "coordinator_fixture.h"
#include "fufi/results/sqlite.h"
#include "sweep_session.h"

namespace fufi_test_sweep_session {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

TEST(SweepSession, OpensRegistersAndClosesWithTheRunsExitCode) {
  test::ScratchDir dir("session");
  SweepRunOptions o;
  o.db_path = dir / "results.db";
  std::ostringstream out, err;
  auto load = [] {
    auto s = parse_sweep(test::kTwoJobSweep, "two.toml");
    s.warnings.push_back("a warning");
    return s;
  };
  {
    auto session = open_session(load, o, 1, 1, err);
    EXPECT_NE(err.str().find("fufi: warning: two.toml: a warning"), std::string::npos) << err.str();
    EXPECT_NE(err.str().find("[two] 2 jobs: 0 done already, 0 failed, 2 to run; DB " + o.db_path), std::string::npos)
        << err.str();
    EXPECT_EQ(session->coordinator->counts().pending, 2);
    // Nothing ran: the sweep is not complete.
    EXPECT_EQ(close_session(*session, out), kExitRuntime);
  }
  EXPECT_NE(out.str().find("sweep two: 2 jobs: 0 done (0 this run), 0 failed"), std::string::npos) << out.str();
  results::Database db(o.db_path, results::Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM jobs WHERE status = 'pending'"), 2);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sweep_runs WHERE status = 'finished'"), 1);
}

TEST(SweepSession, TheCommitClockEndsTheOpenTransaction) {
  test::CoordinatorFixture f("commit_clock");
  CommitClock clock(*f.coordinator);
  f.coordinator->next("host", "local");  // a write: the batch transaction opens
  EXPECT_TRUE(f.store->in_transaction());
  clock.now();
  EXPECT_FALSE(f.store->in_transaction());
}

}  // namespace fufi_test_sweep_session
