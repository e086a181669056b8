// The SQLite layer (sqlite.cpp): bound parameters of every type (text never spliced into SQL), column types,
// write transactions that roll back unless committed, read-only connections that cannot write, and errors that
// name the database file: a missing or foreign file, bad SQL, two statements at once, an over-long path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/results/sqlite.h"
#include "scratch_dir.h"

namespace fufi_test_sqlite {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;

TEST(Sqlite, BindsEveryTypeAndReadsColumnsBack) {
  test::ScratchDir dir("sqlite_bind");
  Database db(dir / "a.db", Database::Mode::ReadWrite);
  db.exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, n TEXT)");
  auto insert = db.prepare("INSERT INTO t VALUES (?, ?, ?, ?)");
  const std::string tricky = "it's'); DROP TABLE t; --";
  insert.bind(1, std::int64_t{1} << 40).bind(2, 2.5).bind(3, tricky).bind(4, std::optional<std::string>{}).run();
  EXPECT_EQ(db.changes(), 1);
  insert.bind(1, 7).bind(2, -1.0).bind(3, "x").bind(4, std::optional<std::string>{"y"}).run();
  EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 2);  // the quote did not end the statement
  auto select = db.prepare("SELECT i, r, s, n FROM t ORDER BY i DESC");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_count(), 4);
  EXPECT_EQ(select.column_name(2), "s");
  EXPECT_TRUE(select.is_integer(0));
  EXPECT_TRUE(select.is_real(1));
  EXPECT_EQ(select.column_int(0), std::int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(select.column_double(1), 2.5);
  EXPECT_EQ(select.column_text(2), tricky);
  EXPECT_TRUE(select.is_null(3));
  EXPECT_EQ(select.column_text(3), "");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_text(3), "y");
  EXPECT_FALSE(select.step());
  EXPECT_TRUE(select.read_only());
  EXPECT_FALSE(insert.read_only());
}

TEST(Sqlite, TransactionsRollBackUnlessCommitted) {
  test::ScratchDir dir("sqlite_tx");
  Database db(dir / "a.db", Database::Mode::ReadWrite);
  db.exec("CREATE TABLE t (i INTEGER)");
  {
    WriteTransaction tx(db);
    db.exec("INSERT INTO t VALUES (1)");
  }  // no commit: rolled back
  EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 0);
  {
    WriteTransaction tx(db);
    db.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  EXPECT_EQ(db.query_int("SELECT i FROM t"), 2);
  // An error inside a transaction leaves the database as it was.
  try {
    WriteTransaction tx(db);
    db.exec("INSERT INTO t VALUES (3)");
    db.exec("INSERT INTO missing VALUES (4)");
    tx.commit();
  } catch (const RuntimeError&) {
  }
  EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 1);
}

TEST(Sqlite, ReadOnlyConnectionsCannotWrite) {
  test::ScratchDir dir("sqlite_ro");
  const auto path = dir / "a.db";
  {
    Database db(path, Database::Mode::ReadWrite);
    db.exec("CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (5)");
    db.exec("PRAGMA user_version = 3");
  }
  Database ro(path, Database::Mode::ReadOnly);
  EXPECT_EQ(ro.query_int("SELECT i FROM t"), 5);
  EXPECT_EQ(ro.user_version(), 3);
  EXPECT_THROW(ro.exec("INSERT INTO t VALUES (6)"), RuntimeError);
  auto insert = ro.prepare("INSERT INTO t VALUES (6)");
  test::expect_error<UsageError>([&] { insert.run(); }, {path});
  EXPECT_EQ(ro.query_int("SELECT count(*) FROM t"), 1);
}

TEST(Sqlite, ErrorsNameTheDatabaseFile) {
  test::ScratchDir dir("sqlite_errors");
  const auto missing = dir / "missing.db";
  test::expect_error<InputError>([&] { Database(missing, Database::Mode::ReadOnly); },
                                 {missing, "no such database file"});
  EXPECT_FALSE(std::filesystem::exists(missing));  // a reader never creates one
  const auto text = dir / "notes.db";
  std::ofstream(text) << "these are not the tables you are looking for, and more text to fill a page header\n";
  test::expect_error<InputError>([&] { Database(text, Database::Mode::ReadOnly); },
                                 {text, "not a readable SQLite database"});
  Database db(dir / "a.db", Database::Mode::ReadWrite);
  test::expect_error<UsageError>([&] { db.prepare("SELEC 1"); }, {dir / "a.db", "SQL error"});
  test::expect_error<UsageError>([&] { db.prepare("SELECT 1; SELECT 2"); }, "give one SQL statement at a time");
  test::expect_error<UsageError>([&] { db.prepare("   "); }, "empty SQL statement");
  test::expect_error<RuntimeError>([&] { db.exec("DROP TABLE nothing_here"); }, {dir / "a.db", "nothing_here"});
}

TEST(Sqlite, OverLongPathsAreAUsageErrorBeforeAnythingIsCreated) {
  const std::string long_path = "/tmp/" + std::string(600, 'd') + "/results.db";
  test::expect_error<UsageError>([&] { check_database_path(long_path); },
                                 {"the database path is", "use a shorter path"});
  test::expect_error<UsageError>([&] { Database(long_path, Database::Mode::ReadWrite); }, "use a shorter path");
  EXPECT_NO_THROW(check_database_path("/tmp/results.db"));
}

// A full disk in the middle of a batch: SQLite rolls the transaction back by itself. The next write or the COMMIT
// then fails as io, naming that failure (scripts/faults once saw "cannot commit - no transaction is active"
// instead). max_page_count makes the database "full" at 30 pages, the same SQLITE_FULL a full disk gives.
TEST(Sqlite, ATransactionSqliteRolledBackNamesTheFailureAtCommit) {
  test::ScratchDir dir("sqlite_full");
  const std::string path = dir / "full.db";
  Database db(path, Database::Mode::ReadWrite);
  EXPECT_EQ(db.last_failure(), "");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("CREATE TABLE t (x BLOB)");
  db.exec("PRAGMA max_page_count = 30");
  WriteTransaction batch(db);
  EXPECT_TRUE(db.in_transaction());
  db.exec("INSERT INTO t VALUES (randomblob(1000))");
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) db.exec("INSERT INTO t VALUES (randomblob(20000))");
      },
      RuntimeError);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 0);  // the batch's first row went with it
  EXPECT_NE(db.last_failure().find("database or disk is full"), std::string::npos) << db.last_failure();
  test::expect_error<IoError>([&] { batch.commit(); }, {path, "rolled back", "database or disk is full"});
}

}  // namespace fufi_test_sqlite
