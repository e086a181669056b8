// The results DB's schema (schema.cpp): migrations, WAL, versions this build can and cannot read.
#include <gtest/gtest.h>

#include <fstream>

#include "fufi/core/error.h"
#include "fufi/results/query.h"
#include "fufi/results/schema.h"
#include "fufi/results/sqlite.h"
#include "expect_error.h"
#include "store_fixture.h"

namespace fufi_test_schema {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

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
  for (const char* name : {"sweeps", "sweep_runs", "jobs", "job_config", "config_sets", "config_set_keys", "sweep_jobs", "attempts", "epochs", "results",
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

namespace {

// Every row of v_summary, as text, in a fixed order.
std::vector<std::string> summary_rows(Database& db) {
  std::vector<std::string> rows;
  auto s = db.prepare("SELECT * FROM v_summary ORDER BY sweep, variant, group_id");
  while (s.step()) {
    std::string row;
    for (int c = 0; c < s.column_count(); ++c) row += s.column_name(c) + "=" + s.column_text(c) + "|";
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

// A database written by an older fufi opens, migrates to the current version and keeps its answers: version 5
// rewrote v_summary (one config lookup per configuration instead of five per job, issue #17).
TEST(Schema, AVersion4DatabaseMigratesAndItsSummaryIsUnchanged) {
  const auto path = fresh_db("v4");
  {
    Database db(path, Database::Mode::ReadWrite);
    migrate(db, 4);
    ASSERT_EQ(db.user_version(), 4);
    db.exec(R"SQL(
      INSERT INTO sweeps VALUES (1, 'a', '', 'a.toml', 'x', '', 'd', 2, 't', 't'), (2, 'b', '', 'b.toml', 'y', '', 'd', 2, 't', 't');
      INSERT INTO jobs (job_id, group_id, model, task, seed, data, config, run_dir, status, created_at) VALUES
        ('j1', 'g1', 'srcnn', 'P1', 1, 'd', '{}', 'r', 'done', 't'),
        ('j2', 'g1', 'srcnn', 'P1', 2, 'd', '{}', 'r', 'done', 't'),
        ('j3', 'g1', 'srcnn', 'P1', 3, 'd', '{}', 'r', 'failed', 't'),
        ('j4', 'g2', 'espcn', 'P2', 1, 'd', '{}', 'r', 'done', 't'),
        ('j5', 'g3', 'srcnn', 'P1', 1, 'd', '{}', 'r', 'pending', 't'),
        ('j6', 'g4', 'uniform', 'P1', 1, 'd', '{}', 'r', 'done', 't');
      INSERT INTO job_config VALUES
        ('j1', 'loss', 'dualfocal'), ('j1', 'channels', '8'), ('j2', 'loss', 'dualfocal'), ('j2', 'channels', '8'),
        ('j3', 'loss', 'dualfocal'), ('j3', 'channels', '8'), ('j4', 'loss', 'mse'), ('j4', 'depth', '4'),
        ('j5', 'loss', 'mse'), ('j5', 'channels', '16');
      INSERT INTO sweep_jobs VALUES (1, 'j1', 'full', 0), (1, 'j2', 'full', 1), (1, 'j3', 'full', 2), (1, 'j4', 'wo', 3),
        (2, 'j1', '', 0), (2, 'j5', '', 1);
      INSERT INTO results VALUES ('j1', 'test', 1.0, 1.0, 0.5, 0.1), ('j1', 'valid', 2.0, 1.4, 0.6, 0.2),
        ('j2', 'test', 3.0, 1.7, 0.7, 0.3), ('j4', 'test', 5.0, 2.2, 0.9, 0.4);
      INSERT INTO provenance (job_id, attempt, parameters, mean_epoch_seconds, wall_seconds) VALUES
        ('j1', 1, 100, 0.5, 2.0), ('j2', 1, 100, 0.7, 3.0), ('j4', 1, 50, 0.2, 1.0);
    )SQL");
  }
  std::vector<std::string> before;
  {
    Database db(path, Database::Mode::ReadOnly);
    before = summary_rows(db);
  }
  ASSERT_EQ(before.size(), 5u);  // a/full/g1, a/wo/g2, b//g1, b//g3, and j6 in no sweep
  { ResultsStore store(path); }   // what every writer does first: migrate
  Database db(path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.user_version(), schema_version());
  EXPECT_EQ(summary_rows(db), before);
  EXPECT_NE(before[1].find("loss=dualfocal|channels=8|depth=|n=2|jobs=3|failed=1|seeds=1 2|mse_mean=2.0|mse_std=1.4142"),
            std::string::npos)
      << before[1];
}

namespace {

// Every row of job_config, as text, in a fixed order.
std::vector<std::string> job_config_rows(Database& db) {
  std::vector<std::string> rows;
  auto s = db.prepare("SELECT job_id, key, value FROM job_config ORDER BY job_id, key");
  while (s.step()) rows.push_back(s.column_text(0) + "|" + s.column_text(1) + "|" + s.column_text(2));
  return rows;
}

}  // namespace

// Version 6 (issue #17) turned the job_config table into a view over config sets. A version-5 DB keeps every row
// of it, values with quotes, control characters and UTF-8 included; jobs of one configuration share one set; and a
// seed of that configuration registered after the upgrade joins the migrated set (the same canonical text).
TEST(Schema, AVersion5DatabaseKeepsEveryConfigRowInConfigSets) {
  const auto path = fresh_db("v5");
  const std::string odd = "a \"q\" \\ \t \x01 caf\xc3\xa9";
  {
    Database db(path, Database::Mode::ReadWrite);
    migrate(db, 5);
    ASSERT_EQ(db.user_version(), 5);
    db.exec(R"SQL(
      INSERT INTO jobs (job_id, group_id, model, task, seed, data, config, run_dir, status, created_at) VALUES
        ('j1', 'g1', 'srcnn', 'P1', 1, 'd', '{"lr": "0.001", "seed": "1"}', 'r', 'done', 't'),
        ('j2', 'g1', 'srcnn', 'P1', 2, 'd', '{"lr": "0.001", "seed": "2"}', 'r', 'pending', 't'),
        ('j3', 'g2', 'srcnn', 'P2', 1, 'd', '{"lr": "0.01", "seed": "1"}', 'r', 'pending', 't');
      INSERT INTO job_config VALUES
        ('j1', 'lr', '0.001'), ('j1', 'seed', '1'), ('j1', 'task', 'P1'), ('j1', 'data', 'd'),
        ('j2', 'lr', '0.001'), ('j2', 'seed', '2'), ('j2', 'task', 'P1'), ('j2', 'data', 'd'),
        ('j3', 'lr', '0.01'), ('j3', 'seed', '1'), ('j3', 'task', 'P2'), ('j3', 'data', 'd');
    )SQL");
    auto odd_key = db.prepare("INSERT INTO job_config VALUES (?1, 'note', ?2)");
    for (const char* id : {"j1", "j2"}) odd_key.bind(1, std::string(id)).bind(2, odd).run();
  }
  std::vector<std::string> before;
  {
    Database db(path, Database::Mode::ReadOnly);
    before = job_config_rows(db);
  }
  ASSERT_EQ(before.size(), 14u);
  {
    ResultsStore store(path);
    Database db(path, Database::Mode::ReadOnly);
    EXPECT_EQ(db.user_version(), schema_version());
    EXPECT_EQ(job_config_rows(db), before);
    EXPECT_EQ(db.query_int("SELECT count(*) FROM config_sets"), 2);
    EXPECT_EQ(db.query_int("SELECT count(*) FROM jobs WHERE config_set IS NULL"), 0);
    // Seed 3 of j1's configuration, as a sweep registers it now.
    JobRecord j3 = job("j4", "g1", 3);
    j3.data = "d";
    j3.resolved = Config::from_assignments({"lr=0.001", "seed=3"});
    j3.resolved.set("note", odd);
    const auto sweep = store.register_sweep(SweepRecord{"s", "", "s.toml", "x", "", "d", 2});
    store.sync_jobs(sweep, {j3}, 2, false);
    EXPECT_EQ(db.query_int("SELECT count(*) FROM config_sets"), 2);
    EXPECT_EQ(db.query_int("SELECT count(DISTINCT config_set) FROM jobs WHERE group_id = 'g1'"), 1);
    EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config WHERE job_id = 'j4'"), 5);
  }
}

}  // namespace fufi_test_schema
