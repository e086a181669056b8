// The error and status vocabulary: text round trips, and the one mapping ErrorKind -> ErrorClass -> exit code.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <sstream>
#include <stdexcept>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/core/status.h"

namespace fufi_test_status {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;

TEST(Status, ErrorClassesRoundTripThroughText) {
  for (auto c : {ErrorClass::None, ErrorClass::Diverged, ErrorClass::OutOfMemory, ErrorClass::BadData,
                 ErrorClass::BadConfig, ErrorClass::Runtime, ErrorClass::Io})
    EXPECT_EQ(parse_error_class(to_string(c)), c) << to_string(c);
  // The DB and metrics.json hold these words: they never change.
  EXPECT_EQ(to_string(ErrorClass::None), "");
  EXPECT_EQ(to_string(ErrorClass::OutOfMemory), "out_of_memory");
  EXPECT_EQ(to_string(ErrorClass::BadConfig), "bad_config");
  EXPECT_EQ(to_string(ErrorClass::Io), "io");
}

TEST(Status, JobStatusesRoundTripThroughText) {
  for (auto s : {JobStatus::Pending, JobStatus::Running, JobStatus::Done, JobStatus::Failed, JobStatus::Interrupted,
                 JobStatus::Cancelled})
    EXPECT_EQ(parse_job_status(to_string(s)), s) << to_string(s);
  EXPECT_EQ(to_string(JobStatus::Done), "done");
  EXPECT_EQ(to_string(JobStatus::Cancelled), "cancelled");
}

TEST(Status, RunStatusesAreTheWordsOfTheSweepRunsTable) {
  EXPECT_EQ(to_string(RunStatus::Running), "running");
  EXPECT_EQ(to_string(RunStatus::Finished), "finished");
  EXPECT_EQ(to_string(RunStatus::Failed), "failed");
  EXPECT_EQ(to_string(RunStatus::Stopped), "stopped");
  EXPECT_EQ(to_string(RunStatus::Interrupted), "interrupted");
}

TEST(Status, UnknownWordsAreRuntimeErrorsThatNameThem) {
  test::expect_error<RuntimeError>([] { parse_job_status("finished"); }, {"job status 'finished'", "done"});
  test::expect_error<RuntimeError>([] { parse_error_class("bad_confg"); }, {"'bad_confg'", "did you mean 'bad_config'"});
}

TEST(Status, OneMappingFromErrorToExitCode) {
  EXPECT_EQ(error_class(ErrorKind::Input), ErrorClass::BadData);
  EXPECT_EQ(error_class(ErrorKind::Usage), ErrorClass::BadConfig);
  EXPECT_EQ(error_class(ErrorKind::Runtime), ErrorClass::Runtime);
  EXPECT_EQ(error_class(ErrorKind::Io), ErrorClass::Io);
  EXPECT_EQ(exit_code(ErrorClass::None), kExitOk);
  EXPECT_EQ(exit_code(ErrorClass::BadData), kExitUsage);
  EXPECT_EQ(exit_code(ErrorClass::BadConfig), kExitUsage);
  EXPECT_EQ(exit_code(ErrorClass::Diverged), kExitRuntime);
  EXPECT_EQ(exit_code(ErrorClass::OutOfMemory), kExitRuntime);
  EXPECT_EQ(exit_code(ErrorClass::Runtime), kExitRuntime);
  EXPECT_EQ(exit_code(ErrorClass::Io), kExitRuntime);  // a full disk is not the user's input: exit 1
  // An Error's own exit code is the same mapping.
  EXPECT_EQ(UsageError("x", __FILE__, __LINE__).exit_code(), kExitUsage);
  EXPECT_EQ(InputError("x", __FILE__, __LINE__).exit_code(), kExitUsage);
  EXPECT_EQ(RuntimeError("x", __FILE__, __LINE__).exit_code(), kExitRuntime);
  EXPECT_EQ(IoError("x", __FILE__, __LINE__).exit_code(), kExitRuntime);
}

TEST(Status, AJobsExitCodeFollowsItsStatusAndClass) {
  EXPECT_EQ(exit_code(JobStatus::Done, ErrorClass::None), 0);
  EXPECT_EQ(exit_code(JobStatus::Interrupted, ErrorClass::None), 0);  // stopped on purpose (stop_after_epochs)
  EXPECT_EQ(exit_code(JobStatus::Failed, ErrorClass::BadConfig), 2);
  EXPECT_EQ(exit_code(JobStatus::Failed, ErrorClass::Diverged), 1);
  EXPECT_EQ(exit_code(JobStatus::Failed, ErrorClass::None), 1);  // a failure without a class is still a failure
}

TEST(Status, TheTopLevelGuardTurnsExceptionsIntoExitCodesAndOneLine) {
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
  EXPECT_NE(debug.str().find("[tests/core/test_status.cpp:"), std::string::npos) << debug.str();
}

}  // namespace fufi_test_status
