// The sweep's progress output (sweep_progress.cpp): durations, job lines, the status line.
#include <gtest/gtest.h>

#include <sstream>

#include "coordinator_fixture.h"
#include "sweep_progress.h"

namespace fufi_test_sweep_progress {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

TEST(SweepProgress, ClockText) {
  EXPECT_EQ(clock_text(-1), "?");
  EXPECT_EQ(clock_text(0), "0:00");
  EXPECT_EQ(clock_text(61.4), "1:01");
  EXPECT_EQ(clock_text(3600 + 62), "1:01:02");
}

TEST(SweepProgress, FailuresAlwaysPrintAndLogsGetOneLinePerJob) {
  test::CoordinatorFixture f("progress");
  const auto& job = f.sweep.jobs[0];
  results::Outcome failed;
  failed.status = JobStatus::Failed;
  failed.error_class = ErrorClass::Diverged;
  failed.error = "loss is NaN";
  std::ostringstream quiet_err;
  Progress quiet(quiet_err, /*quiet=*/true, "two");
  quiet.event(JobEvent{JobEvent::Kind::Failed, &job, 2, failed}, *f.coordinator);
  quiet.event(JobEvent{JobEvent::Kind::Retry, &job, 1, failed}, *f.coordinator);
  quiet.tick(*f.coordinator, true);
  EXPECT_EQ(quiet_err.str(), "FAILED uniform task=P1 seed=1 (job " + job.id.substr(0, 12) +
                                 ") after 2 attempt(s): diverged: loss is NaN\n");

  std::ostringstream log;
  Progress progress(log, false, "two");  // not std::cerr: a log, never a live line
  results::Outcome done;
  done.wall_seconds = 2;
  done.test.mse = 1.5;
  progress.event(JobEvent{JobEvent::Kind::Done, &job, 1, done}, *f.coordinator);
  progress.event(JobEvent{JobEvent::Kind::Cancelled, &job, 1, done}, *f.coordinator);
  progress.tick(*f.coordinator, true);
  progress.end();
  EXPECT_NE(log.str().find("done [0/2] uniform task=P1 seed=1"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("test mse 1.5"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("cancelled uniform task=P1 seed=1"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("[two] 0/2 done, 0 running, 0 failed, 2 pending | elapsed 0:00 | ETA ?"), std::string::npos)
      << log.str();
}

}  // namespace fufi_test_sweep_progress
