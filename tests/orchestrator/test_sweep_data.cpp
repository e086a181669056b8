// The data a sweep trains on (sweep_data.cpp): identities, cache names, sample counts, generation once.
#include <gtest/gtest.h>

#include "fufi/data/synth.h"

#include <filesystem>
#include <fstream>

#include "expect_error.h"
#include "fufi/core/data_identity.h"
#include "fufi/core/error.h"
#include "fufi/data/npy.h"
#include "fufi/orchestrator/sweep.h"
#include "scratch_dir.h"

namespace fufi_test_sweep_data {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace fufi;
using namespace fufi::orchestrator;

namespace {

SweepData synthetic() {
  SweepData d;
  d.synthetic = true;
  d.synth.preset = "small";
  d.synth.seed = 2026;
  d.synth.coarse_size = 8;
  d.synth.upscale = 4;
  d.synth.samples_per_task = 20;
  return d;
}

}  // namespace

TEST(SweepData, IdentitiesAndCacheNames) {
  const SweepData d = synthetic();
  const auto g = std::to_string(data::kSynthGeneratorVersion);  // a new generator is new data: new ids
  EXPECT_EQ(d.identity(), "synthetic:preset=small,seed=2026,coarse_size=8,upscale=4,samples_per_task=20,generator=" + g);
  EXPECT_EQ(d.cache_name(), "synthetic-small-seed2026-8x4-n20-g" + g);
  const auto parsed = DataIdentity::parse(d.identity());  // the report reads it back through the same definition
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->coarse_size, 8);
  SweepData root;
  root.root = "/data/TaxiBJ";
  EXPECT_EQ(root.identity(), "root:/data/TaxiBJ");
}

TEST(SweepData, TrainingSamplesFromTheSplitOrTheNpyHeader) {
  SweepData d = synthetic();
  EXPECT_EQ(train_samples(d, "P1"), 14);  // 70 % of 20
  d.synth.samples_per_task = 0;           // the paper's sizes
  EXPECT_GT(train_samples(d, "P1"), 1000);
  test::ScratchDir dir("sweep_data_root");
  SweepData root;
  root.root = dir.path();
  EXPECT_EQ(train_samples(root, "P1"), 1);  // not there yet: 1, the engine names the file later
  fs::create_directories(dir / "P1/train");
  const std::vector<float> x(37 * 2 * 2, 1.0f);
  data::write_npy(dir / "P1/train/X.npy", {37, 2, 2}, x.data());
  EXPECT_EQ(train_samples(root, "P1"), 37);
}

TEST(SweepData, SyntheticTasksAreGeneratedOnceAndRootsMustHaveTheirTasks) {
  test::ScratchDir dir("sweep_data_gen");
  const SweepData d = synthetic();
  const std::string cache = dir / "cache";
  EXPECT_EQ(ensure_synthetic_task(cache, d.synth, "P1"), cache);
  EXPECT_TRUE(fs::exists(fs::path(cache) / "P1/train/X.npy"));
  EXPECT_TRUE(fs::exists(fs::path(cache) / "P1/fufi_synth.json"));
  const auto written = fs::last_write_time(fs::path(cache) / "P1/train/X.npy");
  ensure_synthetic_task(cache, d.synth, "P1");  // there already: untouched
  EXPECT_EQ(fs::last_write_time(fs::path(cache) / "P1/train/X.npy"), written);
  for (const auto& e : fs::directory_iterator(cache)) EXPECT_EQ(e.path().filename(), "P1");  // no temporary left

  Sweep sweep;
  sweep.data.root = dir / "root";
  SweepConfiguration configuration;
  configuration.task = "P2";
  SweepJob job;
  job.configuration = std::make_shared<const SweepConfiguration>(configuration);
  sweep.jobs.push_back(job);
  test::expect_error<InputError>([&] { prepare_data(sweep, cache); }, {sweep.data.root, "does not exist"});
  sweep.data = d;
  EXPECT_EQ(prepare_data(sweep, dir / "c2"), (fs::path(dir / "c2") / d.cache_name()).string());
  EXPECT_TRUE(fs::is_directory(fs::path(dir / "c2") / d.cache_name() / "P2"));
}

}  // namespace fufi_test_sweep_data
