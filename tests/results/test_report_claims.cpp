// The claims item (report_claims.cpp): each claim holds, does not hold (a finding), or is not measured, saying what
// is missing; a cell of several configurations is refused, never averaged. The rules one by one:
// test_report_claims_rules.cpp.
#include <gtest/gtest.h>

#include "report_claims.h"
#include "report_fixture.h"
#include "report_items.h"

namespace fufi_test_report_claims {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

namespace {

SweepSet claim_sweeps() {
  SweepSet s;
  std::vector<JobRow> t1, t2, f6;
  test::add_two_seeds(t1, test::variant_job("plgf", "", "plgf"), 10);
  test::add_two_seeds(t1, test::variant_job("uno", "", "uno"), 12);
  test::add_two_seeds(t1, test::naive_row("historical", "P1", 1, 0, 0, 0), 5);  // naive rows are not baselines
  test::add_two_seeds(t2, test::variant_job("plgf", "full", "full"), 14);
  test::add_two_seeds(t2, test::variant_job("plgf", "wo_film", "wo_film"), 13);  // better without FiLM: the claim fails
  // Figure 6: two configurations of PLGF at 64 channels, depth 4, that differ in the learning rate.
  for (const char* ch : {"64", "128", "192"}) {
    auto j = test::variant_job("plgf", "", std::string("w") + ch);
    j.channels = ch;
    test::add_two_seeds(f6, j, 20);
  }
  auto other = test::variant_job("plgf", "", "w64-lr");
  other.config["lr"] = "0.001";
  test::add_two_seeds(f6, other, 30);
  s["table1"] = test::sweep_of("table1", t1);
  s["table2"] = test::sweep_of("table2_ablation", t2);
  s["fig4"] = test::absent_sweep("fig4_efficiency");
  s["fig5"] = test::sweep_of("fig5_dualfocal_plugin", {});
  s["fig6"] = test::sweep_of("fig6_width_depth", f6);
  return s;
}

}  // namespace

TEST(ReportClaims, EachClaimHoldsFailsOrSaysWhatIsMissing) {
  ReportOptions o;
  o.db_label = "r.db";
  const auto out = build_claims(test::item("claims"), claim_sweeps(), o);
  const auto& t = out.section.blocks.at(1).table;
  ASSERT_EQ(t.rows.size(), 7u);
  auto verdict = [&](std::size_t i) { return t.rows[i][3].text; };
  auto measured = [&](std::size_t i) { return t.rows[i][4].text; };
  // 1. Table 1: PLGF 10.05 vs UNO 12.06 (the historical share, 5, is no baseline): -16.67 % on every metric.
  EXPECT_EQ(verdict(0), "holds");
  EXPECT_EQ(measured(0), "PLGF vs the best baseline of each column: -16.67 % to -16.67 %; better in every column");
  EXPECT_NE(t.rows[0][5].text, "—");  // the largest Welch p
  // 2, 3. Figure 4's sweep is not in the DB: the command that runs it.
  EXPECT_EQ(verdict(1), "not measured");
  EXPECT_NE(measured(1).find("sweep `fig4_efficiency` is not in this database; run it: `fufi sweep "
                             "sweeps/fig4_efficiency.toml --db r.db`"),
            std::string::npos)
      << measured(1);
  EXPECT_EQ(verdict(2), "not measured");
  // 4. Figure 5's sweep has no job of the three models (on Task 2, the figure's task).
  EXPECT_EQ(verdict(3), "not measured");
  EXPECT_NE(measured(3).find("lacks urbanfm P2 own loss"), std::string::npos) << measured(3);
  // 5. Two configurations at 64 channels: refused, naming the key, never averaged (20 and 30 would give 25).
  EXPECT_EQ(verdict(4), "not measured");
  EXPECT_NE(measured(4).find("has several configurations where the rule needs one, and the report never averages "
                             "them: plgf P1 channels 64 depth 4 (2 configurations, differing in lr)"),
            std::string::npos)
      << measured(4);
  // 6. No depth but 4 in Figure 6's sweep.
  EXPECT_EQ(verdict(5), "not measured");
  EXPECT_NE(measured(5).find("PLGF at depths 2, 4 and one above 4"), std::string::npos) << measured(5);
  // 7. Table 2: w/o FiLM is better than the full model: a finding, with the numbers.
  EXPECT_EQ(verdict(6), "does not hold");
  EXPECT_EQ(measured(6), "vs full, MSE/MAE/MAPE: wo_film P1: -7.14 %/-7.14 %/-7.14 % (does not hurt)");
  EXPECT_NE(out.section.blocks.at(2).text.find("1 hold, 1 do not hold, 5 not measured."), std::string::npos);
  // The CSV has a row per claim with the sweep it read.
  EXPECT_NE(out.csv.find(",does not hold,"), std::string::npos);
  EXPECT_NE(out.csv.find(",table2_ablation\n"), std::string::npos) << out.csv;
}

TEST(ReportClaims, ComparisonsNeedWelchWhereBothSidesHaveSeeds) {
  CellStats a, b;
  const auto a1 = test::job_row("plgf", "P1", 1, 10, 1, 0.1), a2 = test::job_row("plgf", "P1", 2, 10.1, 1, 0.1);
  const auto b1 = test::job_row("uno", "P1", 1, 10.05, 1, 0.1), b2 = test::job_row("uno", "P1", 2, 10.15, 1, 0.1);
  a.add(a1);
  a.add(a2);
  b.add(b1);
  b.add(b2);
  const auto c = compare(a, b, 0);
  EXPECT_TRUE(c.lower());
  EXPECT_TRUE(c.welch.valid);
  EXPECT_FALSE(c.better());  // a lower mean, but p > 0.05: not "better"
  CellStats one;
  one.add(b2);
  EXPECT_TRUE(compare(a, one, 0).better());  // one seed: decided on means (and the row says so)
}

TEST(ReportClaims, FixtureMetricsAreNeverAVerdict) {
  auto sweeps = claim_sweeps();
  for (auto& j : sweeps["table1"].jobs) j.device = "fixture";  // `fufi sweep --runner fixture`: hashed numbers
  const auto out = build_claims(test::item("claims"), sweeps, ReportOptions{});
  const auto& row = out.section.blocks.at(1).table.rows.at(0);
  EXPECT_EQ(row[3].text, "not measured");
  EXPECT_EQ(row[4].text, "fixture metrics (not measured): on them the rule gives \"holds\": PLGF vs the best baseline "
                         "of each column: -16.67 % to -16.67 %; better in every column");
}

}  // namespace fufi_test_report_claims
