#include "coordinator_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "fufi/core/error.h"

namespace fufi::orchestrator {

CoordinatorLock::CoordinatorLock(const std::string& db_path) : path_(db_path + ".lock") {
  std::filesystem::create_directories(std::filesystem::absolute(path_).parent_path());
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  FUFI_CHECK(fd_ >= 0, InputError, "{}: cannot create the coordinator lock file", path_);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::ifstream in(path_);
    std::string holder;
    std::getline(in, holder);
    ::close(fd_);
    fd_ = -1;
    FUFI_THROW(RuntimeError, "{}: another fufi sweep is writing this database ({}); wait for it to finish or stop it",
               db_path, holder.empty() ? "holder unknown" : holder);
  }
  // Who holds it, for the message above in another process. Best effort: the lock itself is the flock.
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const std::string holder = fmt::format("pid {} on {}\n", ::getpid(), host);
  if (::ftruncate(fd_, 0) == 0) {
    const auto written = ::write(fd_, holder.data(), holder.size());
    (void)written;
  }
}

CoordinatorLock::~CoordinatorLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace fufi::orchestrator
