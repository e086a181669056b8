// Training settings (train_config.cpp): the precedence engine defaults < the model's defaults < its recipe < the
// user's keys, the learning-rate schedules, channels_last, the execution-only keys that leave a job's identity.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/worker/train_config.h"

namespace fufi_test_train_config {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;

class TrainConfigKeys : public ::testing::Test {
 protected:
  void SetUp() override { fufi::test::register_tiny_convnet(); }
};

TEST_F(TrainConfigKeys, ExecutionOnlyKeysAreEngineKeysAndLeaveTheIdentity) {
  for (const auto& key : execution_only_keys()) {
    bool known = false;
    for (const auto& spec : train_param_specs()) known = known || spec.key == key;
    EXPECT_TRUE(known) << key;
  }
  const auto a = resolve_job_settings("test_tiny_convnet", Config::from_assignments({"threads=1", "grad_overlap=true"}), 1);
  const auto b = resolve_job_settings("test_tiny_convnet", Config::from_assignments({"threads=3", "grad_overlap=false"}), 1);
  const auto c = resolve_job_settings("test_tiny_convnet", Config::from_assignments({"threads=1", "bf16=false", "lr=0.1"}), 1);
  EXPECT_NE(a.resolved.canonical(), b.resolved.canonical());
  EXPECT_EQ(checkpoint_identity(a.resolved).canonical(), checkpoint_identity(b.resolved).canonical());
  EXPECT_NE(checkpoint_identity(a.resolved).canonical(), checkpoint_identity(c.resolved).canonical());
  EXPECT_FALSE(is_execution_only_key("batch_size"));
  EXPECT_FALSE(is_execution_only_key("bf16"));
  EXPECT_FALSE(is_execution_only_key("channels_last"));
  EXPECT_THROW(resolve_job_settings("test_tiny_convnet", Config::from_assignments({"grad_bucket_mb=0"}), 1), UsageError);
}

TEST_F(TrainConfigKeys, LearningRateSchedules) {
  TrainConfig c;
  c.lr = 1.0;
  c.lr_halve_every = 8;
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 0), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 7), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 8), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 17), 0.25);
  c.lr_halve_every = 0;
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 50), 1.0);
  c.lr_schedule = "uno";
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 0), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 20), 0.25);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 45), 0.125);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 51), 0.125 * 0.8 * 0.8);
}

TEST_F(TrainConfigKeys, RecipeSitsBetweenDefaultsAndUserKeys) {
  auto s = resolve_job_settings("plgf", Config::from_assignments({"recipe=plgf", "epochs=7"}), 1);
  EXPECT_EQ(s.train.epochs, 7);
  EXPECT_EQ(s.train.batch_size, 20);
  EXPECT_EQ(s.resolved.get_string("model"), "plgf");
  EXPECT_THROW(resolve_job_settings("plgf", Config::from_assignments({"recipe=nope"}), 1), fufi::UsageError);
}

// channels_last: auto (the default, measured per job), a boolean, or a clear usage error naming the key.
TEST_F(TrainConfigKeys, ChannelsLastIsAutoOrABoolean) {
  auto resolve = [](std::vector<std::string> sets) {
    return resolve_job_settings("srcnn", Config::from_assignments(sets), 1).train;
  };
  EXPECT_TRUE(resolve({}).channels_last_auto);
  EXPECT_TRUE(resolve({"channels_last=auto"}).channels_last_auto);
  const auto off = resolve({"channels_last=false"});
  EXPECT_FALSE(off.channels_last_auto);
  EXPECT_FALSE(off.channels_last);
  fufi::test::expect_error<fufi::UsageError>([&] { resolve({"channels_last=maybe"}); },
                                             {"channels_last", "'maybe'"});
}

// A model's own defaults for engine keys (its recipe "defaults", e.g. PLGF's scaling=train_max) sit under the
// named recipe and the user's keys; fixed scalers set above them mean fixed scaling; other models keep the
// engine's defaults.
TEST_F(TrainConfigKeys, ModelDefaultsSitUnderRecipeAndUserKeys) {
  auto resolve = [](const std::string& model, std::vector<std::string> sets) {
    return resolve_job_settings(model, Config::from_assignments(sets), 1).train;
  };
  EXPECT_EQ(resolve("plgf", {}).scaling, "train_max");
  EXPECT_EQ(resolve("plgf", {"recipe=plgf"}).scaling, "train_max");
  EXPECT_EQ(resolve("plgf", {"scaling=fixed"}).scaling, "fixed");
  const auto fixed = resolve("plgf", {"scaler_x=50"});
  EXPECT_EQ(fixed.scaling, "fixed");
  EXPECT_DOUBLE_EQ(fixed.scaler_x, 50);
  EXPECT_EQ(resolve("urbanfm", {}).scaling, "fixed");
  EXPECT_EQ(resolve_job_settings("plgf", Config{}, 1).resolved.get_string("scaling"), "train_max");
}

}  // namespace fufi_test_train_config
