// The single-process sweep (sweep_local.cpp): a runner's exception is a classified failure, not a crash.
#include <gtest/gtest.h>

#include <new>
#include <sstream>

#include "coordinator_fixture.h"
#include "fufi/core/error.h"
#include "fufi/results/sqlite.h"
#include "sweep_roles.h"
#include "sweep_sinks.h"

namespace fufi_test_sweep_local {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

namespace {

// Throws what it is told to instead of returning a result.
class ThrowingRunner : public JobRunner {
 public:
  std::function<void()> raise;
  worker::RunResult run(const JobTicket&, worker::RecordSink&, worker::Communicator&, const worker::EngineCallbacks&) override {
    raise();
    return {};
  }
};

}  // namespace

TEST(SweepLocal, RunSafelyClassifiesWhatARunnerThrows) {
  ThrowingRunner runner;
  JobTicket t;
  NullSink sink;
  auto comm = worker::make_local_communicator();
  runner.raise = [] { FUFI_THROW(UsageError, "key 'lr': bad"); };
  auto r = run_safely(runner, t, sink, *comm, {});
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "bad_config");
  EXPECT_EQ(r.error, "key 'lr': bad");
  runner.raise = [] { throw std::bad_alloc(); };
  EXPECT_EQ(run_safely(runner, t, sink, *comm, {}).error_class, "out_of_memory");
  runner.raise = [] { throw std::runtime_error("boom"); };
  EXPECT_EQ(run_safely(runner, t, sink, *comm, {}).error_class, "runtime");
}

TEST(SweepLocal, ASweepOfThrowingJobsFailsThemAndFinishes) {
  test::ScratchDir dir("sweep_local");
  SweepRunOptions o;
  o.db_path = dir / "results.db";
  o.quiet = true;
  ThrowingRunner runner;
  runner.raise = [] { FUFI_THROW(UsageError, "rejected"); };
  std::ostringstream out, err;
  EXPECT_EQ(run_local([] { return parse_sweep(test::kTwoJobSweep, "two.toml"); }, o, runner, out, err), kExitRuntime);
  results::Database db(o.db_path, results::Database::Mode::ReadOnly);
  // bad_config is final at once: one attempt each, no retry.
  EXPECT_EQ(db.query_int("SELECT count(*) FROM jobs WHERE status = 'failed' AND attempts = 1 AND error_class = 'bad_config'"),
            2);
}

}  // namespace fufi_test_sweep_local
