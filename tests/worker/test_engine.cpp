// The training engine (engine.cpp): runs end to end, the run directory, determinism, resume, divergence,
// failure classes, real data, the run-directory lock and I/O failures. Its configuration: test_train_config.cpp;
// data checks before training: test_engine_setup.cpp; inference: test_inference.cpp; --diagnose: test_diagnosis.cpp.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine_test_util.h"
#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/core/file_lock.h"
#include "fufi/data/dataset.h"
#include "fufi/data/metrics.h"
#include "fufi/data/npy.h"
#include "fufi/worker/checkpoint.h"
#include "fufi/worker/engine.h"
#include "fufi/worker/inference.h"
#include "fufi/worker/train_config.h"

namespace fufi_test_engine {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;
using namespace fufi::test;  // the engine runs of engine_test_util.h
namespace fs = std::filesystem;

class Engine : public ::testing::Test {
 protected:
  void SetUp() override { test::register_tiny_convnet(); }
};

TEST_F(Engine, TrainsEndToEndAndWritesRunDirectory) {
  auto dir = fresh_dir("e2e");
  auto r = train("test_tiny_convnet", kTiny, dir);
  ASSERT_EQ(r.status, "done") << r.error;
  EXPECT_EQ(r.epochs_run, 4);
  EXPECT_GE(r.best_epoch, 0);
  EXPECT_GT(r.test.mse, 0);
  EXPECT_NEAR(r.test.rmse * r.test.rmse, r.test.mse, 1e-9 * r.test.mse);
  EXPECT_TRUE(fs::exists(dir + "/best.ckpt"));
  EXPECT_TRUE(fs::exists(dir + "/last.ckpt"));
  auto metrics = nlohmann::json::parse(read(dir + "/metrics.json"));
  EXPECT_EQ(metrics["status"], "done");
  for (const char* k : {"mse", "mae", "mape", "rmse"}) EXPECT_TRUE(metrics["test"].contains(k)) << k;
  EXPECT_EQ(metrics["parameters"].get<std::int64_t>(), r.parameters);
  // One line per epoch, with the fields the database will take.
  std::ifstream epochs(dir + "/epochs.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(epochs, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["epoch"].get<int>(), lines);
    EXPECT_TRUE(j["valid"].contains("mape"));
    EXPECT_GT(j["samples_per_second"].get<double>(), 0);
    ++lines;
  }
  EXPECT_EQ(lines, 4);
}

TEST_F(Engine, LearnsBeyondTheUniformFloor) {
  auto learned = train("test_tiny_convnet", {"epochs=25", "batch_size=4", "threads=1", "loss=mse", "lr=0.01"},
                       fresh_dir("learn"));
  auto uniform = train("uniform", {"threads=1"}, fresh_dir("uniform"));
  ASSERT_EQ(learned.status, "done") << learned.error;
  ASSERT_EQ(uniform.status, "done") << uniform.error;
  EXPECT_LT(learned.test.mse, uniform.test.mse);
}

TEST_F(Engine, UniformMetricsMatchHandComputedOnes) {
  auto r = train("uniform", {"threads=1"}, fresh_dir("uniform_hand"));
  ASSERT_EQ(r.status, "done") << r.error;
  // By hand: each fine cell = coarse / 16, against the raw test targets.
  auto d = data::load_fufi_data(test::tiny_dataset("shared"));
  const auto& t = d.split("test");
  std::vector<float> pred(t.Y.values.size());
  const std::int64_t n = t.X.shape[0], h = t.X.shape[2], H = t.Y.shape[2];
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t r2 = 0; r2 < H; ++r2)
      for (std::int64_t c = 0; c < H; ++c)
        pred[static_cast<std::size_t>((i * H + r2) * H + c)] = t.X.values[static_cast<std::size_t>((i * h + r2 / 4) * h + c / 4)] / 16.0f;
  data::MetricAccumulator acc;
  acc.add(pred.data(), t.Y.values.data(), pred.size());
  EXPECT_NEAR(r.test.mse, acc.result().mse, 1e-6 * acc.result().mse);
  EXPECT_NEAR(r.test.mape, acc.result().mape, 1e-6 * acc.result().mape);
}

TEST_F(Engine, SameSeedSameMetricsJson) {
  auto a = fresh_dir("det_a"), b = fresh_dir("det_b");
  ASSERT_EQ(train("test_tiny_convnet", kTiny, a).status, "done");
  ASSERT_EQ(train("test_tiny_convnet", kTiny, b).status, "done");
  // Timings and memory differ run to run, and channels_last=auto measures in the first run and reads its
  // cache in the second (memory_format_source measured | cached); the numbers and the format must not differ.
  auto strip = [](std::string s) {
    auto j = nlohmann::json::parse(s);
    j.erase("mean_epoch_seconds");
    j.erase("peak_memory_bytes");
    j.erase("memory_format_source");
    j.erase("memory_format_ms");
    return j.dump();
  };
  EXPECT_EQ(strip(read(a + "/metrics.json")), strip(read(b + "/metrics.json")));
  auto c = fresh_dir("det_c");
  ASSERT_EQ(train("test_tiny_convnet", kTiny, c, -1, 6).status, "done");
  EXPECT_NE(strip(read(a + "/metrics.json")), strip(read(c + "/metrics.json")));
}

TEST_F(Engine, KilledAfterACheckpointResumesToTheSameResult) {
  // PLGF has dropout-free GroupNorm paths but uses the torch RNG at init; the tiny convnet keeps it fast.
  auto whole = fresh_dir("resume_whole"), parts = fresh_dir("resume_parts");
  auto w = train("test_tiny_convnet", kTiny, whole);
  auto first = train("test_tiny_convnet", kTiny, parts, /*stop_after=*/2);
  EXPECT_EQ(first.status, "interrupted");
  EXPECT_FALSE(fs::exists(parts + "/metrics.json"));
  auto second = train("test_tiny_convnet", kTiny, parts);
  ASSERT_EQ(second.status, "done") << second.error;
  EXPECT_EQ(second.test.mse, w.test.mse);
  EXPECT_EQ(second.test.mape, w.test.mape);
  EXPECT_EQ(second.best_epoch, w.best_epoch);
  EXPECT_EQ(read(parts + "/epochs.jsonl").size() > 0, true);
}

TEST_F(Engine, ResumeKeepsDropoutStream) {
  // UrbanFM has dropout in its ext subnet: resuming must restore the torch RNG to match.
  const std::vector<std::string> sets{"epochs=3", "batch_size=8", "threads=1", "loss=mse", "channels=8",
                                      "residual_blocks=1"};
  auto whole = fresh_dir("rng_whole"), parts = fresh_dir("rng_parts");
  auto w = train("urbanfm", sets, whole);
  ASSERT_EQ(w.status, "done") << w.error;
  train("urbanfm", sets, parts, 1);
  auto p = train("urbanfm", sets, parts);
  ASSERT_EQ(p.status, "done") << p.error;
  EXPECT_EQ(p.test.mse, w.test.mse);
}

TEST_F(Engine, ResumeWithAnotherConfigIsRefused) {
  auto dir = fresh_dir("cfg_change");
  train("test_tiny_convnet", kTiny, dir, 1);
  // threads also differs: an execution-only key, so only lr is named.
  auto r = train("test_tiny_convnet", {"epochs=4", "batch_size=4", "threads=2", "loss=mse", "lr=0.1"}, dir);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "bad_config");
  EXPECT_NE(r.error.find("another configuration"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("key 'lr': 0.0003 in the checkpoint, 0.1 now"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("threads"), std::string::npos) << r.error;
}

TEST_F(Engine, ResumeUnderOtherExecutionOnlyKeysContinues) {
  // Interrupted with 1 thread, resumed with 2 threads, another eval batch and grad_overlap=false: the same
  // job. (Other thread counts may round differently, so the result is compared loosely.)
  auto whole = fresh_dir("exec_whole"), parts = fresh_dir("exec_parts");
  auto w = train("test_tiny_convnet", kTiny, whole);
  ASSERT_EQ(w.status, "done") << w.error;
  ASSERT_EQ(train("test_tiny_convnet", kTiny, parts, 2).status, "interrupted");
  auto r = train("test_tiny_convnet",
                 {"epochs=4", "batch_size=4", "threads=2", "loss=mse", "eval_batch_size=3", "grad_overlap=false",
                  "grad_bucket_mb=1"},
                 parts);
  ASSERT_EQ(r.status, "done") << r.error;
  EXPECT_EQ(r.epochs_run, 4);
  EXPECT_NEAR(r.test.mse, w.test.mse, 1e-3 * w.test.mse);
  // The checkpoint now records the configuration that finished the job.
  EXPECT_EQ(read_checkpoint_meta(parts + "/last.ckpt").job_config.get_string("threads"), "2");
}

TEST_F(Engine, DivergenceIsReportedWithEpochAndStep) {
  auto dir = fresh_dir("diverge");
  auto r = train("test_tiny_convnet", {"epochs=3", "batch_size=4", "threads=1", "loss=mse", "lr=1e30"}, dir);
  ASSERT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "diverged");
  EXPECT_NE(r.error.find("epoch"), std::string::npos) << r.error;
  EXPECT_EQ(exit_code_for(r), 1);
  auto metrics = nlohmann::json::parse(read(dir + "/metrics.json"));
  EXPECT_EQ(metrics["status"], "failed");
  EXPECT_EQ(metrics["error_class"], "diverged");
}

TEST_F(Engine, AnExplodingFiniteLossIsDivergedWithEpochAndStep) {
  // A factor below 1 makes every step after the first epoch "explode": the check itself, judged against the
  // lowest epoch mean so far, so the first epoch never trips it.
  auto dir = fresh_dir("explode");
  auto r = train("test_tiny_convnet", {"epochs=3", "batch_size=4", "threads=1", "loss=mse", "diverge_factor=0.000001"},
                 dir);
  ASSERT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "diverged");
  EXPECT_NE(r.error.find("training loss exploded at epoch 1, step 0"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("safe_n2"), std::string::npos) << r.error;
  // The default factor leaves ordinary training alone.
  auto ok = train("test_tiny_convnet", kTiny, fresh_dir("explode_default"));
  EXPECT_EQ(ok.status, "done") << ok.error;
  EXPECT_THROW(resolve_job_settings("test_tiny_convnet", Config::from_assignments({"diverge_factor=-1"}), 1), UsageError);
}

TEST_F(Engine, BadDataAndBadKeysAreClassified) {
  TrainJob job;
  job.model = "test_tiny_convnet";
  job.data_dir = fresh_dir("no_such_data");
  job.run_dir = fresh_dir("bad_data_run");
  RunDirSink sink(job.run_dir);
  auto comm = make_local_communicator();
  auto r = run_training(job, sink, *comm);
  EXPECT_EQ(r.error_class, "bad_data");
  EXPECT_EQ(exit_code_for(r), 2);
  auto r2 = train("test_tiny_convnet", {"epoch=3"}, fresh_dir("bad_key"));
  EXPECT_EQ(r2.error_class, "bad_config");
  EXPECT_NE(r2.error.find("did you mean 'epochs'"), std::string::npos) << r2.error;
  auto r3 = train("test_tiny_convnet", {"loss=dualfoca"}, fresh_dir("bad_loss"));
  EXPECT_EQ(r3.error_class, "bad_config");
}

TEST_F(Engine, TrainsOnRealBikeNYCWithTwoChannelsAndNoExt) {
  const std::string data = std::string(FUFI_SOURCE_DIR) + "/../shared/data/BikeNYC_FUFI_P6";
  if (!fs::exists(data + "/train/X.npy")) GTEST_SKIP() << data << " is absent";
  TrainJob job;
  job.model = "test_tiny_convnet";
  job.data_dir = data;
  job.settings = Config::from_assignments({"epochs=1", "batch_size=128", "eval_batch_size=256", "threads=2", "loss=mse"});
  job.seed = 1;
  job.run_dir = fresh_dir("bikenyc");
  RunDirSink sink(job.run_dir);
  auto comm = make_local_communicator();
  auto r = run_training(job, sink, *comm);
  ASSERT_EQ(r.status, "done") << r.error;
  // A smoke test of the real-data path (C=2, x2, no ext): finite metrics of the right magnitude. One epoch of a
  // two-conv net need not beat the uniform floor yet; it must stay within a small factor of it.
  EXPECT_TRUE(std::isfinite(r.test.mse));
  job.model = "uniform";
  job.settings = Config::from_assignments({"threads=2"});
  job.run_dir = fresh_dir("bikenyc_uniform");
  RunDirSink sink2(job.run_dir);
  auto u = run_training(job, sink2, *comm);
  ASSERT_EQ(u.status, "done") << u.error;
  EXPECT_LT(r.test.mse, 5.0 * u.test.mse) << "learned " << r.test.mse << " uniform " << u.test.mse;
  EXPECT_GT(u.test.mse, 0);
}

// scaling=train_max fits the scalers on the training split: the checkpoint carries them, so inference and the
// de-scaled metrics use them; they cannot be combined with fixed scalers.
TEST_F(Engine, ScalingFittedOnTheTrainingSplit) {
  auto dir = fresh_dir("scaling");
  auto r = train("test_tiny_convnet", {"epochs=1", "batch_size=4", "threads=1", "loss=mse", "scaling=train_max"}, dir);
  ASSERT_EQ(r.status, "done") << r.error;
  const auto meta = read_checkpoint_meta(dir + "/best.ckpt");
  auto train_split = data::load_fufi_data(test::tiny_dataset("shared")).split("train");
  float x_max = 0, y_max = 0;
  for (float v : train_split.X.values) x_max = std::max(x_max, v);
  for (float v : train_split.Y.values) y_max = std::max(y_max, v);
  EXPECT_DOUBLE_EQ(meta.scaler_x, x_max);
  EXPECT_DOUBLE_EQ(meta.scaler_y, y_max);
  EXPECT_GT(r.test.mse, 0);
  auto bad = train("test_tiny_convnet", {"epochs=1", "scaling=train_max", "scaler_x=100"}, fresh_dir("scaling_bad"));
  EXPECT_EQ(bad.error_class, "bad_config");
  EXPECT_NE(bad.error.find("scaling"), std::string::npos) << bad.error;
}

// split=7:1:2 re-splits chronologically; the synthetic generator already splits 7:1:2, so on its data the
// re-split is the release split and the run is the same run.
TEST_F(Engine, ChronologicalSplitOfASevenOneTwoDatasetChangesNothing) {
  const std::vector<std::string> sets{"epochs=1", "batch_size=4", "threads=1", "loss=mse"};
  auto release = train("test_tiny_convnet", sets, fresh_dir("split_release"));
  auto with = sets;
  with.push_back("split=7:1:2");
  auto resplit = train("test_tiny_convnet", with, fresh_dir("split_712"));
  ASSERT_EQ(release.status, "done") << release.error;
  ASSERT_EQ(resplit.status, "done") << resplit.error;
  EXPECT_EQ(release.test.mse, resplit.test.mse);
  auto bad = train("test_tiny_convnet", {"epochs=1", "split=8:1:1"}, fresh_dir("split_bad"));
  EXPECT_EQ(bad.error_class, "bad_config");
}

// Issue #20: one writer per run directory. While another process holds RUN_DIR/.lock the job fails with
// bad_data naming the holder and writes nothing there (no metrics.json, no checkpoint).
TEST_F(Engine, ASecondWriterOfARunDirectoryIsRefusedAndWritesNothing) {
  auto dir = fresh_dir("locked");
  fs::create_directories(dir);
  RunResult r;
  {
    // flock locks belong to open files: a holder in this process conflicts as another process's would.
    FileLock holder(dir + "/.lock");
    ASSERT_TRUE(holder.held());
    r = train("test_tiny_convnet", kTiny, dir);
  }
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "bad_data");
  EXPECT_NE(r.error.find("another fufi process is writing this run directory (pid " + std::to_string(::getpid()) + " on "),
            std::string::npos)
      << r.error;
  EXPECT_FALSE(fs::exists(dir + "/metrics.json"));
  EXPECT_FALSE(fs::exists(dir + "/last.ckpt"));
  EXPECT_FALSE(fs::exists(dir + "/epochs.jsonl"));
  // The holder is gone: the same directory trains.
  EXPECT_EQ(train("test_tiny_convnet", kTiny, dir).status, "done");
}

// Issue #20: a resume never trusts an unreadable checkpoint (a 0-byte file left by a full disk before the
// atomic writer, or damaged since): it warns and trains from the start, to the uninterrupted result.
TEST_F(Engine, AnUnreadableLastCheckpointIsNotResumedFrom) {
  auto whole = fresh_dir("unreadable_whole"), dir = fresh_dir("unreadable");
  auto w = train("test_tiny_convnet", kTiny, whole);
  ASSERT_EQ(w.status, "done") << w.error;
  ASSERT_EQ(train("test_tiny_convnet", kTiny, dir, /*stop_after=*/2).status, "interrupted");
  std::ofstream(dir + "/last.ckpt", std::ios::trunc).close();  // 0 bytes under the real name
  testing::internal::CaptureStderr();
  auto r = train("test_tiny_convnet", kTiny, dir);
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_EQ(r.status, "done") << r.error;
  EXPECT_NE(err.find(dir + "/last.ckpt: not a readable checkpoint"), std::string::npos) << err;
  EXPECT_NE(err.find("not resuming from it"), std::string::npos) << err;
  EXPECT_EQ(r.test.mse, w.test.mse);
  std::size_t lines = 0;
  for (char ch : read(dir + "/epochs.jsonl")) lines += ch == '\n';
  EXPECT_EQ(lines, 4u);  // epochs 0..3 once each: the interrupted run's records were dropped
}

// Issue #20: a full disk (here a file-size limit, RLIMIT_FSIZE, in a child process) fails the job with class
// io naming the file and the OS error; no checkpoint is left 0-byte or torn under its real name and no
// temporary file is left behind.
TEST_F(Engine, AFullDiskFailsTheJobAsIoAndLeavesNoTornFile) {
  // The death test's child re-runs this test in a new process (another pid, so another fresh_dir): it
  // takes the parent's directory from the environment.
  const char* inherited = std::getenv("FUFI_TEST_FULL_DISK_DIR");
  const std::string dir = inherited ? std::string(inherited) : fresh_dir("full_disk");
  if (!inherited) {
    fs::create_directories(dir);
    ::setenv("FUFI_TEST_FULL_DISK_DIR", dir.c_str(), 1);
  }
  test::tiny_dataset("shared");  // generated before the limit
  // A death test in a fresh process (threadsafe style re-executes this binary): torch's and BLAS's thread
  // pools do not survive a plain fork.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto train_on_a_full_disk = [&] {
    std::signal(SIGXFSZ, SIG_IGN);  // as the fufi executable does: the write fails with EFBIG
    struct rlimit limit {};
    limit.rlim_cur = limit.rlim_max = 2048;  // epochs.jsonl and metrics.json fit, a checkpoint does not
    ::setrlimit(RLIMIT_FSIZE, &limit);
    auto r = train("test_tiny_convnet", kTiny, dir);
    const bool ok = r.status == "failed" && r.error_class == "io" &&
                    r.error.find("File too large") != std::string::npos && r.error.find(dir + "/") != std::string::npos;
    std::fprintf(stderr, "child: %s %s: %s\n", r.status.c_str(), r.error_class.c_str(), r.error.c_str());
    std::exit(ok ? 0 : 1);
  };
  EXPECT_EXIT(train_on_a_full_disk(), ::testing::ExitedWithCode(0), "child: failed io: .*File too large");
  ::unsetenv("FUFI_TEST_FULL_DISK_DIR");
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".ckpt") ADD_FAILURE() << "a checkpoint was left: " << name;
  }
  const std::string metrics = read(dir + "/metrics.json");
  EXPECT_NE(metrics.find("\"error_class\": \"io\""), std::string::npos) << metrics;
}

}  // namespace fufi_test_engine
