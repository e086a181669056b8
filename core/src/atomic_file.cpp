#include "fufi/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
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

const char* file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Writes all of `bytes` to `fd`, checking every write. `path` names the file for the user.
void write_fully(int fd, std::string_view bytes, const std::string& path) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) FUFI_THROW(IoError, "{}: write failed: {}", path, os_error(errno));
    if (n == 0) FUFI_THROW(IoError, "{}: write failed: no progress", path);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void write_all(const std::string& path, const std::string& tmp, std::string_view bytes) {
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() < 0) FUFI_THROW(IoError, "{}: cannot create {}: {}", path, tmp, os_error(errno));
  write_fully(fd.get(), bytes, path);
  if (::fsync(fd.get()) != 0) FUFI_THROW(IoError, "{}: fsync failed: {}", path, os_error(errno));
  if (fd.release_and_close() != 0) FUFI_THROW(IoError, "{}: close failed: {}", path, os_error(errno));
}

void fsync_file(const std::string& path, const std::string& tmp) {
  Fd fd(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) FUFI_THROW(IoError, "{}: cannot open {} to fsync: {}", path, tmp, os_error(errno));
  if (::fsync(fd.get()) != 0) FUFI_THROW(IoError, "{}: fsync failed: {}", path, os_error(errno));
  if (fd.release_and_close() != 0) FUFI_THROW(IoError, "{}: close failed: {}", path, os_error(errno));
}

// Makes the rename durable. Some file systems cannot fsync a directory (EINVAL, ENOTSUP): the rename is
// then as durable as they make it, which is all that can be had there.
void fsync_directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) FUFI_THROW(IoError, "{}: cannot open the directory to fsync it: {}", dir, os_error(errno));
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != ENOTSUP)
    FUFI_THROW(IoError, "{}: fsync of the directory failed: {}", dir, os_error(errno));
}

void replace_with(const std::string& requested, const std::function<void(const std::string& path, const std::string& tmp)>& write_temp) {
  const std::string path = checked_output_path(requested);
  const std::string tmp = temp_path_for(path);
  try {
    write_temp(path, tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      FUFI_THROW(IoError, "{}: cannot rename {} over it: {}", path, tmp, os_error(errno));
  } catch (...) {
    std::remove(tmp.c_str());  // best effort: the error being thrown is the one that matters
    throw;
  }
  fsync_directory_of(path);
}

}  // namespace

std::string checked_output_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return path;  // absent (or unreachable: the write names the OS error)
  if (S_ISREG(st.st_mode)) return path;
  if (S_ISLNK(st.st_mode)) {
    // Written through: the link stays, its target is replaced in the target's directory.
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr)
      FUFI_THROW(InputError, "{}: is a symlink whose target cannot be resolved ({}); refusing to replace it", path,
                 os_error(errno));
    struct stat target {};
    if (::stat(resolved, &target) == 0 && !S_ISREG(target.st_mode))
      FUFI_THROW(InputError, "{}: is a symlink to {}, which is {}; refusing to replace it", path, resolved,
                 file_type_name(target.st_mode));
    return resolved;
  }
  FUFI_THROW(InputError, "{}: exists and is {}; refusing to replace it with a regular file", path,
             file_type_name(st.st_mode));
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  replace_with(path, [&](const std::string& real, const std::string& tmp) { write_all(real, tmp, bytes); });
}

void write_file_atomically(const std::string& path, const std::function<void(const std::string& tmp_path)>& write) {
  replace_with(path, [&](const std::string& real, const std::string& tmp) {
    write(tmp);
    fsync_file(real, tmp);
  });
}

void append_to_file(const std::string& requested, std::string_view bytes) {
  const std::string path = checked_output_path(requested);
  struct stat before {};
  const bool existed = ::stat(path.c_str(), &before) == 0;
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666));
  if (fd.get() < 0) FUFI_THROW(IoError, "{}: cannot open for appending: {}", path, os_error(errno));
  const off_t old_size = existed ? before.st_size : 0;
  try {
    write_fully(fd.get(), bytes, path);
    if (::fsync(fd.get()) != 0) FUFI_THROW(IoError, "{}: fsync failed: {}", path, os_error(errno));
  } catch (...) {
    // No torn record: cut back to what was there (shrinking needs no space), or remove what this call created.
    if (!existed) ::unlink(path.c_str());
    else if (::ftruncate(fd.get(), old_size) == 0) (void)::fsync(fd.get());
    throw;
  }
  if (fd.release_and_close() != 0) FUFI_THROW(IoError, "{}: close failed: {}", path, os_error(errno));
  if (!existed) fsync_directory_of(path);
}

}  // namespace fufi
