// The naive references (report_naive.cpp): which jobs are naive, their rows from their configuration, the flag.
#include <gtest/gtest.h>

#include "report_fixture.h"
#include "report_naive.h"

namespace fufi_test_report_naive {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results::report;

TEST(ReportNaive, RowsComeFromTheJobsConfigurationNeverFromTheVariantName) {
  auto uniform = test::naive_row("uniform", "P1", 1, 90, 4, 1);
  auto shared = test::naive_row("historical", "P1", 1, 21, 2.2, 0.5);
  auto hourly = test::naive_row("historical", "P1", 1, 17, 1.9, 0.4, true);
  EXPECT_TRUE(is_naive(uniform));
  EXPECT_TRUE(is_naive(hourly));
  EXPECT_FALSE(is_naive(test::job_row("plgf", "P1", 1, 1, 1, 1)));
  EXPECT_EQ(naive_key(uniform), "uniform");
  EXPECT_EQ(naive_key(shared), "historical");
  EXPECT_EQ(naive_key(hourly), "historical by_hour");
  // A variant named like the per-hour share does not make a static job per-hour: only `by_hour` does.
  shared.variant = "naive_by_hour";
  EXPECT_EQ(naive_key(shared), "historical");
  shared.config["by_weather"] = "true";
  shared.config["weighting"] = "sample";
  EXPECT_EQ(naive_key(shared), "historical by_weather weighting=sample");
  EXPECT_EQ(naive_label("historical by_hour"), "historical by_hour (naive)");
}

TEST(ReportNaive, RowsSortUniformThenTheStaticShareThenItsContextModes) {
  std::vector<std::string> keys{"historical by_hour", "historical", "historical by_hour by_weather", "uniform",
                                "historical by_weather"};
  sort_naive_keys(keys);
  EXPECT_EQ(keys, (std::vector<std::string>{"uniform", "historical", "historical by_hour",
                                            "historical by_hour by_weather", "historical by_weather"}));
}

TEST(ReportNaive, TheRowsBelowAValueAreTheOnesThatBeatIt) {
  const std::vector<NaiveMean> naive{{"uniform", 90}, {"historical", 21}, {"historical by_hour", 17}, {"x", kNaN}};
  EXPECT_EQ(naive_below(20, naive), (std::vector<std::string>{"historical by_hour"}));
  EXPECT_EQ(naive_below(50, naive), (std::vector<std::string>{"historical by_hour", "historical"}));
  EXPECT_TRUE(naive_below(17, naive).empty());  // equal is not better
  EXPECT_TRUE(naive_below(kNaN, naive).empty());
  // Each metric with the rows that beat it, grouped where they agree.
  EXPECT_EQ(beaten_metrics({{"MSE", {"historical by_hour"}}, {"MAE", {"historical by_hour", "historical"}},
                            {"MAPE", {"historical by_hour"}}}),
            "MSE, MAPE (by historical by_hour) and MAE (by historical by_hour, historical)");
  EXPECT_EQ(beaten_metrics({{"MSE", {}}}), "");
  EXPECT_EQ(naive_flag_note({}), "");
  EXPECT_EQ(naive_flag_note({"srcnn P1: MSE (by historical)"}),
            "‡ — a naive row beats these trained rows (lower mean): srcnn P1: MSE (by historical).");
}

}  // namespace fufi_test_report_naive
