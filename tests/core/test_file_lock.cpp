// FileLock: one holder at a time, across processes; the one refused learns who holds it; a dead holder's
// lock is free again.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "fufi/core/error.h"
#include "fufi/core/file_lock.h"
#include "scratch_dir.h"

namespace fufi_test_file_lock {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using fufi::FileLock;

TEST(FileLock, OneHolderAtATimeAndTheOtherLearnsWho) {
  fufi::test::ScratchDir dir("file_lock");
  const std::string path = dir / ".lock";
  int ready[2], done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    FileLock lock(path);
    char c = lock.held() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    (void)!::read(done[0], &c, 1);  // hold it until the parent has tried
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  {
    FileLock second(path);
    EXPECT_FALSE(second.held());
    EXPECT_NE(second.holder().find("pid " + std::to_string(child) + " on "), std::string::npos) << second.holder();
  }
  (void)!::write(done[1], "x", 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  // The holder is gone (its exit released the flock): the lock is free.
  FileLock third(path);
  EXPECT_TRUE(third.held());
  // Within one process too: a second FileLock on the same file is refused while the first lives.
  FileLock fourth(path);
  EXPECT_FALSE(fourth.held());
  EXPECT_NE(fourth.holder().find("pid " + std::to_string(::getpid())), std::string::npos);
}

// A directory that is missing (or read-only, or not ours) is the user's to fix: InputError (exit 2) naming the
// lock file; a failing disk stays an IoError.
TEST(FileLock, ALockFileInAMissingDirectoryIsAnInputErrorNamingIt) {
  fufi::test::ScratchDir dir("file_lock_nodir");
  const std::string path = dir / "absent/.lock";
  try {
    FileLock lock(path);
    FAIL() << "no error";
  } catch (const fufi::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": cannot create the lock file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("must exist and be writable"), std::string::npos) << e.what();
  }
}

}  // namespace fufi_test_file_lock
