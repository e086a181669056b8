#include "coordinator_lock.h"

#include <filesystem>

#include "fufi/core/error.h"
#include "fufi/results/sqlite.h"

namespace fufi::orchestrator {

namespace {

// Checks the DB path before the lock file is created beside it, so a path SQLite refuses leaves nothing.
std::string lock_path_for(const std::string& db_path) {
  results::check_database_path(db_path);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::absolute(db_path).parent_path(), ec);
  FUFI_CHECK(!ec, InputError, "{}: cannot create the directory: {}", db_path, ec.message());
  return db_path + ".lock";
}

}  // namespace

CoordinatorLock::CoordinatorLock(const std::string& db_path) : lock_(lock_path_for(db_path)) {
  FUFI_CHECK(lock_.held(), RuntimeError,
             "{}: another fufi sweep is writing this database ({}); wait for it to finish or stop it", db_path,
             lock_.holder());
}

}  // namespace fufi::orchestrator
