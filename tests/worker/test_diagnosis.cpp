// `fufi train --diagnose` (diagnosis.cpp): one JSON object per selected step with gradient norms per module and
// the probe's statistics.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "expect_error.h"
#include "fufi/core/error.h"
#include <nlohmann/json.hpp>

#include "fufi/worker/engine.h"

namespace fufi_test_diagnosis {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;
using namespace fufi::test;
namespace fs = std::filesystem;

class Diagnosis : public ::testing::Test {
 protected:
  void SetUp() override { fufi::test::register_tiny_convnet(); }
};

// --diagnose: the first steps' lines with gradient norms per module and the N2 probe.
TEST_F(Diagnosis, DiagnosisRecordsTheFirstSteps) {
  auto dir = fresh_dir("diagnose");
  TrainJob job;
  job.model = "test_tiny_convnet";
  job.data_dir = test::tiny_dataset("shared");
  job.settings = Config::from_assignments({"epochs=1", "batch_size=4", "threads=1", "loss=mse"});
  job.run_dir = dir;
  job.diagnose_path = dir + "/diagnose.jsonl";
  job.diagnose_steps = 3;
  fs::create_directories(dir);
  RunDirSink sink(dir);
  auto comm = make_local_communicator();
  auto r = run_training(job, sink, *comm);
  ASSERT_EQ(r.status, "done") << r.error;
  std::ifstream in(job.diagnose_path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["reason"] == "first") {
      EXPECT_EQ(j["global_step"].get<int>(), lines);
      EXPECT_GT(j["grad_norm"]["c1.weight"].get<double>(), 0.0) << line;
      EXPECT_GE(j["probe"]["n2.zero_fraction"].get<double>(), 0.0) << line;
      EXPECT_TRUE(j["probe"].contains("n2.min_block_sum")) << line;
      ++lines;
    }
  }
  EXPECT_EQ(lines, 3);
}

}  // namespace fufi_test_diagnosis
