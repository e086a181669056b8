// What a job reports (records.cpp): epochs.jsonl and metrics.json as RunDirSink writes them, and the reader of
// epochs.jsonl beside its writer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "files.h"
#include "fufi/worker/records.h"
#include "scratch_dir.h"

namespace fufi_test_records {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;

namespace {

EpochRecord record(std::int64_t epoch) {
  EpochRecord r;
  r.epoch = epoch;
  r.train_loss = 1.0 / static_cast<double>(epoch + 1);
  r.valid.mse = 4;
  r.valid.rmse = 2;
  r.valid.mae = 1.5;
  r.valid.mape = 0.25;
  r.best = epoch == 1;
  return r;
}

}  // namespace

TEST(Records, TheEpochLogIsReadBackAsWritten) {
  test::ScratchDir dir("records_log");
  RunDirSink sink(dir / "run");
  sink.begin(-1);
  for (std::int64_t e = 0; e < 3; ++e) sink.epoch(record(e));
  const auto log = read_epoch_log(dir / "run");
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2].epoch, 2);
  EXPECT_EQ(log[1].valid.rmse, 2);
  EXPECT_EQ(log[1].valid.mae, 1.5);
  EXPECT_TRUE(log[1].best);
  EXPECT_FALSE(log[2].best);
  EXPECT_TRUE(read_epoch_log(dir / "absent").empty());
}

TEST(Records, ATornLastLineIsSkippedAndAResumeDropsLaterEpochs) {
  test::ScratchDir dir("records_resume");
  RunDirSink sink(dir.path());
  for (std::int64_t e = 0; e < 3; ++e) sink.epoch(record(e));
  std::ofstream(dir / "epochs.jsonl", std::ios::app) << "{\"epoch\": 3, \"train_lo";  // killed mid-write
  EXPECT_EQ(read_epoch_log(dir.path()).size(), 3u);
  sink.begin(1);  // the checkpoint covers epochs 0 and 1
  const auto log = read_epoch_log(dir.path());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].epoch, 1);
}

TEST(Records, MetricsJsonNamesEveryMetricAndTheFailureWhenThereIsOne) {
  test::ScratchDir dir("records_result");
  RunDirSink sink(dir.path());
  RunResult done;
  done.test.mse = 9;
  done.test.rmse = 3;
  sink.result(done);
  auto j = nlohmann::json::parse(test::read_file(dir / "metrics.json"));
  EXPECT_EQ(j.at("status"), "done");
  EXPECT_EQ(j.at("test").at("rmse"), 3.0);
  EXPECT_FALSE(j.contains("error_class"));
  RunResult failed;
  failed.status = "failed";
  failed.error_class = "diverged";
  failed.error = "non-finite loss";
  sink.result(failed);
  j = nlohmann::json::parse(test::read_file(dir / "metrics.json"));
  EXPECT_EQ(j.at("error_class"), "diverged");
  EXPECT_FALSE(j.contains("test"));
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename(), "metrics.json");  // no temporary file left
}

}  // namespace fufi_test_records
