// A "torchscript:" model through the unchanged engine: it trains (the loss goes down, with MSE and DualFocal),
// resumes to the same result, refuses to resume or load after its file changed, and its bad modules fail as
// bad_config jobs (exit 2). Modules are built in C++ (tests/model/torchscript_test_util.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../model/torchscript_test_util.h"
#include "engine_test_util.h"
#include "fufi/core/error.h"
#include "fufi/worker/checkpoint.h"
#include "fufi/worker/engine.h"

namespace fufi_test_torchscript_training {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  auto d = test::process_temp_dir("ts_run_" + name);
  fs::remove_all(d);
  return d.string();
}

std::string module_file(const std::string& name, const test::TinyScriptOptions& o = {}) {
  return test::save_module(test::tiny_script_module(o), test::process_temp_dir("ts_modules") / (name + ".pt"));
}

RunResult train(const std::string& model, const std::vector<std::string>& sets, const std::string& run_dir,
                std::int64_t stop_after = -1) {
  TrainJob job;
  job.model = model;
  job.data_dir = test::tiny_dataset("torchscript");
  job.settings = Config::from_assignments(sets);
  job.seed = 5;
  job.run_dir = run_dir;
  job.stop_after_epochs = stop_after;
  RunDirSink sink(run_dir);
  auto comm = make_local_communicator();
  return run_training(job, sink, *comm);
}

std::vector<double> train_losses(const std::string& run_dir) {
  std::vector<double> out;
  std::ifstream in(run_dir + "/epochs.jsonl");
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line).at("train_loss").get<double>());
  return out;
}

const std::vector<std::string> kSets{"epochs=4", "batch_size=4", "threads=1", "loss=mse", "lr=0.003", "patience=0"};

}  // namespace

TEST(TorchScriptTraining, LossGoesDownAndTheCountIsTheModules) {
  const auto path = module_file("trains");
  const auto dir = fresh_dir("trains");
  auto r = train("torchscript:" + path, kSets, dir);
  ASSERT_EQ(r.status, "done") << r.error;
  EXPECT_EQ(r.parameters, 1280);  // w1 72 + b1 8 + we 32 + head.weight 1152 + head.bias 16
  const auto losses = train_losses(dir);
  ASSERT_EQ(losses.size(), 4u);
  EXPECT_LT(losses.back(), losses.front());
  EXPECT_TRUE(std::isfinite(r.test.mse));
  // The checkpoint records the file's identity: its path and SHA-256.
  const auto meta = read_checkpoint_meta(dir + "/best.ckpt");
  EXPECT_EQ(meta.model, "torchscript:" + path);
  EXPECT_EQ(meta.job_config.get_string("model"), model::ModelRegistry::instance().identity("torchscript:" + path));
}

TEST(TorchScriptTraining, TrainsWithDualFocal) {
  const auto path = module_file("dualfocal");
  const auto dir = fresh_dir("dualfocal");
  auto sets = kSets;
  sets[3] = "loss=dualfocal";
  auto r = train("torchscript:" + path, sets, dir);
  ASSERT_EQ(r.status, "done") << r.error;
  const auto losses = train_losses(dir);
  EXPECT_LT(losses.back(), losses.front());
}

TEST(TorchScriptTraining, KilledAfterAnEpochResumesToTheSameResult) {
  const auto path = module_file("resume");
  const auto whole = fresh_dir("resume_whole"), parts = fresh_dir("resume_parts");
  auto w = train("torchscript:" + path, kSets, whole);
  ASSERT_EQ(w.status, "done") << w.error;
  auto first = train("torchscript:" + path, kSets, parts, /*stop_after=*/1);
  EXPECT_EQ(first.status, "interrupted");
  auto second = train("torchscript:" + path, kSets, parts);
  ASSERT_EQ(second.status, "done") << second.error;
  EXPECT_EQ(second.test.mse, w.test.mse);
  EXPECT_EQ(second.test.mae, w.test.mae);
  EXPECT_EQ(second.best_epoch, w.best_epoch);
  EXPECT_EQ(train_losses(parts), train_losses(whole));
}

TEST(TorchScriptTraining, AChangedFileIsAnotherJob) {
  const auto path = module_file("changed");
  const auto dir = fresh_dir("changed");
  ASSERT_EQ(train("torchscript:" + path, kSets, dir, 1).status, "interrupted");
  test::TinyScriptOptions other;
  other.seed = 123;
  module_file("changed", other);
  // The interrupted run's checkpoint is not continued with other weights or code...
  auto r = train("torchscript:" + path, kSets, dir);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "bad_config");
  EXPECT_NE(r.error.find("key 'model'"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("@sha256:"), std::string::npos) << r.error;
  // ...and the checkpoint does not load into the changed file's module.
  try {
    load_model_from_checkpoint(dir + "/last.ckpt");
    FAIL() << "loaded a checkpoint into a changed module";
  } catch (const InputError& e) {
    EXPECT_NE(e.message().find(path + ": the file changed"), std::string::npos) << e.message();
  }
}

TEST(TorchScriptTraining, BadModulesAreBadConfigJobs) {
  const auto path = test::save_module(
      test::script_module_with("EngineNegative",
                               "def forward(self, x, ext):\n    return torch.ones([x.size(0), 1, 32, 32]) * self.w - 5.0\n"),
      test::process_temp_dir("ts_modules") / "negative.pt");
  auto r = train("torchscript:" + path, kSets, fresh_dir("negative"));
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "bad_config");
  EXPECT_EQ(exit_code_for(r), 2);
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;

  auto missing = train("torchscript:" + path + ".absent", kSets, fresh_dir("missing"));
  EXPECT_EQ(missing.status, "failed");
  EXPECT_EQ(exit_code_for(missing), 2);
  EXPECT_NE(missing.error.find(".absent: the TorchScript file does not exist"), std::string::npos) << missing.error;
}

}  // namespace fufi_test_torchscript_training
