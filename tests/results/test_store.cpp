// The results store (store.cpp): the coordinator's write path (job state machine, exactly-once "done", recovery
// of a dead sweep), the views the paper's tables read. Schema: test_schema.cpp; queries: test_query.cpp.
#include <gtest/gtest.h>

#include <map>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "fufi/core/error.h"
#include "fufi/results/query.h"
#include "fufi/results/sqlite.h"
#include "fufi/results/store.h"
#include "store_fixture.h"

namespace fufi_test_store {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace fufi;
using namespace fufi::results;
using namespace fufi::test;


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

// sync_jobs inserts in job-id order (issue #17) but records each job at its place in the sweep, with its own row.
TEST(ResultsStore, SyncKeepsTheSweepsOrderWhateverTheIds) {
  Fixture f("order", {job("c", "g", 1), job("a", "g", 2), job("d", "h", 1, "0.001"), job("b", "h", 2, "0.001")});
  Database db(f.path, Database::Mode::ReadOnly);
  auto s = db.prepare("SELECT sj.job_id, sj.position, j.seed FROM sweep_jobs sj JOIN jobs j USING (job_id) ORDER BY sj.position");
  std::string rows;
  while (s.step()) rows += s.column_text(0) + std::to_string(s.column_int(1)) + std::to_string(s.column_int(2)) + " ";
  EXPECT_EQ(rows, "c01 a12 d21 b32 ");
  // The job rows themselves in the sweep's order: a summary lists a configuration's seeds in it.
  auto r = db.prepare("SELECT group_concat(job_id, '') FROM (SELECT job_id FROM jobs ORDER BY rowid)");
  ASSERT_TRUE(r.step());
  EXPECT_EQ(r.column_text(0), "cadb");
  QueryRequest q;
  q.what = "summary";
  const auto t = run_query(f.path, q);
  ASSERT_EQ(t.rows().size(), 2u);
  EXPECT_EQ(cell(t, 0, "seeds"), "");  // none done yet
  for (const char* id : {"c", "a"}) {
    f.store->start_attempt(id, 1, f.run, "h", "0");
    f.store->finish_attempt(id, 1, done_with_mse(1), false);
  }
  f.store->commit();
  const auto done = run_query(f.path, q);
  const std::size_t g = cell(done, 0, "group_id") == "g" ? 0 : 1;
  EXPECT_EQ(cell(done, g, "seeds"), "1 2");
  EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config WHERE job_id = 'd' AND key = 'lr' AND value = '0.001'"), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config"), 4 * 8);
}

// job_config holds every resolved key as the job has it, whatever characters its value holds (sync_jobs fills it
// from the row's JSON object in one statement, issue #17).
TEST(ResultsStore, JobConfigHoldsEveryResolvedValueExactly) {
  JobRecord odd = job("q", "g", 1);
  odd.resolved.set("path", "a \"quoted\" \\ back\tslash\nnew line \x01 caf\xc3\xa9 {\"k\": [1]}");
  odd.resolved.set("empty", "");
  Fixture f("config", {odd});
  Database db(f.path, Database::Mode::ReadOnly);
  auto s = db.prepare("SELECT key, value FROM job_config WHERE job_id = 'q' ORDER BY key");
  std::map<std::string, std::string> stored;
  while (s.step()) stored[s.column_text(0)] = s.column_text(1);
  std::map<std::string, std::string> expected = odd.resolved.items();
  expected["task"] = odd.task;
  expected["data"] = odd.data;
  EXPECT_EQ(stored, expected);
}

TEST(ResultsStore, SyncUnlinksJobsTheSweepNoLongerHas) {
  Fixture f("sync", {job("a", "g", 1), job("b", "g", 2)});
  f.store->sync_jobs(f.sweep, {job("a", "g", 1)}, 2, false);
  Database db(f.path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sweep_jobs"), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM jobs"), 2);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config WHERE job_id = 'b'"), 8);  // 6 keys + task + data
}

// Schema v6 (issue #17): a configuration's keys are stored once, in a config set its jobs point at; job_config is a
// view that still has every key of every job, the seed included. A set made only for jobs registered before (this
// time with another execution-only key) does not stay behind.
TEST(ResultsStore, AConfigurationsKeysAreStoredOnceForAllItsSeeds) {
  Fixture f("sets", {job("a", "g", 1), job("b", "g", 2), job("c", "g", 3), job("d", "h", 1, "0.001"),
                     job("e", "h", 2, "0.001")});
  Database db(f.path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM config_sets"), 2);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM config_set_keys"), 2 * 7);  // 6 keys - seed + task + data
  EXPECT_EQ(db.query_int("SELECT count(DISTINCT config_set) FROM jobs WHERE group_id = 'g'"), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config"), 5 * 8);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config WHERE job_id = 'c' AND key = 'seed' AND value = '3'"), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config WHERE key = 'lr' AND value = '0.001'"), 2);

  std::vector<JobRecord> again{job("a", "g", 1), job("b", "g", 2), job("c", "g", 3)};
  for (auto& j : again) j.resolved.set("threads", "4");
  f.store->sync_jobs(f.sweep, again, 2, false);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM config_sets"), 2);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM config_set_keys"), 2 * 7);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config WHERE key = 'threads'"), 0);  // registered before: kept
  JobRecord fresh = job("f", "g", 4);
  fresh.resolved.set("threads", "4");
  f.store->sync_jobs(f.sweep, {fresh}, 2, false);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM config_sets"), 3);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM job_config WHERE job_id = 'f' AND key = 'threads' AND value = '4'"), 1);
}

}  // namespace fufi_test_store
