// One writer per results DB (coordinator_lock.cpp), and the sweep refusing a DB another sweep holds.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "coordinator_lock.h"
#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/orchestrator/sweep_run.h"
#include "scratch_dir.h"

namespace fufi_test_coordinator_lock {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

TEST(CoordinatorLock, ASecondHolderIsRefusedWithTheFirstOnesName) {
  test::ScratchDir dir("lock");
  const std::string db = dir / "sub/results.db";  // the directory is created
  {
    CoordinatorLock first(db);
    std::ifstream in(db + ".lock");
    std::string holder;
    std::getline(in, holder);
    EXPECT_EQ(holder.rfind("pid " + std::to_string(::getpid()) + " on ", 0), 0u) << holder;
    // flock locks belong to open files: a second open in this process conflicts like another process would.
    test::expect_error<RuntimeError>([&] { CoordinatorLock second(db); },
                                     {db, "another fufi sweep", "pid " + std::to_string(::getpid())});
  }
  EXPECT_NO_THROW(CoordinatorLock again(db));  // released with its holder
}

TEST(CoordinatorLock, ASweepDoesNotStartOnALockedDatabase) {
  test::ScratchDir dir("lock_sweep");
  const std::string db = dir / "results.db";
  const int fd = ::open((db + ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  SweepRunOptions o;
  o.db_path = db;
  o.quiet = true;
  std::ostringstream out, err;
  bool loaded = false;
  test::expect_error<InputError>([&] { run_sweep_file(dir / "absent.toml", {}, o, "noop", out, err); },
                                 "cannot read the sweep file");  // the sweep file is read before the lock: a bad file never waits for a DB
  test::expect_error<RuntimeError>(
      [&] {
        run_sweep(
            [&]() -> Sweep {
              loaded = true;
              return parse_sweep("seeds = 1\n[data]\nsynthetic = \"small\"\n[axes]\nmodel = \"uniform\"\ntask = \"P1\"\n",
                                 "l.toml");
            },
            o, *make_runner("noop"), out, err);
      },
      "another fufi sweep");
  EXPECT_TRUE(loaded);
  ::close(fd);
  EXPECT_FALSE(std::ifstream(db).good());  // nothing was written
}

// Issue #20: a DB path SQLite cannot open (over 512 bytes with its journal's suffix) is refused with a message
// that says why, before the lock file is created beside it.
TEST(CoordinatorLock, ADatabasePathTooLongForSQLiteLeavesNoLockFile) {
  test::ScratchDir dir("lock_long");
  const std::string db = dir / (std::string(200, 'a') + "/" + std::string(200, 'b') + "/" + std::string(150, 'c') + ".db");
  test::expect_error<UsageError>([&] { CoordinatorLock lock(db); }, {"characters long", "SQLite opens at most"});
  EXPECT_FALSE(std::filesystem::exists(db + ".lock"));
}

}  // namespace fufi_test_coordinator_lock
