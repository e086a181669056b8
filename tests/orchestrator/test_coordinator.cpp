// The coordinator (coordinator.cpp) through the single-process path (the same state machine the MPI
// coordinator drives): completion, resume without rework, retries, fail-fast, recovery of a dead sweep,
// longest-first order. A scripted runner stands in for training.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/data/synth.h"
#include "fufi/orchestrator/coordinator.h"
#include "fufi/orchestrator/sweep_run.h"
#include "fufi/results/sqlite.h"
#include "fufi/results/store.h"
#include "scratch_dir.h"

namespace fufi_test_coordinator {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace fufi;
using namespace fufi::orchestrator;

namespace {

// Succeeds, reporting two epochs, unless told to fail a job (by model+seed) on given attempts.
class ScriptedRunner : public JobRunner {
 public:
  std::map<std::string, std::vector<int>> fail_on;  // "model/seed" -> attempts that fail
  std::map<std::string, std::string> fail_class;     // "model/seed" -> error class (default: runtime)
  std::vector<std::string> order;                    // "model/seed" in the order jobs ran
  std::vector<std::int64_t> begun_at;

  worker::RunResult run(const JobTicket& t, worker::RecordSink& sink, worker::Communicator&,
                        const worker::EngineCallbacks& callbacks) override {
    const std::string key = t.model + "/" + std::to_string(t.seed);
    order.push_back(key);
    sink.begin(-1);
    for (int e = 0; e < 2; ++e) {
      if (callbacks.heartbeat) callbacks.heartbeat();
      worker::EpochRecord r;
      r.epoch = e;
      r.valid.mse = 10.0 - e;
      r.best = true;
      sink.epoch(r);
    }
    worker::RunResult result;
    auto it = fail_on.find(key);
    if (it != fail_on.end() && std::count(it->second.begin(), it->second.end(), t.attempt)) {
      result.status = "failed";
      result.error_class = fail_class.count(key) ? fail_class.at(key) : "runtime";
      result.error = "scripted failure on attempt " + std::to_string(t.attempt);
      return result;
    }
    result.test.mse = static_cast<double>(t.seed);
    result.epochs_run = 2;
    result.device = "scripted";
    return result;
  }
};

struct Env {
  test::ScratchDir scratch;
  std::string dir, db;
  SweepRunOptions options;
  explicit Env(const std::string& name) : scratch("coord_" + name), dir(scratch.path()), db(dir + "/results.db") {
    options.db_path = db;
    options.quiet = true;
  }
};

const char* kSweep = R"(
name = "coord"
seeds = 2
[data]
synthetic = "small"
coarse_size = 8
upscale = 4
samples_per_task = 20
[axes]
model = ["uniform", "historical"]
task = "P1"
)";

int run(Env& env, JobRunner& runner, const std::string& text = kSweep, std::string* output = nullptr) {
  std::ostringstream out, err;
  const int code = run_sweep([&] { return parse_sweep(text, "coord.toml"); }, env.options, runner, out, err);
  if (output) *output = out.str() + err.str();
  return code;
}

std::int64_t count(const Env& env, const std::string& sql) {
  results::Database db(env.db, results::Database::Mode::ReadOnly);
  return db.query_int(sql);
}

}  // namespace

TEST(Coordinator, RunsEveryJobOnceAndARerunRunsNothing) {
  Env env("complete");
  ScriptedRunner runner;
  std::string output;
  EXPECT_EQ(run(env, runner, kSweep, &output), 0);
  EXPECT_NE(output.find("4 jobs: 4 done (4 this run), 0 failed"), std::string::npos) << output;
  EXPECT_EQ(runner.order.size(), 4u);
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'done'"), 4);
  EXPECT_EQ(count(env, "SELECT count(*) FROM epochs"), 8);
  EXPECT_EQ(count(env, "SELECT count(*) FROM results WHERE split = 'test'"), 4);
  EXPECT_EQ(count(env, "SELECT count(*) FROM sweep_runs WHERE status = 'finished'"), 1);
  // Run directories are recorded relative to the DB's directory: a moved sweep directory still resolves.
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE run_dir = 'runs/' || job_id"), 4);
  // Synthetic data went to the cache next to the DB, once per task.
  EXPECT_TRUE(fs::is_directory(env.dir + "/data/synthetic-small-seed2026-8x4-n20-g" +
                               std::to_string(fufi::data::kSynthGeneratorVersion) + "/P1/train"));

  ScriptedRunner again;
  EXPECT_EQ(run(env, again, kSweep, &output), 0);
  EXPECT_TRUE(again.order.empty());
  EXPECT_NE(output.find("4 done (0 this run)"), std::string::npos) << output;
  EXPECT_EQ(count(env, "SELECT count(*) FROM attempts"), 4);
}

TEST(Coordinator, RetriesAFailingJobAndKeepsGoing) {
  Env env("retry");
  ScriptedRunner runner;
  runner.fail_on["uniform/1"] = {1, 2};   // fails for good (max_attempts 2)
  runner.fail_on["historical/2"] = {1};   // transient: the retry succeeds
  EXPECT_EQ(run(env, runner), 1);
  EXPECT_EQ(runner.order.size(), 6u);
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'done'"), 3);
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'failed' AND failures = 2 AND attempts = 2 "
                       "AND error = 'scripted failure on attempt 2' AND error_class = 'runtime'"), 1);
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'done' AND failures = 1 AND attempts = 2"), 1);
  EXPECT_EQ(count(env, "SELECT count(*) FROM attempts WHERE status = 'failed'"), 3);

  // A rerun leaves the failed job alone; --retry-failed gives it new attempts.
  ScriptedRunner rerun;
  EXPECT_EQ(run(env, rerun), 1);
  EXPECT_TRUE(rerun.order.empty());
  env.options.retry_failed = true;
  ScriptedRunner fixed;
  EXPECT_EQ(run(env, fixed), 0);
  ASSERT_EQ(fixed.order.size(), 1u);
  EXPECT_EQ(fixed.order[0], "uniform/1");
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'done'"), 4);
}

TEST(Coordinator, ARejectedConfigurationIsNotRetried) {
  Env env("badconfig");
  ScriptedRunner runner;
  runner.fail_on["uniform/2"] = {1, 2};
  runner.fail_class["uniform/2"] = "bad_config";
  EXPECT_EQ(run(env, runner), 1);
  EXPECT_EQ(runner.order.size(), 4u);  // one attempt each
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'failed' AND attempts = 1 AND error_class = 'bad_config'"), 1);
}

// Issue #20: a job that does not fit in memory asks for the same sizes on every attempt: no retry.
TEST(Coordinator, AnOutOfMemoryJobIsNotRetried) {
  Env env("oom");
  ScriptedRunner runner;
  runner.fail_on["uniform/2"] = {1, 2};
  runner.fail_class["uniform/2"] = "out_of_memory";
  EXPECT_EQ(run(env, runner), 1);
  EXPECT_EQ(runner.order.size(), 4u);  // one attempt each
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'failed' AND attempts = 1 AND error_class = 'out_of_memory'"), 1);
}

TEST(Coordinator, BadDataAndDivergenceAreNotRetried) {
  // Both fail the same way on every attempt: the data does not change, and a retry reruns the same seed.
  for (const std::string cls : {"bad_data", "diverged"}) {
    Env env("noretry_" + cls);
    ScriptedRunner runner;
    runner.fail_on["uniform/2"] = {1, 2};
    runner.fail_class["uniform/2"] = cls;
    EXPECT_EQ(run(env, runner), 1) << cls;
    EXPECT_EQ(runner.order.size(), 4u) << cls;  // one attempt each
    EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'failed' AND attempts = 1 AND error_class = '" + cls +
                             "'"),
              1)
        << cls;
  }
}

TEST(Coordinator, FailFastStopsAtTheFirstFinalFailure) {
  Env env("failfast");
  env.options.fail_fast = true;
  ScriptedRunner runner;
  runner.fail_on["uniform/1"] = {1, 2};
  std::string output;
  EXPECT_EQ(run(env, runner, kSweep, &output), 1);
  EXPECT_NE(output.find("stopped early"), std::string::npos) << output;
  EXPECT_NE(output.find("FAILED uniform task=P1 seed=1"), std::string::npos) << output;
  EXPECT_LT(count(env, "SELECT count(*) FROM jobs WHERE status = 'done'"), 3);
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'failed'"), 1);
  EXPECT_EQ(count(env, "SELECT count(*) FROM sweep_runs WHERE status = 'stopped'"), 1);
}

TEST(Coordinator, RequeuesJobsADeadSweepLeftRunning) {
  Env env("dead");
  const auto sweep = parse_sweep(kSweep, "coord.toml");
  {
    // A sweep that died with the first job running.
    results::ResultsStore store(env.db);
    CoordinatorOptions o;
    o.runs_dir = env.dir + "/runs";
    Coordinator c(store, sweep, o);
    auto ticket = c.next("h", "g");
    ASSERT_TRUE(ticket);
    c.begin(ticket->id, -1);
    c.commit();
  }
  EXPECT_EQ(count(env, "SELECT count(*) FROM jobs WHERE status = 'running'"), 1);
  ScriptedRunner runner;
  std::string output;
  EXPECT_EQ(run(env, runner, kSweep, &output), 0);
  EXPECT_NE(output.find("4 done (4 this run)"), std::string::npos) << output;
  EXPECT_EQ(count(env, "SELECT count(*) FROM attempts WHERE status = 'interrupted'"), 1);
  EXPECT_EQ(count(env, "SELECT count(*) FROM attempts WHERE status = 'done'"), 4);
  EXPECT_EQ(count(env, "SELECT max(attempts) FROM jobs"), 2);
  EXPECT_EQ(count(env, "SELECT max(failures) FROM jobs"), 0);  // an interruption is not a failure
}

// Issue #20: a job a dead sweep left running whose configuration was then removed from the file is not
// announced as re-queued (it would stay pending for ever): it is listed as orphaned.
TEST(Coordinator, ARemovedJobADeadSweepLeftRunningIsOrphanedNotRequeued) {
  Env env("dead_removed");
  const auto sweep = parse_sweep(kSweep, "coord.toml");
  std::string running_model;
  {
    results::ResultsStore store(env.db);
    CoordinatorOptions o;
    o.runs_dir = env.dir + "/runs";
    Coordinator c(store, sweep, o);
    auto ticket = c.next("h", "g");
    ASSERT_TRUE(ticket);
    running_model = ticket->model;
    c.begin(ticket->id, -1);
    c.commit();
  }
  const std::string kept = running_model == "uniform" ? "historical" : "uniform";
  std::string text = kSweep;
  const std::string axis = "model = [\"uniform\", \"historical\"]";
  text.replace(text.find(axis), axis.size(), "model = \"" + kept + "\"");
  env.options.quiet = false;
  ScriptedRunner runner;
  std::string output;
  EXPECT_EQ(run(env, runner, text, &output), 0) << output;
  EXPECT_EQ(output.find("re-queued"), std::string::npos) << output;
  // Both seeds of the removed model: the one the dead sweep ran and the one it never started.
  EXPECT_NE(output.find("2 job(s) in " + env.db + " belong to no sweep file any more"), std::string::npos) << output;
  EXPECT_NE(output.find(running_model + " P1 seed"), std::string::npos) << output;
}

TEST(Coordinator, HandsOutTheLongestExpectedJobFirst) {
  Env env("order");
  const char* text = R"(
seeds = 1
[data]
synthetic = "small"
coarse_size = 8
upscale = 4
samples_per_task = 20
[axes]
model = "srcnn"
task = "P1"
epochs = [1, 5, 3]
[models.srcnn]
channels = 8
)";
  const auto sweep = parse_sweep(text, "order.toml");
  results::ResultsStore store(env.db);
  CoordinatorOptions o;
  o.runs_dir = env.dir + "/runs";
  Coordinator c(store, sweep, o);
  std::vector<std::string> epochs;
  while (auto t = c.next("h", "g")) epochs.push_back(t->settings.get_string("epochs"));
  EXPECT_EQ(epochs, (std::vector<std::string>{"5", "3", "1"}));
}

// Issue #20: a sweep name is bound to its file. Another file (other path, other content) under the same name
// is refused naming both, unless --replace-sweep; the same path edited, or the same content elsewhere, is the
// same sweep.
TEST(Coordinator, AnotherFileCannotTakeASweepNameOverUnlessAsked) {
  Env env("binding");
  ScriptedRunner runner;
  EXPECT_EQ(run(env, runner), 0);
  const std::string other = "max_attempts = 3\n" + std::string(kSweep);
  auto run_file = [&](const std::string& text, const std::string& path, std::string* output) {
    std::ostringstream out, err;
    ScriptedRunner r;
    const int code = run_sweep([&] { return parse_sweep(text, path); }, env.options, r, out, err);
    *output = out.str() + err.str();
    return code;
  };
  std::string output;
  test::expect_error<UsageError>([&] { run_file(other, env.dir + "/elsewhere/coord.toml", &output); },
                                 {"the sweep name 'coord' is taken", "coord.toml", "--replace-sweep"});
  EXPECT_EQ(run_file(kSweep, env.dir + "/copy/coord.toml", &output), 0) << output;  // same content: same sweep
  EXPECT_EQ(run_file(other, env.dir + "/copy/coord.toml", &output), 0) << output;   // the same file, edited
  const std::string third = "max_attempts = 4\n" + std::string(kSweep);
  test::expect_error<UsageError>([&] { run_file(third, env.dir + "/elsewhere/coord.toml", &output); },
                                 {env.dir + "/copy/coord.toml", "--replace-sweep"});
  env.options.replace_sweep = true;
  EXPECT_EQ(run_file(third, env.dir + "/elsewhere/coord.toml", &output), 0) << output;
  EXPECT_EQ(count(env, "SELECT count(*) FROM sweeps"), 1);
}

// Issue #20: jobs a sweep had that its file no longer has (a configuration removed) and that are not done
// are listed on every run instead of staying pending silently.
TEST(Coordinator, JobsTheFileNoLongerHasAreListed) {
  Env env("orphans");
  ScriptedRunner runner;
  runner.fail_on["uniform/2"] = {1};
  runner.fail_class["uniform/2"] = "bad_config";  // failed for good: not done
  EXPECT_EQ(run(env, runner), 1);
  std::string text = kSweep;
  text.replace(text.find("model = [\"uniform\", \"historical\"]"), std::string("model = [\"uniform\", \"historical\"]").size(),
               "model = \"historical\"");
  ScriptedRunner again;
  std::string output;
  EXPECT_EQ(run(env, again, text, &output), 0) << output;
  EXPECT_NE(output.find("1 job(s) in " + env.db + " belong to no sweep file any more"), std::string::npos) << output;
  EXPECT_NE(output.find("uniform P1 seed 2 (failed)"), std::string::npos) << output;
  EXPECT_EQ(output.find("seed 1 (done)"), std::string::npos) << output;  // done jobs are not orphans
  // And on every later run, not only the one that dropped them.
  ScriptedRunner third;
  EXPECT_EQ(run(env, third, text, &output), 0) << output;
  EXPECT_NE(output.find("uniform P1 seed 2 (failed)"), std::string::npos) << output;
  // `fufi query DB orphans` lists it too (the view v_orphans).
  results::Database db(env.db, results::Database::Mode::ReadOnly);
  auto q = db.prepare("SELECT model, seed, status FROM v_orphans");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column_text(0), "uniform");
  EXPECT_EQ(q.column_int(1), 2);
  EXPECT_EQ(q.column_text(2), "failed");
  EXPECT_FALSE(q.step());
}

}  // namespace fufi_test_coordinator
