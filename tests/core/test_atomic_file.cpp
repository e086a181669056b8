// write_file_atomically: whole files or nothing, no temporary file left behind, errors that name the path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "expect_error.h"
#include "files.h"
#include "fufi/core/atomic_file.h"
#include "scratch_dir.h"

namespace fs = std::filesystem;
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
  fufi::test::expect_error<fufi::RuntimeError>([&] { write_file_atomically(path, [](const std::string&) {}); },
                                               {path + ".tmp", "cannot open to fsync"});
}

TEST(AtomicFile, AMissingDirectoryIsAnErrorNamingThePath) {
  fufi::test::ScratchDir dir("atomic_nodir");
  const std::string path = dir / "absent/metrics.json";
  fufi::test::expect_error<fufi::RuntimeError>([&] { write_file_atomically(path, std::string("x")); },
                                               {path, "No such file or directory"});
  EXPECT_FALSE(fs::exists(path));
}
