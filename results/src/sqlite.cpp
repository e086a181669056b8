#include "fufi/results/sqlite.h"

#include <unistd.h>

#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "fufi/core/error.h"

namespace fufi::results {

namespace {

// SQLite's message, and for a failing disk the OS error behind it ("disk I/O error" alone does not say
// that a file-size limit or a full disk was hit).
// The last failure per connection (Database::last_failure): SQLite's own message is gone once another statement
// succeeds, and a transaction it rolled back by itself is only noticed later, at the next write or the COMMIT.
std::mutex failures_mutex;
std::unordered_map<const sqlite3*, std::string>& failures() {
  static std::unordered_map<const sqlite3*, std::string> map;
  return map;
}

// A new connection may get the address of a closed one: it starts with no failure.
void forget_failures(const sqlite3* db) {
  const std::lock_guard<std::mutex> lock(failures_mutex);
  failures().erase(db);
}

std::string error_text(sqlite3* db) {
  std::string message = sqlite3_errmsg(db);
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  const int os_error = sqlite3_system_errno(db);
  if ((primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN) && os_error != 0)
    message += fmt::format(" ({})", std::strerror(os_error));
  const std::lock_guard<std::mutex> lock(failures_mutex);
  failures()[db] = message;
  return message;
}

}  // namespace

Statement::Statement(sqlite3* db, const std::string& sql, const std::string& db_path) : db_(db), db_path_(db_path) {
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, &tail) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    stmt_ = nullptr;
    FUFI_THROW(UsageError, "{}: SQL error: {}", db_path, message);
  }
  FUFI_CHECK(stmt_ != nullptr, UsageError, "{}: empty SQL statement", db_path);
  // One statement per prepare: trailing text would otherwise be silently ignored.
  for (const char* p = tail; p && *p; ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
      sqlite3_finalize(stmt_);
      stmt_ = nullptr;
      FUFI_THROW(UsageError, "{}: give one SQL statement at a time (extra text: '{}')", db_path, std::string(p).substr(0, 40));
    }
  }
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), db_path_(std::move(other.db_path_)) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    db_path_ = std::move(other.db_path_);
    other.stmt_ = nullptr;
  }
  return *this;
}

void Statement::fail(const char* what) const {
  FUFI_THROW(RuntimeError, "{}: SQLite {} failed: {}", db_path_, what, error_text(db_));
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail("bind");
  return *this;
}
Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail("bind");
  return *this;
}
Statement& Statement::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    fail("bind");
  return *this;
}
Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail("bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string message = error_text(db_);
  sqlite3_reset(stmt_);
  if (rc == SQLITE_READONLY || rc == SQLITE_ERROR)
    FUFI_THROW(UsageError, "{}: {}", db_path_, message);
  FUFI_THROW(RuntimeError, "{}: SQLite step failed: {}", db_path_, message);
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }
std::string Statement::column_name(int column) const { return sqlite3_column_name(stmt_, column); }
bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
bool Statement::is_integer(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_INTEGER; }
bool Statement::is_real(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_FLOAT; }
std::int64_t Statement::column_int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }
std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}
bool Statement::read_only() const { return sqlite3_stmt_readonly(stmt_) != 0; }

void check_database_path(const std::string& path) {
  constexpr std::size_t kSqliteMaxPathname = 512;  // MAX_PATHNAME of SQLite's unix VFS (os_unix.c)
  constexpr std::size_t kSuffix = sizeof("-journal") - 1;
  std::error_code ec;
  const std::string absolute = std::filesystem::absolute(path, ec).lexically_normal().string();
  const std::size_t length = ec ? path.size() : absolute.size();
  FUFI_CHECK(length + kSuffix < kSqliteMaxPathname, UsageError,
             "{}: the database path is {} characters long as an absolute path; SQLite opens at most {} (with its "
             "journal's suffix): use a shorter path",
             path, length, kSqliteMaxPathname - kSuffix - 1);
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
  check_database_path(path);
  if (mode == Mode::ReadOnly) {
    std::error_code ec;
    FUFI_CHECK(std::filesystem::is_regular_file(path, ec), InputError, "{}: no such database file", path);
  } else {
    const auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    FUFI_CHECK(!ec, InputError, "{}: cannot create the directory: {}", parent.string(), ec.message());
  }
  const int flags = mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    FUFI_THROW(InputError, "{}: cannot open the database: {}", path, message);
  }
  sqlite3_extended_result_codes(db_, 1);
  forget_failures(db_);
  // Waits for a lock instead of failing at once: a reader may hold the WAL briefly.
  sqlite3_busy_timeout(db_, 10000);
  try {
    // Reading the schema fails here, with a clear message, when the file is not an SQLite database.
    query_int("SELECT count(*) FROM sqlite_schema");
    if (mode == Mode::ReadOnly) {
      exec("PRAGMA query_only = ON");
      // Readers (fufi query, fufi report) page through large DBs: mapped, the pages are read without a system call
      // each and without a 2 MB page cache to thrash (issue #17: the summary of 100,000 jobs, 1.2 s -> 0.85 s of
      // SQL). SQLite maps at most the file's size; writers keep plain I/O.
      exec("PRAGMA mmap_size = 1073741824");
    }
  } catch (const Error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    if (mode == Mode::ReadOnly && open_immutable_if_read_only_media(path)) return;
    FUFI_THROW(InputError, "{}: not a readable SQLite database ({})", path, e.message());
  }
}

// A WAL-mode DB on a read-only file system (an archive, a read-only mount) cannot be read normally: SQLite
// must create PATH-shm. When no PATH-wal holds pages (a sweep that ended cleanly checkpointed them into the
// file), the file alone is the whole DB and is opened as immutable. With pages in PATH-wal that would read a
// stale DB silently, so that case stays an error that says what to do.
bool Database::open_immutable_if_read_only_media(const std::string& path) {
  const auto dir = std::filesystem::path(path).parent_path();
  if (::access(dir.empty() ? "." : dir.c_str(), W_OK) == 0) return false;  // a writable directory: the failure was something else
  std::error_code ec;
  const auto wal_size = std::filesystem::file_size(path + "-wal", ec);
  FUFI_CHECK(ec || wal_size == 0, InputError,
             "{}: its directory is read-only and {}-wal holds {} bytes not yet in the file: copy both to a writable "
             "directory to read it",
             path, path, wal_size);
  std::string uri = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else uri += c;
  }
  uri += "?immutable=1";
  if (sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db_);
    db_ = nullptr;
    return false;
  }
  sqlite3_extended_result_codes(db_, 1);
  forget_failures(db_);
  try {
    query_int("SELECT count(*) FROM sqlite_schema");
    exec("PRAGMA query_only = ON");
  } catch (const Error&) {
    sqlite3_close(db_);
    db_ = nullptr;
    return false;
  }
  return true;
}

Database::~Database() {
  if (!db_) return;
  forget_failures(db_);
  sqlite3_close(db_);
}

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    // The callback-less exec's message is sqlite3_errmsg's; error_text adds the OS error of a failing disk.
    const std::string message = error_text(db_);
    sqlite3_free(error);
    FUFI_THROW(RuntimeError, "{}: {}", path_, message);
  }
}

Statement Database::prepare(const std::string& sql) { return Statement(db_, sql, path_); }

std::int64_t Database::query_int(const std::string& sql) {
  auto s = prepare(sql);
  return s.step() ? s.column_int(0) : 0;
}

int Database::user_version() { return static_cast<int>(query_int("PRAGMA user_version")); }

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

std::string Database::last_failure() const {
  const std::lock_guard<std::mutex> lock(failures_mutex);
  const auto it = failures().find(db_);
  return it == failures().end() ? std::string() : it->second;
}

WriteTransaction::WriteTransaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

WriteTransaction::~WriteTransaction() {
  if (open_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // Rolling back while unwinding: the original error is the one worth reporting.
    }
  }
}

void WriteTransaction::check_open() {
  if (!open_ || db_.in_transaction()) return;
  open_ = false;  // nothing to roll back
  const std::string cause = db_.last_failure();
  FUFI_THROW(IoError, "{}: SQLite rolled back the open batch of writes after an error ({}); what it held is not in the "
                      "database, and the next run of the sweep redoes it",
             db_.path(), cause.empty() ? "no message kept" : cause);
}

void WriteTransaction::commit() {
  check_open();
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace fufi::results
