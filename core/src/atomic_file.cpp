#include "fufi/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "fufi/core/error.h"

namespace fufi {

namespace {

std::string os_error(int error) { return std::strerror(error); }

// "<dir>/<name>.tmp.<pid>.<n>": in PATH's directory (rename never crosses file systems), unique per process
// and per call, so two writers of the same file never write into each other's temporary file.
std::string temp_path_for(const std::string& path) {
  static std::atomic<unsigned long> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

// Closes a descriptor once; close() errors are reported by the caller that asks for them.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release_and_close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

void write_all(const std::string& tmp, std::string_view bytes) {
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() < 0) FUFI_THROW(RuntimeError, "{}: cannot create: {}", tmp, os_error(errno));
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd.get(), p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) FUFI_THROW(RuntimeError, "{}: write failed: {}", tmp, n < 0 ? os_error(errno) : "no progress");
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) FUFI_THROW(RuntimeError, "{}: fsync failed: {}", tmp, os_error(errno));
  if (fd.release_and_close() != 0) FUFI_THROW(RuntimeError, "{}: close failed: {}", tmp, os_error(errno));
}

void fsync_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) FUFI_THROW(RuntimeError, "{}: cannot open to fsync: {}", path, os_error(errno));
  if (::fsync(fd.get()) != 0) FUFI_THROW(RuntimeError, "{}: fsync failed: {}", path, os_error(errno));
  if (fd.release_and_close() != 0) FUFI_THROW(RuntimeError, "{}: close failed: {}", path, os_error(errno));
}

// Makes the rename durable. Some file systems cannot fsync a directory (EINVAL, ENOTSUP): the rename is
// then as durable as they make it, which is all that can be had there.
void fsync_directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) FUFI_THROW(RuntimeError, "{}: cannot open the directory to fsync it: {}", dir, os_error(errno));
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != ENOTSUP)
    FUFI_THROW(RuntimeError, "{}: fsync of the directory failed: {}", dir, os_error(errno));
}

void replace_with(const std::string& path, const std::function<void(const std::string&)>& write_temp) {
  const std::string tmp = temp_path_for(path);
  try {
    write_temp(tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      FUFI_THROW(RuntimeError, "cannot rename {} to {}: {}", tmp, path, os_error(errno));
  } catch (...) {
    std::remove(tmp.c_str());  // best effort: the error being thrown is the one that matters
    throw;
  }
  fsync_directory_of(path);
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
  replace_with(path, [&](const std::string& tmp) { write_all(tmp, bytes); });
}

void write_file_atomically(const std::string& path, const std::function<void(const std::string& tmp_path)>& write) {
  replace_with(path, [&](const std::string& tmp) {
    write(tmp);
    fsync_file(tmp);
  });
}

}  // namespace fufi
