#include "fufi/core/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "fufi/core/error.h"

namespace fufi {

FileLock::FileLock(std::string path) : path_(std::move(path)) {
  const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    // A directory that is missing, read-only or not ours is the user's to fix (exit 2), not a failing disk.
    if (error == EROFS || error == EACCES || error == EPERM || error == ENOENT || error == ENOTDIR)
      FUFI_THROW(InputError, "{}: cannot create the lock file: {} (its directory must exist and be writable)", path_,
                 std::strerror(error));
    FUFI_THROW(IoError, "{}: cannot create the lock file: {}", path_, std::strerror(error));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[512] = {0};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string text = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    holder_ = text.empty() ? "holder unknown" : text;
    return;
  }
  fd_ = fd;
  // Who holds it, for the message in another process. Best effort: the lock itself is the flock.
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  const std::string holder = fmt::format("pid {} on {}\n", ::getpid(), host);
  if (::ftruncate(fd_, 0) == 0) {
    const auto written = ::pwrite(fd_, holder.data(), holder.size(), 0);
    (void)written;
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace fufi
