#pragma once
// Shared by the engine tests: a tiny synthetic dataset on disk and a tiny deterministic test model.
#include <torch/torch.h>

#include <unistd.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fufi/core/config.h"
#include "fufi/data/synth.h"
#include "fufi/model/layers.h"
#include "fufi/model/registry.h"
#include "fufi/worker/communicator.h"
#include "fufi/worker/engine.h"
#include "fufi/worker/records.h"

namespace fufi::test {

// A scratch directory under the system temp dir, private to this process: test binaries of several
// build trees (or a CI clone beside a developer's tree) may run at the same time on one machine.
// Not for MPI tests whose ranks must share a directory (their pids differ).
inline std::filesystem::path process_temp_dir(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("fufi_test_" + name + "_" + std::to_string(::getpid()));
}

// P1 of the synthetic generator at 8x8 -> 32x32, 40 samples (28/4/8): trains in well under a second.
inline std::string tiny_dataset(const std::string& name) {
  namespace fs = std::filesystem;
  const auto dir = process_temp_dir("engine_" + name);
  if (!fs::exists(dir / "P1" / "test" / "Y.npy")) {
    data::SynthOptions o;
    o.tasks = {"P1"};
    o.coarse_size = 8;
    o.upscale = 4;
    o.samples_per_task = 40;
    o.seed = 11;
    data::write_synth_dataset(dir.string(), o);
  }
  return (dir / "P1").string();
}

// conv3 -> ReLU -> conv3 -> PixelShuffle -> ReLU -> N2 -> recover: no BatchNorm, no dropout, so data-parallel
// training must match single-rank training exactly (up to float summation order). Variants for the gradient
// reduction: `unused_branch` adds a convolution forward never calls (as models with optional branches
// have: its parameters get no gradient); `shared_conv` applies one 8->8 convolution twice (its weight gets two
// gradient contributions per step).
class TinyConvNet : public model::FufiModel {
 public:
  explicit TinyConvNet(const model::DataSpec& spec, bool unused_branch = false, bool shared_conv = false)
      : spec_(spec) {
    c1_ = register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(spec.flow_channels, 8, 3).padding(1)));
    if (shared_conv) mid_ = register_module("mid", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 8, 3).padding(1)));
    c2_ = register_module("c2", torch::nn::Conv2d(
                                    torch::nn::Conv2dOptions(8, spec.flow_channels * spec.upscale * spec.upscale, 3).padding(1)));
    if (unused_branch) register_module("unused", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 8, 3).padding(1)));
  }
  model::ModelOutput forward(const model::ModelInput& in) override {
    auto h = torch::relu(c1_->forward(in.coarse));
    if (mid_) h = torch::relu(mid_->forward(torch::relu(mid_->forward(h))));
    auto raw = torch::relu(torch::pixel_shuffle(c2_->forward(h), spec_.upscale)) + 1e-3;
    auto density = model::n2_normalize(raw, spec_.upscale, 1e-7);
    return {model::recover_from_density(density, in.coarse, spec_.upscale, spec_.scaler_ratio), {}, {}};
  }

 private:
  model::DataSpec spec_;
  torch::nn::Conv2d c1_{nullptr}, mid_{nullptr}, c2_{nullptr};
};

// test_tiny_convnet, and its variants test_tiny_convnet_unused and test_tiny_convnet_shared.
inline void register_tiny_convnet() {
  // channels_last=auto caches its choice per machine: a cache private to this test process keeps concurrently
  // running test binaries from deciding for each other (a test compares two runs of one configuration).
  setenv("FUFI_AUTOTUNE_CACHE", (process_temp_dir("autotune") / "autotune.json").c_str(), 0);
  auto& r = model::ModelRegistry::instance();
  if (r.contains("test_tiny_convnet")) return;
  auto add = [&](const std::string& name, bool unused, bool shared) {
    model::ModelInfo info;
    info.name = name;
    info.description = "test-only: two convs, no BatchNorm or dropout";
    info.create = [unused, shared](const model::DataSpec& spec, const Config&) {
      return std::make_shared<TinyConvNet>(spec, unused, shared);
    };
    r.add(std::move(info));
  };
  add("test_tiny_convnet", false, false);
  add("test_tiny_convnet_unused", true, false);
  add("test_tiny_convnet_shared", false, true);
}

// --- engine runs on the tiny dataset (test_engine.cpp, test_train_config.cpp, test_inference.cpp, ...) -------

// An empty run directory under the process's temp dir (its path; the engine creates it).
inline std::string fresh_dir(const std::string& name) {
  auto d = process_temp_dir("run_" + name);
  std::filesystem::remove_all(d);
  return d.string();
}

// A whole text file ("" when it cannot be read).
inline std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One local training run of `model` on the tiny dataset with `sets`, into `run_dir`.
inline worker::RunResult train(const std::string& model, const std::vector<std::string>& sets,
                               const std::string& run_dir, std::int64_t stop_after = -1, std::uint64_t seed = 5) {
  worker::TrainJob job;
  job.model = model;
  job.data_dir = tiny_dataset("shared");
  job.settings = Config::from_assignments(sets);
  job.seed = seed;
  job.run_dir = run_dir;
  job.stop_after_epochs = stop_after;
  worker::RunDirSink sink(run_dir);
  auto comm = worker::make_local_communicator();
  return worker::run_training(job, sink, *comm);
}

// A short, deterministic MSE run: 4 epochs of batches of 4 on one thread.
inline const std::vector<std::string> kTiny{"epochs=4", "batch_size=4", "threads=1", "loss=mse"};

// A copy of the tiny dataset under `name` whose files the test then edits.
inline std::string copy_of_tiny_dataset(const std::string& name) {
  const auto dir = process_temp_dir("data_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::copy(tiny_dataset("shared"), dir, std::filesystem::copy_options::recursive);
  return dir.string();
}

// One local run on the dataset at `data`; `warnings` (if given) receives the engine's warnings.
inline worker::RunResult train_on(const std::string& data, const std::string& model,
                                  const std::vector<std::string>& sets, const std::string& run_dir,
                                  bool strict = false, std::vector<std::string>* warnings = nullptr) {
  worker::TrainJob job;
  job.model = model;
  job.data_dir = data;
  job.settings = Config::from_assignments(sets);
  job.seed = 5;
  job.run_dir = run_dir;
  job.strict_data = strict;
  worker::RunDirSink sink(run_dir);
  auto comm = worker::make_local_communicator();
  worker::EngineCallbacks callbacks;
  if (warnings) callbacks.on_warning = [warnings](const std::string& w) { warnings->push_back(w); };
  return worker::run_training(job, sink, *comm, callbacks);
}

}  // namespace fufi::test
