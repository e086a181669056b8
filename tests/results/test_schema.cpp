// The results DB's schema (schema.cpp): migrations, WAL, versions this build can and cannot read.
#include <gtest/gtest.h>

#include <fstream>

#include "fufi/core/error.h"
#include "fufi/results/query.h"
#include "fufi/results/schema.h"
#include "fufi/results/sqlite.h"
#include "expect_error.h"
#include "store_fixture.h"

using namespace fufi;
using namespace fufi::results;
using namespace fufi::test;

TEST(Schema, FreshDatabaseHasTheCurrentSchemaInWalMode) {
  const auto path = fresh_db("fresh");
  { ResultsStore store(path); }
  Database db(path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.user_version(), schema_version());
  auto mode = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
  for (const char* name : {"sweeps", "sweep_runs", "jobs", "job_config", "sweep_jobs", "attempts", "epochs", "results",
                           "provenance", "v_jobs", "v_summary", "v_failures", "v_epochs", "v_sweeps"}) {
    auto s = db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = ?1");
    s.bind(1, std::string(name));
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 1) << name;
  }
  // Opening again migrates nothing and keeps the version.
  { ResultsStore again(path); }
  Database db2(path, Database::Mode::ReadOnly);
  EXPECT_EQ(db2.user_version(), schema_version());
}

TEST(Schema, RefusesANewerSchemaAndForeignDatabases) {
  const auto newer = fresh_db("newer");
  { ResultsStore store(newer); }
  { Database db(newer, Database::Mode::ReadWrite); db.exec("PRAGMA user_version = 999"); }
  try {
    ResultsStore store(newer);
    FAIL() << "a newer schema was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(e.message().find("newer"), std::string::npos) << e.message();
  }
  const auto foreign = fresh_db("foreign");
  { Database db(foreign, Database::Mode::ReadWrite); db.exec("CREATE TABLE t (x)"); }
  EXPECT_THROW(ResultsStore store(foreign), InputError);
  const auto garbage = fresh_db("garbage");
  { std::ofstream(garbage) << "this is not an SQLite database, it is text long enough to have a header......"; }
  EXPECT_THROW(ResultsStore store(garbage), InputError);
  EXPECT_THROW(run_query(garbage, {}), InputError);
  EXPECT_THROW(run_query(fresh_db("missing") + ".absent", {}), InputError);
}


TEST(Schema, ReadersNeedAFufiDatabaseOfAKnownVersion) {
  const auto path = fresh_db("readable");
  { Database db(path, Database::Mode::ReadWrite); }
  Database empty(path, Database::Mode::ReadOnly);
  test::expect_error<InputError>([&] { check_readable_schema(empty); }, {path, "not a fufi results database"});
  EXPECT_NO_THROW(check_schema_not_newer(empty));  // version 0: a writer would create it
  { ResultsStore store(path); }
  Database current(path, Database::Mode::ReadOnly);
  EXPECT_NO_THROW(check_readable_schema(current));
  { Database db(path, Database::Mode::ReadWrite); db.exec("PRAGMA user_version = 999"); }
  Database newer(path, Database::Mode::ReadOnly);
  test::expect_error<InputError>([&] { check_readable_schema(newer); }, {"schema version 999", "use a newer fufi"});
}
