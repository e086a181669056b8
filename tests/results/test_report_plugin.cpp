// Figures 5 and 7 (report_plugin.cpp): own loss vs. DualFocal per model and task.
#include <gtest/gtest.h>

#include "report_fixture.h"
#include "report_items.h"

namespace fufi_test_report_plugin {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

namespace {

std::vector<JobRow> urbanfm_both_losses(const std::string& task) {
  std::vector<JobRow> rows;
  for (int seed = 1; seed <= 2; ++seed) {
    auto own = test::job_row("urbanfm", task, seed, 20, 2.5, 0.4);
    auto dual = test::job_row("urbanfm", task, seed, 19, 2.4, 0.36);
    dual.loss = "dualfocal";
    dual.group_id += "dual";
    rows.push_back(own);
    rows.push_back(dual);
  }
  return rows;
}

}  // namespace

TEST(ReportPlugin, FigureFiveSetsTheChangeBesideThePapersQuotedOne) {
  const auto out = build_fig5(test::item("fig5"), test::sweep_of("fig5_dualfocal_plugin", urbanfm_both_losses("P2")), {});
  const auto& t = out.section.blocks[2].table;
  ASSERT_EQ(t.header.back(), "paper change %");
  ASSERT_EQ(t.rows.size(), 3u);  // MSE, MAE, MAPE
  EXPECT_EQ(t.rows[0][3].text, "20.000 (mse)");  // the own loss, named
  EXPECT_EQ(t.rows[0][5].text, "-5.00");           // (19 - 20) / 20
  EXPECT_EQ(t.rows[0][6].text, "-4.40");           // the paper's UrbanFM MSE change
  EXPECT_NE(out.dat.find("# P2 MSE\n\"urbanfm -5.00%\" 20 19\n"), std::string::npos) << out.dat;
  EXPECT_NE(out.gp.find("set multiplot layout 1,3"), std::string::npos);
  EXPECT_NE(out.gp.find("size 1500,450"), std::string::npos);
}

TEST(ReportPlugin, FigureSevenShowsEveryTaskWithoutThePapersColumn) {
  auto rows = urbanfm_both_losses("P1");
  for (auto& r : urbanfm_both_losses("P3")) rows.push_back(r);
  const auto out = build_fig7(test::item("fig7"), test::sweep_of("fig7_dualfocal_all_tasks", rows), {});
  const auto& t = out.section.blocks[2].table;
  EXPECT_EQ(t.header.back(), "change %");
  EXPECT_EQ(t.rows.size(), 6u);  // 2 tasks x 3 metrics
  EXPECT_NE(out.dat.find("# MSE\n\"P1\" -5\n\"P3\" -5\n"), std::string::npos) << out.dat;
  EXPECT_NE(out.gp.find("size 1500,500"), std::string::npos);
  // One loss only: nothing to compare, nothing drawn.
  std::vector<JobRow> own_only{test::job_row("urbanfm", "P1", 1, 20, 2.5, 0.4)};
  const auto alone = build_fig7(test::item("fig7"), test::sweep_of("fig7_dualfocal_all_tasks", own_only), {});
  EXPECT_TRUE(alone.gp.empty());
  EXPECT_EQ(alone.section.footnotes.back(), "No model has both losses measured: the figure is not drawn.");
}

}  // namespace fufi_test_report_plugin
