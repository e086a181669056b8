// Where a sweep job's records go (sweep_sinks.cpp): the run directory and the coordinator, lazily.
#include <gtest/gtest.h>

#include <filesystem>

#include "coordinator_fixture.h"
#include "fufi/results/sqlite.h"
#include "sweep_sinks.h"

namespace fufi_test_sweep_sinks {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace fufi;
using namespace fufi::orchestrator;

namespace {

worker::EpochRecord epoch(std::int64_t e) {
  worker::EpochRecord r;
  r.epoch = e;
  r.valid.mse = 10.0 - static_cast<double>(e);
  r.best = true;
  return r;
}

}  // namespace

TEST(SweepSinks, TheCoordinatorSinkWritesTheRunDirectoryAndTheDatabase) {
  test::CoordinatorFixture f("sinks");
  auto ticket = f.coordinator->next("host", "local");
  ASSERT_TRUE(ticket);
  CommitClock commit(*f.coordinator);
  {
    CoordinatorSink sink(*f.coordinator, commit, *ticket);
    EXPECT_FALSE(fs::exists(ticket->run_dir));  // created on first use
    sink.begin(-1);
    sink.epoch(epoch(0));
    sink.epoch(epoch(1));
  }
  commit.now();
  const auto log = worker::read_epoch_log(ticket->run_dir);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].valid.mse, 9.0);
  results::Database db(f.db, results::Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM epochs WHERE valid_mse IN (10, 9)"), 2);

  // A resume from epoch 0: the run directory keeps epoch 0 only, and the coordinator is told so.
  CoordinatorSink again(*f.coordinator, commit, *ticket);
  again.begin(0);
  commit.now();
  EXPECT_EQ(worker::read_epoch_log(ticket->run_dir).size(), 1u);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM epochs"), 1);
}

TEST(SweepSinks, ASinkThatNeverReportsLeavesNoDirectory) {
  test::CoordinatorFixture f("sinks_lazy");
  auto ticket = f.coordinator->next("host", "local");
  CommitClock commit(*f.coordinator);
  { CoordinatorSink sink(*f.coordinator, commit, *ticket); }
  EXPECT_FALSE(fs::exists(ticket->run_dir));
  NullSink null;
  null.epoch(epoch(0));  // rank > 0: nothing, nowhere
  EXPECT_FALSE(fs::exists(ticket->run_dir));
}

}  // namespace fufi_test_sweep_sinks
