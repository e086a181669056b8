// `fufi train` as a library call (train_one.cpp): the epoch count it prints comes from the resolved
// settings (recipes included), the run directory is written, failures map to exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "fufi/core/status.h"
#include "fufi/data/synth.h"
#include "fufi/orchestrator/train_one.h"
#include "scratch_dir.h"

namespace fufi_test_train_one {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

TEST(TrainOne, PlannedEpochsFollowTheRecipe) {
  // UNO's published recipe trains 60 epochs; `fufi train` once printed "epoch 1/100" for it.
  EXPECT_EQ(planned_epochs("uno", Config::from_assignments({"recipe=reference"}), 1), 60);
  EXPECT_EQ(planned_epochs("uno", Config::from_assignments({"recipe=reference", "epochs=7"}), 1), 7);
  EXPECT_EQ(planned_epochs("srcnn", Config(), 1), 100);  // the engine's default (the paper's)
  EXPECT_EQ(planned_epochs("urbnfm", Config(), 1), 0);   // does not resolve: the engine will say why
}

TEST(TrainOne, TrainsPrintsEveryEpochOfTheResolvedCountAndWritesTheRunDirectory) {
  test::ScratchDir dir("train_one");
  data::SynthOptions synth;
  synth.tasks = {"P1"};
  synth.coarse_size = 8;
  synth.upscale = 4;
  synth.samples_per_task = 20;
  data::write_synth_dataset(dir / "data", synth);
  TrainOneOptions o;
  o.model = "srcnn";
  o.data = dir / "data";
  o.task = "P1";
  o.out = dir / "run";
  o.sets = {"channels=8", "epochs=2", "batch_size=4", "threads=1"};
  std::ostringstream out, err;
  EXPECT_EQ(train_one(o, out, err), kExitOk) << err.str();
  EXPECT_NE(err.str().find("epoch   0 of 0..1  loss"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("epoch   1 of 0..1  loss"), std::string::npos) << err.str();
  EXPECT_NE(out.str().find("srcnn: test mse"), std::string::npos) << out.str();
  EXPECT_TRUE(std::filesystem::exists(dir / "run/metrics.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/best.ckpt"));

  o.quiet = true;
  o.sets.push_back("lr=fast");
  std::ostringstream out2, err2;
  EXPECT_EQ(train_one(o, out2, err2), kExitUsage);
  EXPECT_NE(err2.str().find("fufi: error: bad_config: "), std::string::npos) << err2.str();
  EXPECT_EQ(err2.str().find("epoch "), std::string::npos) << err2.str();
}

}  // namespace fufi_test_train_one
