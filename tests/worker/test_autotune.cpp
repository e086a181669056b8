// channels_last=auto (worker/autotune.h): the choice is measured once and then read from the cache, the model's
// state is untouched by the trial passes, and the job reports what it chose. Which format wins is never
// asserted: that is the machine's answer, measured in benchmarks.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine_test_util.h"
#include "fufi/model/losses.h"
#include "fufi/worker/autotune.h"
#include "fufi/worker/device.h"
#include "fufi/worker/engine.h"

namespace fufi_test_autotune {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
namespace fs = std::filesystem;

namespace {

model::DataSpec spec() {
  model::DataSpec s;
  s.coarse_h = s.coarse_w = 4;
  s.upscale = 2;
  return s;
}

class Autotune : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = test::process_temp_dir("autotune_cache") / "autotune.json";
    fs::remove_all(cache_.parent_path());
    setenv("FUFI_AUTOTUNE_CACHE", cache_.c_str(), 1);
  }
  fs::path cache_;
};

}  // namespace

TEST_F(Autotune, MeasuresOnceThenReadsTheCacheAndLeavesTheModelAsItWas) {
  torch::manual_seed(2);
  test::TinyConvNet net(spec());
  auto loss = model::make_loss("mse", Config{}, 1.0);
  auto fine = torch::poisson(torch::rand({3, 1, 8, 8}) * 4.0);
  auto x = model::block_sum(fine, 2);
  std::vector<torch::Tensor> before;
  for (auto& p : net.parameters()) before.push_back(p.detach().clone());
  torch::manual_seed(7);
  const auto rng_before = torch::rand({4});
  torch::manual_seed(7);  // replay: the draw after the choice must be the same as without it
  const auto key = worker::memory_format_key("test_tiny_convnet", "", x, false, "mse", false, torch::kCPU);
  const auto first = worker::choose_memory_format(net, loss, x, fine, {}, false, key);
  EXPECT_EQ(first.source, "measured");
  EXPECT_GT(first.contiguous_ms, 0);
  EXPECT_GT(first.channels_last_ms, 0);
  EXPECT_TRUE(torch::equal(torch::rand({4}), rng_before)) << "the trial passes consumed random numbers";
  auto params = net.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(torch::equal(params[i], before[i])) << "parameter " << i;
    EXPECT_FALSE(params[i].grad().defined()) << "parameter " << i << " kept a trial gradient";
    // Left in the chosen format (a 1x1 kernel is both at once, so test the chosen one only).
    if (params[i].dim() == 4)
      EXPECT_TRUE(first.channels_last ? params[i].is_contiguous(torch::MemoryFormat::ChannelsLast)
                                      : params[i].is_contiguous())
          << "parameter " << i;
  }
  ASSERT_TRUE(fs::exists(cache_));
  auto j = nlohmann::json::parse(std::ifstream(cache_));
  ASSERT_TRUE(j.contains(key));
  EXPECT_EQ(j[key]["channels_last"].get<bool>(), first.channels_last);

  const auto second = worker::choose_memory_format(net, loss, x, fine, {}, false, key);
  EXPECT_EQ(second.source, "cached");
  EXPECT_EQ(second.channels_last, first.channels_last);
  // Another shape is another measurement.
  const auto other = worker::memory_format_key("test_tiny_convnet", "", x.slice(0, 0, 2), false, "mse", false,
                                               torch::kCPU);
  EXPECT_NE(other, key);
  // A damaged cache is a miss, not an error.
  std::ofstream(cache_) << "{ not json";
  EXPECT_EQ(worker::choose_memory_format(net, loss, x, fine, {}, false, key).source, "measured");
}

// fufi infer's choice (choose_inference_memory_format): forward-only, its own cache entry beside training's, the
// model left in the chosen format, and the two formats' outputs equal up to float rounding.
TEST_F(Autotune, InferenceMeasuresForwardsOnceUnderItsOwnKey) {
  torch::manual_seed(2);
  test::TinyConvNet net(spec());
  net.eval();
  auto x = model::block_sum(torch::poisson(torch::rand({3, 1, 8, 8}) * 4.0), 2);
  torch::Tensor nchw_out;
  {
    c10::InferenceMode guard;
    nchw_out = net.forward({x, {}}).fine.clone();
  }
  std::vector<torch::Tensor> before;
  for (auto& p : net.parameters()) before.push_back(p.detach().clone());
  const auto key = worker::memory_format_key("test_tiny_convnet", "", x, false, "inference", false, torch::kCPU);
  const auto first = worker::choose_inference_memory_format(net, x, {}, key);
  EXPECT_EQ(first.source, "measured");
  EXPECT_GT(first.contiguous_ms, 0);
  EXPECT_GT(first.channels_last_ms, 0);
  auto params = net.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(torch::equal(params[i], before[i])) << "parameter " << i;
    if (params[i].dim() == 4)
      EXPECT_TRUE(first.channels_last ? params[i].is_contiguous(torch::MemoryFormat::ChannelsLast)
                                      : params[i].is_contiguous())
          << "parameter " << i;
  }
  auto j = nlohmann::json::parse(std::ifstream(cache_));
  ASSERT_TRUE(j.contains("inference|" + key)) << j.dump();
  EXPECT_FALSE(j.contains(key)) << "training's entry is another measurement";
  const auto second = worker::choose_inference_memory_format(net, x, {}, key);
  EXPECT_EQ(second.source, "cached");
  EXPECT_EQ(second.channels_last, first.channels_last);
  {
    c10::InferenceMode guard;
    worker::to_channels_last(net);
    const auto nhwc_out = net.forward({x.contiguous(torch::MemoryFormat::ChannelsLast), {}}).fine;
    EXPECT_TRUE(torch::allclose(nhwc_out, nchw_out, 1e-5, 1e-5)) << "the formats differ beyond rounding";
  }
}

TEST_F(Autotune, AJobReportsItsMemoryFormatAndHowItWasChosen) {
  test::register_tiny_convnet();
  auto run = [&](const std::string& name, std::vector<std::string> sets) {
    worker::TrainJob job;
    job.model = "test_tiny_convnet";
    job.data_dir = test::tiny_dataset("autotune");
    job.settings = Config::from_assignments(sets);
    job.run_dir = (test::process_temp_dir("autotune_run") / name).string();
    fs::remove_all(job.run_dir);
    worker::RunDirSink sink(job.run_dir);
    auto comm = worker::make_local_communicator();
    auto r = worker::run_training(job, sink, *comm);
    EXPECT_EQ(r.status, "done") << r.error;
    return nlohmann::json::parse(std::ifstream(job.run_dir + "/metrics.json"));
  };
  const std::vector<std::string> base{"epochs=1", "batch_size=4", "threads=1", "loss=mse"};
  auto with = [&](std::string extra) {
    auto s = base;
    s.push_back(extra);
    return s;
  };
  auto a = run("auto1", base);
  EXPECT_EQ(a["memory_format_source"], "measured");
  auto b = run("auto2", base);
  EXPECT_EQ(b["memory_format_source"], "cached");
  EXPECT_EQ(b["memory_format"], a["memory_format"]);
  EXPECT_EQ(a["test"]["mse"], b["test"]["mse"]);  // the same kernels: the same numbers
  auto set = run("set", with("channels_last=false"));
  EXPECT_EQ(set["memory_format"], "contiguous");
  EXPECT_EQ(set["memory_format_source"], "set");
}

}  // namespace fufi_test_autotune
