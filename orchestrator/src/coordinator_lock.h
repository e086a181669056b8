#pragma once
// One writer per results DB (private to fufi_orchestrator): an advisory flock on DB.lock (fufi::FileLock),
// released by the kernel when the holder dies (kill -9 included), so a rerun after a crash never waits for a
// stale lock.
#include <string>

#include "fufi/core/file_lock.h"

namespace fufi::orchestrator {

class CoordinatorLock {
 public:
  // RuntimeError naming the DB and the holder ("pid 123 on host") when another sweep holds it; UsageError
  // before creating anything when SQLite could not open the path (results::check_database_path).
  explicit CoordinatorLock(const std::string& db_path);

 private:
  FileLock lock_;
};

}  // namespace fufi::orchestrator
