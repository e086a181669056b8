// The paper's numbers (report_paper.cpp, from results/data/paper_numbers.csv) against the paper's text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fufi/results/report_paper.h"
#include "fufi/results/report_stats.h"

namespace fufi_test_report_paper {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::results;

TEST(ReportPaper, SpotChecksAgainstThePaperText) {
  EXPECT_EQ(paper_value("table1", "plgf", "P1", "", "mse"), 14.408);
  EXPECT_EQ(paper_value("table1", "plgf", "P4", "", "mape"), 0.270);
  EXPECT_EQ(paper_value("table1", "uno", "P2", "", "mae"), 2.148);
  EXPECT_EQ(paper_value("table1", "srcnn", "P3", "", "mse"), 23.184);
  EXPECT_EQ(paper_value("table1", "deepsd", "P4", "", "mse"), 15.031);
  EXPECT_EQ(paper_value("table1", "urbanode", "P1", "", "mape"), 0.406);
  EXPECT_EQ(paper_value("table2", "plgf", "P1", "wo_context_gate", "mse"), 18.638);
  EXPECT_EQ(paper_value("table2", "plgf", "P1", "wo_logarithmic", "mape"), 0.301);
  EXPECT_EQ(paper_value("table2", "plgf", "P1", "full", "mae"), 1.890);
  EXPECT_EQ(paper_value("fig4", "uno", "P1", "", "params_m"), 117.91);
  EXPECT_EQ(paper_value("fig4", "plgf", "P1", "", "params_m"), 3.56);
  EXPECT_EQ(paper_value("fig4", "plgf", "P1", "", "epoch_seconds"), 4.58);
  EXPECT_EQ(paper_value("fig4", "uno", "P1", "", "epoch_seconds"), 22.29);
  EXPECT_EQ(paper_value("fig5", "cufar", "P2", "", "mape_change_pct"), -8.0);
  EXPECT_EQ(paper_value("fig5", "urbanfm", "P2", "", "mse_change_pct"), -4.4);
  EXPECT_FALSE(paper_value("table1", "plgf", "P5", "", "mse"));
  int table1 = 0;
  for (const auto& v : paper_values()) table1 += v.experiment == "table1";
  EXPECT_EQ(table1, 13 * 4 * 3);
}

// The paper's own Δ row follows from its Table 1 (PLGF vs. the best baseline, rounded to 2 decimals):
// checks the transcription and the Δ formula the report uses, together.
TEST(ReportPaper, DeltaRowFollowsFromTable1) {
  const std::vector<std::string> baselines{"srcnn", "espcn", "vdsr", "deepsd", "srresnet", "urbanfm",
                                           "deeplgr", "fode", "urbanode", "urbanpy", "cufar", "uno"};
  // A missing row is a failure, not undefined behaviour.
  auto value = [](const std::string& experiment, const std::string& model, const char* task, const char* metric) {
    const auto v = paper_value(experiment, model, task, "", metric);
    EXPECT_TRUE(v.has_value()) << experiment << " " << model << " " << task << " " << metric;
    return v.value_or(NAN);
  };
  for (const char* task : {"P1", "P2", "P3", "P4"})
    for (const char* metric : {"mse", "mae", "mape"}) {
      double best = INFINITY;
      for (const auto& b : baselines) best = std::min(best, value("table1", b, task, metric));
      const double delta = relative_change_percent(value("table1", "plgf", task, metric), best);
      EXPECT_NEAR(delta, value("table1_delta_pct", "plgf", task, metric), 0.0051) << task << " " << metric;
    }
}

}  // namespace fufi_test_report_paper
