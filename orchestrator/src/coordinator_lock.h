#pragma once
// One writer per results DB (private to fufi_orchestrator): an advisory flock on DB.lock, released by the
// kernel when the holder dies (kill -9 included), so a rerun after a crash never waits for a stale lock.
#include <string>

namespace fufi::orchestrator {

class CoordinatorLock {
 public:
  // RuntimeError naming the DB and the holder ("pid 123 on host") when another sweep holds it.
  explicit CoordinatorLock(const std::string& db_path);
  ~CoordinatorLock();
  CoordinatorLock(const CoordinatorLock&) = delete;
  CoordinatorLock& operator=(const CoordinatorLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace fufi::orchestrator
