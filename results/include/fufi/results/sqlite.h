#pragma once
// A thin RAII layer over the SQLite C API: a connection, prepared statements with bound parameters, and
// write transactions that start with BEGIN IMMEDIATE. Errors name the database file and SQLite's message.
#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace fufi::results {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, const std::string& sql, const std::string& db_path);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Binding never splices text into SQL.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  Statement& bind_null(int index);
  Statement& bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // One step: true when a row is available, false when the statement is done.
  bool step();
  // Runs a statement that returns no rows, then resets it for the next use.
  void run();
  void reset();  // also clears the bindings

  int column_count() const;
  std::string column_name(int column) const;
  bool is_null(int column) const;
  bool is_integer(int column) const;
  bool is_real(int column) const;
  std::int64_t column_int(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  // True when the statement cannot modify the database (sqlite3_stmt_readonly).
  bool read_only() const;

 private:
  [[noreturn]] void fail(const char* what) const;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string db_path_;
};

// UsageError naming PATH when SQLite cannot open it for the length of its absolute path: SQLite's unix VFS
// takes at most 512 bytes, including the suffix of its journal ("-journal"), so longer paths fail with a
// bare "unable to open database file". Called before anything is created beside the DB (its .lock).
void check_database_path(const std::string& path);

class Database {
 public:
  enum class Mode { ReadWrite, ReadOnly };
  // ReadWrite creates the file; ReadOnly requires it and can never write (SQLITE_OPEN_READONLY and
  // PRAGMA query_only). InputError when the file is missing or is not an SQLite database.
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows.
  void exec(const std::string& sql);
  Statement prepare(const std::string& sql);
  std::int64_t query_int(const std::string& sql);  // the first column of the first row
  int user_version();
  std::int64_t changes() const;  // rows changed by the last statement
  // Whether a transaction is open. SQLite ends one by itself (an automatic rollback) when a statement in it fails
  // with a full disk, an I/O error or out of memory.
  bool in_transaction() const;
  // The text of this connection's last failed statement ("" when none failed), kept after later statements succeed.
  std::string last_failure() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  // Read-only mode on a read-only file system: opens PATH as immutable when PATH-wal holds nothing (sqlite.cpp).
  bool open_immutable_if_read_only_media(const std::string& path);
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE on construction (the write lock is taken now, so a busy database waits on
// busy_timeout instead of failing on a read-to-write upgrade); ROLLBACK unless commit() was called.
class WriteTransaction {
 public:
  explicit WriteTransaction(Database& db);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  // IoError, naming the failure that caused it, when SQLite has rolled the transaction back by itself (see
  // Database::in_transaction): its writes are gone, and later statements would run outside any transaction.
  void check_open();
  // check_open, then COMMIT.
  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace fufi::results
