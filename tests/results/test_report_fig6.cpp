// Figure 6 (report_fig6.cpp): width at the most common depth, depth at the most common width.
#include <gtest/gtest.h>

#include <algorithm>

#include "report_fixture.h"
#include "report_items.h"

namespace fufi_test_report_fig6 {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

TEST(ReportFig6, TwoPanelsAroundTheModalWidthAndDepth) {
  std::vector<JobRow> rows;
  for (const auto& [ch, depth] : std::vector<std::pair<const char*, const char*>>{{"16", "2"}, {"32", "2"}, {"16", "3"}}) {
    auto r = test::job_row("plgf", "P1", 1, 10 + std::stoi(ch) / 16.0 + std::stoi(depth), 1, 0.2);
    r.channels = ch;
    r.depth = depth;
    r.group_id = std::string(ch) + depth;
    rows.push_back(r);
  }
  auto broken = test::job_row("plgf", "P1", 1, 1, 1, 1);
  broken.channels = "wide";  // not a number: left out
  rows.push_back(broken);
  const auto out = build_fig6(test::item("fig6"), test::sweep_of("fig6_width_depth", rows), {});
  const auto& t = out.section.blocks[2].table;
  ASSERT_EQ(t.rows.size(), 4u);  // width: 16, 32 at depth 2; depth: 2, 3 at 16 channels
  EXPECT_EQ(t.rows[0][0].text, "width");
  EXPECT_EQ(t.rows[1][1].text, "32");
  EXPECT_EQ(t.rows[3][0].text, "depth");
  EXPECT_EQ(t.rows[3][2].text, "3");
  EXPECT_EQ(out.dat.rfind("# fufi report fig6: block 0: channels, MSE, MAE at depth 2; block 1: depth, MSE, MAE at 16 "
                          "channels\n",
                          0),
            0u)
      << out.dat;
  EXPECT_NE(out.gp.find("set title \"channels (depth 2)\""), std::string::npos);
  EXPECT_NE(out.gp.find("set title \"depth (16 channels)\""), std::string::npos);
}

TEST(ReportFig6, NaiveLinesFlagsAndNothingPooled) {
  std::vector<JobRow> rows;
  for (const auto& [ch, mse] : std::vector<std::pair<const char*, double>>{{"16", 20}, {"32", 12}}) {
    auto r = test::job_row("plgf", "P1", 1, mse, mse / 10, 0.2);
    r.channels = ch;
    r.group_id = ch;
    rows.push_back(r);
  }
  auto other = test::job_row("plgf", "P1", 2, 99, 9.9, 0.9);  // another configuration at 32 channels, depth 4
  other.channels = "32";
  other.group_id = "32-other";
  rows.push_back(other);
  rows.push_back(test::job_row("srcnn", "P1", 1, 1, 0.1, 0.01));  // not PLGF: never in a PLGF cell
  rows.push_back(test::naive_row("historical", "P1", 1, 15, 1.5, 0.1));
  const auto out = build_fig6(test::item("fig6"), test::sweep_of("fig6_width_depth", rows), {});
  const auto& t = out.section.blocks[2].table;
  // width: 16 and 32 at depth 4; depth: 4 at 16 channels (the modal width: ties go to the smaller); the naive row.
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0][3].text, "20.000");
  EXPECT_TRUE(t.rows[0][3].naive_beats);    // historical's 15 is below 20
  EXPECT_EQ(t.rows[1][3].text, "mixed");    // 12 and 99 are two configurations: no mean
  EXPECT_FALSE(t.rows[1][3].naive_beats);
  EXPECT_EQ(t.rows[3][0].text, "historical (naive)");
  EXPECT_EQ(t.rows[3][3].text, "15.000");
  EXPECT_NE(out.gp.find(", 15 axes x1y1 with lines dt 2"), std::string::npos) << out.gp;
  const auto& notes = out.section.footnotes;
  auto has = [&](const std::string& s) {
    return std::any_of(notes.begin(), notes.end(), [&](const std::string& n) { return n.find(s) != std::string::npos; });
  };
  EXPECT_TRUE(has("Figure 6 is PLGF's: the sweep's jobs of srcnn are not shown.")) << ::testing::PrintToString(notes);
  EXPECT_TRUE(has("channels 32 depth 4: 2 configurations")) << ::testing::PrintToString(notes);
  EXPECT_TRUE(has("‡ — a naive row beats these trained rows (lower mean): channels 16 depth 4: MSE, MAE"))
      << ::testing::PrintToString(notes);
}

}  // namespace fufi_test_report_fig6
