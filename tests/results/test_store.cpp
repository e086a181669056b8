// The results database: schema and migrations, the coordinator's write path (job state machine,
// exactly-once "done", recovery of a dead sweep), the views the paper's tables read, and read-only queries.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "fufi/core/error.h"
#include "fufi/results/query.h"
#include "fufi/results/sqlite.h"
#include "fufi/results/store.h"
#include "flow_metrics.h"

namespace fs = std::filesystem;
using namespace fufi;
using namespace fufi::results;

namespace {

std::string fresh_db(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("fufi_store_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return (dir / "results.db").string();
}

JobRecord job(const std::string& id, const std::string& group, std::uint64_t seed, const std::string& lr = "0.0003") {
  JobRecord j;
  j.id = id;
  j.group_id = group;
  j.model = "srcnn";
  j.task = "P1";
  j.seed = seed;
  j.data = "synthetic:test";
  j.run_dir = "/tmp/runs/" + id;
  j.resolved = Config::from_assignments({"channels=8", "epochs=3", "loss=dualfocal", "lr=" + lr, "model=srcnn",
                                          "seed=" + std::to_string(seed)});
  return j;
}

Outcome done_with_mse(double mse) {
  Outcome o;
  o.status = JobStatus::Done;
  o.test = fufi::test::flow_metrics(mse, mse / 10, 0.5);
  o.valid = fufi::test::flow_metrics(mse + 1, 0.1, 0.6);
  o.parameters = 1234;
  o.epochs_run = 3;
  o.best_epoch = 2;
  o.wall_seconds = 1.5;
  o.provenance.host = "testhost";
  o.provenance.device = "cpu";
  o.provenance.blas = "/usr/lib/libblas.so.3";
  o.provenance.malloc_library = "libtcmalloc_minimal.so.4";
  return o;
}

Outcome failure(const std::string& message) {
  Outcome o;
  o.status = JobStatus::Failed;
  o.error_class = ErrorClass::Diverged;
  o.error = message;
  return o;
}

std::string cell(const Table& t, std::size_t row, const std::string& column) {
  for (std::size_t c = 0; c < t.columns().size(); ++c)
    if (t.columns()[c] == column) return t.rows().at(row)[c];
  ADD_FAILURE() << "no column " << column;
  return {};
}

struct Fixture {
  std::string path;
  std::unique_ptr<ResultsStore> store;
  std::int64_t sweep = 0, run = 0;
  explicit Fixture(const std::string& name, std::vector<JobRecord> jobs) : path(fresh_db(name)) {
    store = std::make_unique<ResultsStore>(path);
    sweep = store->register_sweep({"demo", "a test sweep", "demo.toml", "abc", "name = 'demo'", "synthetic:test", 2});
    store->sync_jobs(sweep, jobs, 2, false);
    run = store->begin_run(sweep, {"testhost", 3, 1, 2, "0.1.0", "abc"});
  }
};

}  // namespace

TEST(ResultsStore, FreshDatabaseHasTheCurrentSchemaInWalMode) {
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

TEST(ResultsStore, RefusesANewerSchemaAndForeignDatabases) {
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

TEST(ResultsStore, JobLifecycleRecordsEpochsResultsAndProvenance) {
  Fixture f("lifecycle", {job("a", "g", 1), job("b", "g", 2)});
  f.store->start_attempt("a", 1, f.run, "host1", "0 (rank 1)");
  f.store->resumed("a", -1);
  EpochRow e;
  e.epoch = 0;
  e.train_loss = 2.5;
  e.valid = fufi::test::flow_metrics(4, 1, 0.5);
  e.best = true;
  f.store->epoch("a", 1, e);
  e.epoch = 1;
  f.store->epoch("a", 1, e);
  f.store->finish_attempt("a", 1, done_with_mse(9), false);
  f.store->commit();

  QueryRequest q;
  q.what = "jobs";
  q.where = {{"job_id", "a"}};
  const auto jobs = run_query(f.path, q);
  ASSERT_EQ(jobs.rows().size(), 1u);
  EXPECT_EQ(cell(jobs, 0, "status"), "done");
  EXPECT_EQ(cell(jobs, 0, "test_mse"), "9");
  EXPECT_EQ(cell(jobs, 0, "channels"), "8");
  EXPECT_EQ(cell(jobs, 0, "parameters"), "1234");
  EXPECT_EQ(cell(jobs, 0, "sweep"), "demo");
  EXPECT_EQ(cell(jobs, 0, "attempts"), "1");

  q.what = "epochs";
  EXPECT_EQ(run_query(f.path, q).rows().size(), 2u);

  // "done" happens once: a second result for the same job is refused, never a second row.
  EXPECT_THROW(f.store->finish_attempt("a", 1, done_with_mse(1), false), RuntimeError);
  f.store->commit();
  Database db(f.path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM results WHERE job_id = 'a'"), 2);  // valid + test
  EXPECT_EQ(db.query_int("SELECT count(*) FROM attempts WHERE job_id = 'a' AND status = 'done'"), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM provenance WHERE job_id = 'a' AND host = 'testhost'"), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM provenance WHERE job_id = 'a' AND blas = '/usr/lib/libblas.so.3' "
                         "AND malloc = 'libtcmalloc_minimal.so.4'"), 1);
  // A job that is not pending cannot be started.
  EXPECT_THROW(f.store->start_attempt("a", 2, f.run, "h", "g"), RuntimeError);
}

TEST(ResultsStore, FailuresRetryUntilFinalAndAreListed) {
  Fixture f("failures", {job("a", "g", 1)});
  f.store->start_attempt("a", 1, f.run, "h", "0");
  f.store->finish_attempt("a", 1, failure("non-finite loss at epoch 0"), false);
  f.store->commit();
  Database db(f.path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT failures FROM jobs WHERE job_id = 'a' AND status = 'pending'"), 1);
  f.store->start_attempt("a", 2, f.run, "h", "0");
  f.store->finish_attempt("a", 2, failure("non-finite loss at epoch 1"), true);
  f.store->commit();
  EXPECT_EQ(db.query_int("SELECT failures FROM jobs WHERE job_id = 'a' AND status = 'failed'"), 2);

  QueryRequest q;
  q.what = "failures";
  const auto t = run_query(f.path, q);
  ASSERT_EQ(t.rows().size(), 2u);
  EXPECT_EQ(cell(t, 1, "error"), "non-finite loss at epoch 1");
  EXPECT_EQ(cell(t, 1, "error_class"), "diverged");

  // Re-syncing with a higher max_attempts re-queues it; reset_failures starts its count over.
  auto states = f.store->sync_jobs(f.sweep, {job("a", "g", 1)}, 3, false);
  EXPECT_EQ(states.at("a").status, JobStatus::Pending);
  EXPECT_EQ(states.at("a").failures, 2);
}

TEST(ResultsStore, RecoveryRequeuesWhatADeadSweepLeftRunning) {
  Fixture f("recover", {job("a", "g", 1), job("b", "g", 2)});
  f.store->start_attempt("a", 1, f.run, "h", "0");
  EpochRow e;
  for (int k = 0; k < 3; ++k) {
    e.epoch = k;
    f.store->epoch("a", 1, e);
  }
  f.store->commit();
  f.store.reset();  // the coordinator dies here

  ResultsStore again(f.path);
  EXPECT_EQ(again.recover_interrupted(), 1);
  Database db(f.path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM jobs WHERE status = 'running'"), 0);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM attempts WHERE status = 'interrupted'"), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sweep_runs WHERE status = 'interrupted'"), 1);
  // The job resumes from its checkpoint after epoch 1: epoch 2's row is stale and goes.
  again.start_attempt("a", 2, 1, "h", "0");
  again.resumed("a", 1);
  again.commit();
  EXPECT_EQ(db.query_int("SELECT max(epoch) FROM epochs WHERE job_id = 'a'"), 1);
  EXPECT_EQ(db.query_int("SELECT failures FROM jobs WHERE job_id = 'a'"), 0);
}

TEST(ResultsStore, SummaryAveragesOverSeedsWithSampleStd) {
  Fixture f("summary", {job("a", "g", 1), job("b", "g", 2), job("c", "g", 3), job("d", "h", 1, "0.001")});
  double mse = 1;
  for (const char* id : {"a", "b", "c"}) {
    f.store->start_attempt(id, 1, f.run, "h", "0");
    f.store->finish_attempt(id, 1, done_with_mse(mse++), false);
  }
  f.store->commit();
  QueryRequest q;
  q.what = "summary";
  q.exact_numbers = true;
  const auto t = run_query(f.path, q);
  ASSERT_EQ(t.rows().size(), 2u);
  const std::size_t g = cell(t, 0, "group_id") == "g" ? 0 : 1;
  EXPECT_EQ(cell(t, g, "n"), "3");
  EXPECT_EQ(cell(t, g, "seeds"), "1 2 3");
  EXPECT_EQ(cell(t, g, "mse_mean"), "2");
  EXPECT_EQ(cell(t, g, "mse_std"), "1");
  EXPECT_EQ(cell(t, 1 - g, "n"), "0");
  EXPECT_EQ(cell(t, 1 - g, "mse_mean"), "");

  // Config keys filter through job_config, in any spelling of the number.
  q.where = {{"lr", "1e-3"}};
  const auto only = run_query(f.path, q);
  ASSERT_EQ(only.rows().size(), 1u);
  EXPECT_EQ(cell(only, 0, "group_id"), "h");
}

TEST(ResultsStore, SyncUnlinksJobsTheSweepNoLongerHas) {
  Fixture f("sync", {job("a", "g", 1), job("b", "g", 2)});
  f.store->sync_jobs(f.sweep, {job("a", "g", 1)}, 2, false);
  Database db(f.path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sweep_jobs"), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM jobs"), 2);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config WHERE job_id = 'b'"), 8);  // 6 keys + task + data
}

TEST(ResultsQuery, IsReadOnlyAndBindsFilterValues) {
  Fixture f("query", {job("a", "g", 1), job("b", "g", 2)});
  QueryRequest q;
  q.sql = "DELETE FROM jobs";
  EXPECT_THROW(run_query(f.path, q), UsageError);
  q.sql = "UPDATE jobs SET status = 'done'";
  EXPECT_THROW(run_query(f.path, q), UsageError);
  q.sql = "SELECT count(*) AS n FROM jobs; DROP TABLE jobs";
  EXPECT_THROW(run_query(f.path, q), UsageError);
  q.sql = "SELECT count(*) AS n FROM jobs";
  EXPECT_EQ(cell(run_query(f.path, q), 0, "n"), "2");

  // A value that looks like SQL is only ever a value.
  QueryRequest w;
  w.what = "jobs";
  w.where = {{"model", "srcnn' OR '1'='1"}};
  EXPECT_EQ(run_query(f.path, w).rows().size(), 0u);
  w.where = {{"model", "srcnn"}, {"seed", "2"}};
  const auto one = run_query(f.path, w);
  ASSERT_EQ(one.rows().size(), 1u);
  EXPECT_EQ(cell(one, 0, "job_id"), "b");
  w.where = {{"sed", "2"}};
  try {
    run_query(f.path, w);
    FAIL() << "unknown filter key accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(e.message().find("did you mean 'seed'"), std::string::npos) << e.message();
  }
  w.what = "jbos";
  w.where.clear();
  try {
    run_query(f.path, w);
    FAIL() << "unknown view accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(e.message().find("did you mean 'jobs'"), std::string::npos) << e.message();
  }
  Database db(f.path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM jobs"), 2);
  EXPECT_THROW(db.exec("DELETE FROM jobs"), Error);
}

TEST(ResultsQuery, ReadersSeeCommittedBatchesWhileTheWriterHoldsOne) {
  Fixture f("concurrent", {job("a", "g", 1)});
  f.store->start_attempt("a", 1, f.run, "h", "0");
  f.store->commit();
  f.store->finish_attempt("a", 1, done_with_mse(3), false);  // an open batch: not visible yet
  QueryRequest q;
  q.what = "jobs";
  EXPECT_EQ(cell(run_query(f.path, q), 0, "status"), "running");
  f.store->commit();
  EXPECT_EQ(cell(run_query(f.path, q), 0, "status"), "done");
  const auto states = read_job_states(f.path, {"a", "zzz"});
  EXPECT_EQ(states.size(), 1u);
  EXPECT_EQ(states.at("a").status, JobStatus::Done);
  EXPECT_TRUE(read_job_states(f.path + ".absent", {"a"}).empty());
}
