#pragma once
// A temporary directory for one test: unique per process (two build trees, or ctest --parallel, may run the
// same test at the same time), empty at the start, removed at the end unless FUFI_KEEP_TEST_DIRS is set.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace fufi::test {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_((std::filesystem::temp_directory_path() / ("fufi_test_" + name + "_" + std::to_string(::getpid())))
                  .string()) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!std::getenv("FUFI_KEEP_TEST_DIRS")) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // PATH/name
  std::string operator/(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

}  // namespace fufi::test
