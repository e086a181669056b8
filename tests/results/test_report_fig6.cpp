// Figure 6 (report_fig6.cpp): width at the most common depth, depth at the most common width.
#include <gtest/gtest.h>

#include "report_fixture.h"
#include "report_items.h"

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
