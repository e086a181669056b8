// The shared records' JSON: the exact text of the files the engine writes, NaN as null, tolerant reading.
#include <gtest/gtest.h>

#include <cmath>

#include "fufi/core/json.h"

namespace fufi_test_json {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using fufi::EpochRecord;
using fufi::FlowMetrics;
using fufi::JobSpec;
using json = nlohmann::json;

TEST(Json, MetricsAreAnObjectByNameWithoutTheCount) {
  FlowMetrics m;
  m.mse = 4;
  m.mae = 1.5;
  m.mape = 0.25;
  m.rmse = 2;
  m.count = 99;
  EXPECT_EQ(json(m).dump(), R"({"mae":1.5,"mape":0.25,"mse":4.0,"rmse":2.0})");
  const auto back = json::parse(R"({"mse": 4, "rmse": 2, "mae": 1.5, "mape": 0.25})").get<FlowMetrics>();
  EXPECT_EQ(back.mse, 4);
  EXPECT_EQ(back.rmse, 2);  // by name: no positional mix-up of rmse and mae
  EXPECT_EQ(back.mae, 1.5);
  EXPECT_EQ(back.mape, 0.25);
  EXPECT_EQ(back.count, 0u);
}

TEST(Json, NotANumberIsNullAndNullReadsAsNaN) {
  FlowMetrics m;
  m.mse = std::nan("");
  const std::string text = json(m).dump();
  EXPECT_NE(text.find("\"mse\":null"), std::string::npos) << text;
  EXPECT_TRUE(std::isnan(json::parse(text).get<FlowMetrics>().mse));
  EXPECT_TRUE(std::isnan(json::parse(R"({"mae": "x"})").get<FlowMetrics>().mae));
  EXPECT_TRUE(std::isnan(json::object().get<FlowMetrics>().rmse));
}

TEST(Json, EpochRecordsKeepTheEpochsJsonlFormat) {
  EpochRecord r;
  r.epoch = 2;
  r.train_loss = 0.5;
  r.valid.mse = 1;
  r.lr = 0.25;
  r.seconds = 3;
  r.samples_per_second = 10;
  r.best = true;
  EXPECT_EQ(json(r).dump(), R"({"best":true,"epoch":2,"lr":0.25,"samples_per_second":10.0,"seconds":3.0,)"
                            R"("train_loss":0.5,"valid":{"mae":0.0,"mape":0.0,"mse":1.0,"rmse":0.0}})");
  const auto back = json(r).get<EpochRecord>();
  EXPECT_EQ(back.epoch, 2);
  EXPECT_EQ(back.valid.mse, 1);
  EXPECT_TRUE(back.best);
  // An older or partial record: what is missing is NaN (numbers) or false (best); the epoch is required.
  const auto partial = json::parse(R"({"epoch": 5})").get<EpochRecord>();
  EXPECT_EQ(partial.epoch, 5);
  EXPECT_TRUE(std::isnan(partial.train_loss));
  EXPECT_TRUE(std::isnan(partial.valid.mse));
  EXPECT_FALSE(partial.best);
  EXPECT_THROW(json::parse(R"({"lr": 1})").get<EpochRecord>(), json::exception);
}

TEST(Json, JobSpecCarriesWhatAWorkerNeeds) {
  JobSpec s;
  s.id = "abc";
  s.group_id = "group";
  s.model = "srcnn";
  s.task = "P1";
  s.variant = "wo_film";
  s.seed = 42;
  s.settings.set("channels", "8");
  s.resolved.set("lr", "0.0003");
  const auto back = json(s).get<JobSpec>();
  EXPECT_EQ(back.id, "abc");
  EXPECT_EQ(back.model, "srcnn");
  EXPECT_EQ(back.task, "P1");
  EXPECT_EQ(back.variant, "wo_film");
  EXPECT_EQ(back.seed, 42u);
  EXPECT_EQ(back.settings.canonical(), "channels=8");
  EXPECT_EQ(back.settings.source_of("channels"), "sweep");
  EXPECT_TRUE(back.group_id.empty());  // stays with the coordinator
  EXPECT_TRUE(back.resolved.empty());
}

TEST(Json, CompactTextReplacesBytesThatAreNotUtf8) {
  const json j{{"error", std::string("bad \xff byte")}};
  EXPECT_EQ(fufi::compact_json(j), "{\"error\":\"bad \xEF\xBF\xBD byte\"}");
  EXPECT_THROW((void)j.dump(), json::exception);
}

}  // namespace fufi_test_json
