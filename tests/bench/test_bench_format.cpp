// The benchmarks' output (bench_format.cpp): JSON that scripts read carries every field under its documented
// name with the value given (epochs only when timed, a missing hidden fraction as null), and the tables people
// read show the numbers. Timings here are made-up values: nothing is measured.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "fufi/bench/bench.h"

namespace fufi_test_bench_format {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::bench;

namespace {

Timing timing(double median, double min, double max, std::int64_t reps) {
  Timing t;
  t.median_ms = median;
  t.min_ms = min;
  t.max_ms = max;
  t.repetitions = reps;
  return t;
}

}  // namespace

TEST(BenchFormat, TrainResultAsJsonAndTable) {
  TrainBenchResult r;
  r.model = "srcnn";
  r.parameters = 123;
  r.batch = 16;
  r.threads = 2;
  r.device = "cpu";
  r.device_name = "cpu";
  r.adam_impl = "fused";
  r.cuda_graph = "off";
  r.step = timing(4.5, 4.0, 6.0, 10);
  r.pipelined_step_ms = 4.25;
  r.samples_per_second = 3764.7;
  r.peak_memory_bytes = 5000000;
  auto j = nlohmann::json::parse(to_json(r));
  EXPECT_EQ(j["model"], "srcnn");
  EXPECT_EQ(j["parameters"], 123);
  EXPECT_EQ(j["repetitions"], 10);
  EXPECT_DOUBLE_EQ(j["step_ms_median"].get<double>(), 4.5);
  EXPECT_DOUBLE_EQ(j["step_ms_min"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["step_ms_max"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(j["pipelined_step_ms"].get<double>(), 4.25);
  EXPECT_FALSE(j.contains("epoch_samples"));  // no epochs timed
  r.epoch_samples = 64;
  r.epoch = timing(30, 29, 31, 3);
  j = nlohmann::json::parse(to_json(r));
  EXPECT_EQ(j["epoch_samples"], 64);
  EXPECT_EQ(j["epochs"], 3);
  EXPECT_DOUBLE_EQ(j["epoch_ms_median"].get<double>(), 30.0);
  const auto table = to_table(r);
  EXPECT_NE(table.find("srcnn: 123 parameters, batch 16, cpu (cpu), 2 threads"), std::string::npos) << table;
  EXPECT_NE(table.find("median 4.50 ms  min 4.00  max 6.00  (10 steps"), std::string::npos) << table;
  EXPECT_NE(table.find("peak memory 5 MB"), std::string::npos) << table;
  EXPECT_NE(table.find("epoch of 64 samples  median 30.0 ms"), std::string::npos) << table;
}

TEST(BenchFormat, DataParallelHiddenFractionIsNullWhenUnknown) {
  DpTrainBenchResult r;
  r.model = "espcn";
  r.ranks = 2;
  r.buckets = 3;
  r.bucket_mb = 25;
  r.modes = {{"overlap", timing(10, 9, 11, 5)}, {"after", timing(12, 11, 13, 5)}, {"none", timing(8, 7, 9, 5)}};
  r.hidden_fraction = 0.5;
  auto j = nlohmann::json::parse(to_json(r));
  ASSERT_EQ(j["modes"].size(), 3u);
  EXPECT_EQ(j["modes"][1]["mode"], "after");
  EXPECT_DOUBLE_EQ(j["modes"][1]["step_ms_median"].get<double>(), 12.0);
  EXPECT_DOUBLE_EQ(j["hidden_fraction"].get<double>(), 0.5);
  EXPECT_NE(to_table(r).find("hidden: 50% of the all-reduce time"), std::string::npos) << to_table(r);
  r.hidden_fraction = std::nan("");
  j = nlohmann::json::parse(to_json(r));
  EXPECT_TRUE(j["hidden_fraction"].is_null());
  EXPECT_EQ(to_table(r).find("hidden:"), std::string::npos);
}

TEST(BenchFormat, InferAndAllreducePoints) {
  InferBenchResult inf;
  inf.model = "uniform";
  inf.points = {{1, timing(1, 1, 1, 3), 1000}, {8, timing(2, 2, 2, 3), 4000}};
  auto j = nlohmann::json::parse(to_json(inf));
  ASSERT_EQ(j["points"].size(), 2u);
  EXPECT_EQ(j["points"][1]["batch"], 8);
  EXPECT_DOUBLE_EQ(j["points"][1]["maps_per_second"].get<double>(), 4000.0);
  EXPECT_NE(to_table(inf).find("batch    8"), std::string::npos) << to_table(inf);
  AllreduceResult ar;
  ar.backend = "mpi";
  ar.ranks = 2;
  ar.points = {{4096, timing(0.5, 0.4, 0.6, 10), 8.192e-3, 8.192e-3}};
  j = nlohmann::json::parse(to_json(ar));
  EXPECT_EQ(j["backend"], "mpi");
  EXPECT_EQ(j["points"][0]["bytes"], 4096);
  EXPECT_DOUBLE_EQ(j["points"][0]["time_ms_median"].get<double>(), 0.5);
  EXPECT_NE(to_table(ar).find("all-reduce (mpi, 2 ranks)"), std::string::npos);
}

}  // namespace fufi_test_bench_format
