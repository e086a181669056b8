// write_file_atomically: whole files or nothing, no temporary file left behind, errors that name the path.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <fstream>

#include "expect_error.h"
#include "files.h"
#include "fufi/core/atomic_file.h"
#include "scratch_dir.h"

namespace fufi_test_atomic_file {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

namespace fs = std::filesystem;
using fufi::append_to_file;
using fufi::write_file_atomically;
using fufi::test::read_file;

namespace {

std::size_t entries(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().empty() ? 0 : 1;
  return n;
}

}  // namespace

TEST(AtomicFile, WritesAndReplacesWholeFiles) {
  fufi::test::ScratchDir dir("atomic_write");
  const std::string path = dir / "metrics.json";
  write_file_atomically(path, std::string("first\n"));
  EXPECT_EQ(read_file(path), "first\n");
  const std::string binary("a\0b\n", 4);
  write_file_atomically(path, binary);
  EXPECT_EQ(read_file(path), binary);
  write_file_atomically(path, std::string());
  EXPECT_EQ(read_file(path), "");
  EXPECT_EQ(entries(dir.path()), 1u);  // no temporary file left behind
}

TEST(AtomicFile, AWriterCallbackGetsATemporaryPathInTheSameDirectory) {
  fufi::test::ScratchDir dir("atomic_callback");
  const std::string path = dir / "best.ckpt";
  std::string seen;
  write_file_atomically(path, [&](const std::string& tmp) {
    seen = tmp;
    std::ofstream(tmp, std::ios::binary) << "checkpoint";
  });
  EXPECT_EQ(read_file(path), "checkpoint");
  EXPECT_EQ(fs::path(seen).parent_path(), fs::path(path).parent_path());
  EXPECT_NE(seen, path);
  EXPECT_FALSE(fs::exists(seen));
}

TEST(AtomicFile, AFailingWriterLeavesTheOldFileAndNoTemporary) {
  fufi::test::ScratchDir dir("atomic_fail");
  const std::string path = dir / "last.ckpt";
  write_file_atomically(path, std::string("old"));
  fufi::test::expect_error<fufi::RuntimeError>(
      [&] {
        write_file_atomically(path, [](const std::string& tmp) {
          std::ofstream(tmp) << "half";
          FUFI_THROW(RuntimeError, "disk full while writing {}", tmp);
        });
      },
      "disk full");
  EXPECT_EQ(read_file(path), "old");
  EXPECT_EQ(entries(dir.path()), 1u);
  // A writer that never creates the temporary file: the error names it.
  fufi::test::expect_error<fufi::IoError>([&] { write_file_atomically(path, [](const std::string&) {}); },
                                          {path + ".tmp", "to fsync"});
}

TEST(AtomicFile, AMissingDirectoryIsAnErrorNamingThePath) {
  fufi::test::ScratchDir dir("atomic_nodir");
  const std::string path = dir / "absent/metrics.json";
  fufi::test::expect_error<fufi::IoError>([&] { write_file_atomically(path, std::string("x")); },
                                          {path, "No such file or directory"});
  EXPECT_FALSE(fs::exists(path));
}

namespace {

// Runs `body` in a forked child under a file-size limit of `limit` bytes (RLIMIT_FSIZE: writes past it fail
// with EFBIG, like a full disk, without root or a tmpfs) and returns its exit status: 0 when every
// expectation held. SIGXFSZ is ignored as the fufi executable does, so the write fails instead of killing.
int under_file_size_limit(rlim_t limit, const std::function<bool()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit r {limit, limit};
    if (::setrlimit(RLIMIT_FSIZE, &r) != 0) ::_exit(90);
    bool ok = false;
    try {
      ok = body();
    } catch (...) {
      ::_exit(91);
    }
    ::_exit(ok ? 0 : 92);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST(AtomicFile, AFullDiskIsAnIoErrorNamingThePathAndTheOsErrorAndLeavesTheOldFile) {
  fufi::test::ScratchDir dir("atomic_fsize");
  const std::string path = dir / "last.ckpt";
  write_file_atomically(path, std::string("old"));
  const int status = under_file_size_limit(4096, [&] {
    try {
      write_file_atomically(path, std::string(100000, 'x'));
    } catch (const fufi::IoError& e) {
      const std::string m = e.message();
      return m.find(path) != std::string::npos && m.find("File too large") != std::string::npos &&
             e.exit_code() == 1;
    }
    return false;
  });
  EXPECT_EQ(status, 0);
  EXPECT_EQ(read_file(path), "old");  // never a 0-byte or torn file under the real name
  EXPECT_EQ(entries(dir.path()), 1u);  // and no temporary file left behind
}

TEST(AtomicFile, AFullDiskCutsAnAppendBackToItsLastWholeRecord) {
  fufi::test::ScratchDir dir("append_fsize");
  const std::string path = dir / "epochs.jsonl";
  append_to_file(path, "{\"epoch\": 0}\n");
  append_to_file(path, "{\"epoch\": 1}\n");
  EXPECT_EQ(read_file(path), "{\"epoch\": 0}\n{\"epoch\": 1}\n");
  const int status = under_file_size_limit(4096, [&] {
    try {
      append_to_file(path, std::string(100000, 'x') + "\n");
    } catch (const fufi::IoError& e) {
      return e.message().find(path) != std::string::npos && e.message().find("File too large") != std::string::npos;
    }
    return false;
  });
  EXPECT_EQ(status, 0);
  EXPECT_EQ(read_file(path), "{\"epoch\": 0}\n{\"epoch\": 1}\n");
  // A first append that fails leaves no 0-byte file.
  const std::string fresh = dir / "diagnose.jsonl";
  EXPECT_EQ(under_file_size_limit(10, [&] {
              try {
                append_to_file(fresh, std::string(1000, 'x'));
              } catch (const fufi::IoError&) {
                return true;
              }
              return false;
            }),
            0);
  EXPECT_FALSE(fs::exists(fresh));
}

TEST(AtomicFile, WhatIsNotARegularFileIsRefusedNotReplaced) {
  fufi::test::ScratchDir dir("atomic_special");
  const std::string fifo = dir / "out.npy";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  fufi::test::expect_error<fufi::InputError>([&] { write_file_atomically(fifo, std::string("x")); },
                                             {fifo, "a FIFO", "refusing"});
  EXPECT_TRUE(fs::is_fifo(fifo));
  fufi::test::expect_error<fufi::InputError>([&] { append_to_file(fifo, "x"); }, {fifo, "a FIFO"});
  const std::string sub = dir / "sub";
  fs::create_directory(sub);
  fufi::test::expect_error<fufi::InputError>([&] { write_file_atomically(sub, std::string("x")); },
                                             {sub, "a directory"});
  EXPECT_TRUE(fs::is_directory(sub));
  // A character device (only reads of its type: nothing is written to /dev/null).
  fufi::test::expect_error<fufi::InputError>([&] { fufi::checked_output_path("/dev/null"); },
                                             {"/dev/null", "a character device"});
  // A socket.
  const std::string sock_path = dir / "s.sock";
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::copy(sock_path.begin(), sock_path.end(), addr.sun_path);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  fufi::test::expect_error<fufi::InputError>([&] { write_file_atomically(sock_path, std::string("x")); },
                                             {sock_path, "a socket"});
  ::close(sock);
  EXPECT_EQ(entries(dir.path()), 3u);  // the FIFO, the directory, the socket: no temporary file
}

TEST(AtomicFile, ASymlinkIsWrittenThroughNeverReplaced) {
  fufi::test::ScratchDir dir("atomic_symlink");
  fs::create_directory(dir / "real");
  const std::string target = dir / "real/pred.npy";
  write_file_atomically(target, std::string("old"));
  const std::string link = dir / "pred.npy";
  fs::create_symlink(target, link);
  write_file_atomically(link, std::string("new"));
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(read_file(target), "new");
  append_to_file(link, "+");
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(read_file(target), "new+");
  // A symlink to a special file or to nothing is refused, and stays what it was.
  const std::string to_null = dir / "null.npy";
  fs::create_symlink("/dev/null", to_null);
  fufi::test::expect_error<fufi::InputError>([&] { write_file_atomically(to_null, std::string("x")); },
                                             {to_null, "/dev/null", "a character device"});
  EXPECT_TRUE(fs::is_symlink(to_null));
  const std::string dangling = dir / "dangling.npy";
  fs::create_symlink(dir / "absent/x.npy", dangling);
  fufi::test::expect_error<fufi::InputError>([&] { write_file_atomically(dangling, std::string("x")); },
                                             {dangling, "symlink"});
  EXPECT_TRUE(fs::is_symlink(dangling));
}

}  // namespace fufi_test_atomic_file
