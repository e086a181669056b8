// Before training (engine_setup.cpp): the data checks that need the model: hours outside the hour-specific
// heads are bad data naming the file and sample, ext in raw units warns (and --strict refuses).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/data/npy.h"
#include "fufi/worker/engine.h"

namespace fufi_test_engine_setup {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;
using namespace fufi::test;
namespace fs = std::filesystem;

class EngineSetup : public ::testing::Test {
 protected:
  void SetUp() override { fufi::test::register_tiny_convnet(); }
};

TEST_F(EngineSetup, AnHourOutsideTheTrainingHoursIsBadDataBeforeTraining) {
  // Training hours 8..20; test sample 2 at hour 7: CUFAR has no head for it.
  const auto data = copy_of_tiny_dataset("hours");
  for (const char* split : {"train", "valid", "test"}) {
    auto ext = data::read_npy(data + "/" + split + "/ext.npy");
    for (std::int64_t i = 0; i < ext.shape[0]; ++i) {
      auto& hour = ext.values[static_cast<std::size_t>(i * 7 + 5)];
      hour = static_cast<float>(8 + i % 13);
      if (i == 0 && std::string(split) == "train") hour = 20;
    }
    if (std::string(split) == "test") ext.values[2 * 7 + 5] = 7;
    data::write_npy(data + "/" + split + "/ext.npy", ext);
  }
  const auto dir = fresh_dir("hours_run");
  auto r = train_on(data, "cufar", {"channels=4", "sub_region=2", "epochs=2", "batch_size=8", "threads=1", "loss=mse"},
                    dir);
  ASSERT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "bad_data");
  EXPECT_EQ(exit_code_for(r), 2);
  EXPECT_NE(r.error.find(data + "/test/ext.npy: sample 2 has hour 7, outside the training split's hours 8..20"),
            std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("cufar"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(dir + "/epochs.jsonl") && !read(dir + "/epochs.jsonl").empty()) << "it trained first";
  // Models without hour heads train on the same data.
  auto srcnn = train_on(data, "test_tiny_convnet", kTiny, fresh_dir("hours_tiny"));
  EXPECT_EQ(srcnn.status, "done") << srcnn.error;
}

TEST_F(EngineSetup, ExtInRawUnitsWarnsAndStrictRefuses) {
  const auto data = copy_of_tiny_dataset("raw_ext");
  auto ext = data::read_npy(data + "/valid/ext.npy");
  for (std::int64_t i = 0; i < ext.shape[0]; ++i) ext.values[static_cast<std::size_t>(i * 7 + 0)] = 21.5f;  // °C
  data::write_npy(data + "/valid/ext.npy", ext);
  std::vector<std::string> warnings;
  auto r = train_on(data, "test_tiny_convnet", kTiny, fresh_dir("raw_ext_run"), false, &warnings);
  EXPECT_EQ(r.status, "done") << r.error;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(data + "/valid/ext.npy: column 0 (temperature) ranges 21.5..21.5"), std::string::npos)
      << warnings[0];
  auto strict = train_on(data, "test_tiny_convnet", kTiny, fresh_dir("raw_ext_strict"), true);
  EXPECT_EQ(strict.error_class, "bad_data");
  EXPECT_EQ(exit_code_for(strict), 2);
  EXPECT_NE(strict.error.find("column 0 (temperature)"), std::string::npos) << strict.error;
}

}  // namespace fufi_test_engine_setup
