// Figure 4 (report_fig4.cpp): one bubble per model, measured beside the paper.
#include <gtest/gtest.h>

#include "report_fixture.h"
#include "report_items.h"

namespace fufi_test_report_fig4 {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

TEST(ReportFig4, OneLinePerModelAndABubbleForEachMeasuredOne) {
  auto uno = test::job_row("uno", "P1", 1, 15, 2.1, 0.3);
  uno.parameters = 4e6;
  uno.epoch_seconds = 20;
  auto plgf = test::job_row("plgf", "P1", 1, 14, 1.9, 0.28);
  plgf.parameters = 1e6;
  auto pending = test::job_row("srcnn", "P1", 1, 0, 0, 0);
  pending.status = JobStatus::Pending;
  const auto out = build_fig4(test::item("fig4"), test::sweep_of("fig4_efficiency", {plgf, pending, uno}), {});
  const auto& t = out.section.blocks[2].table;
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0][0].text, "srcnn");  // the paper's order
  EXPECT_EQ(t.rows[0][3].text, "—");
  EXPECT_EQ(t.rows[1][1].text, "4");      // uno: 4 M parameters
  EXPECT_EQ(t.rows[2][7].text, "1.890");  // the paper's PLGF MAE (Table 1, Task 1)
  // The .dat: only measured models; bubble area ∝ parameters (size ∝ sqrt), the largest at 6.
  EXPECT_NE(out.dat.find("\"uno\" 4 20 2.1 6\n"), std::string::npos) << out.dat;
  EXPECT_NE(out.dat.find("\"plgf\" 1 2 1.9 3\n"), std::string::npos) << out.dat;
  EXPECT_EQ(out.dat.find("srcnn"), std::string::npos);
  EXPECT_NE(out.gp.find("plot \"fig4.dat\""), std::string::npos);
  EXPECT_EQ(out.section.blocks.back().kind, Block::Image);
  EXPECT_NE(out.section.footnotes.back().find("fufi sweep sweeps/fig4_efficiency.toml"), std::string::npos);
}

TEST(ReportFig4, NothingMeasuredNothingDrawn) {
  auto pending = test::job_row("plgf", "P1", 1, 0, 0, 0);
  pending.status = JobStatus::Pending;
  const auto out = build_fig4(test::item("fig4"), test::sweep_of("fig4_efficiency", {pending}), {});
  EXPECT_TRUE(out.gp.empty());
  EXPECT_EQ(out.section.footnotes.back(), "No model has both a measured MAE and seconds per epoch: the figure is not drawn.");
}

// Issue #20: Figure 4 once averaged a model's jobs over tasks and variants; each configuration is its own point now.
TEST(ReportFig4, EachConfigurationIsItsOwnPointNeverAnAverage) {
  auto p1 = test::job_row("plgf", "P1", 1, 14, 1.9, 0.28);
  auto p2 = test::job_row("plgf", "P2", 1, 16, 2.1, 0.3);
  auto wide = test::job_row("plgf", "P1", 1, 13, 1.5, 0.27);
  wide.channels = "128";
  wide.group_id = "plgf-wide";
  const auto out = build_fig4(test::item("fig4"), test::sweep_of("fig4_efficiency", {p1, p2, wide}), {});
  const auto& t = out.section.blocks[2].table;
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0][0].text, "plgf [channels=128, task=P1]");
  EXPECT_EQ(t.rows[0][3].text, "1.500");
  EXPECT_EQ(t.rows[1][0].text, "plgf [channels=64, task=P1]");
  EXPECT_EQ(t.rows[1][3].text, "1.900");
  EXPECT_EQ(t.rows[1][7].text, "—");  // the paper's PLGF point is one configuration: not beside a split row
  EXPECT_EQ(t.rows[2][0].text, "plgf [channels=64, task=P2]");
  EXPECT_EQ(t.rows[2][3].text, "2.100");
  EXPECT_EQ(out.dat.find("1.833"), std::string::npos) << out.dat;  // (1.9 + 2.1 + 1.5) / 3: nowhere
}

}  // namespace fufi_test_report_fig4
