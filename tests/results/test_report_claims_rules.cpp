// The claims' rules one by one (report_claims_rules.cpp): each rule decides holds / does not hold on its stated
// threshold, says "not measured" with what is missing when a cell, a baseline or the sweep itself is absent, and
// counts naive rows as references, never as baselines.
#include <gtest/gtest.h>

#include <cmath>

#include "report_claims.h"
#include "report_fixture.h"
#include "report_items.h"

namespace fufi_test_report_claims_rules {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

namespace {

SweepJobs table1(double plgf, double uno) {
  std::vector<JobRow> rows;
  test::add_two_seeds(rows, test::variant_job("plgf", "", "plgf"), plgf);
  test::add_two_seeds(rows, test::variant_job("uno", "", "uno"), uno);
  return test::sweep_of("table1", rows);
}

SweepJobs table2(double full, double wo_film) {
  std::vector<JobRow> rows;
  test::add_two_seeds(rows, test::variant_job("plgf", "full", "full"), full);
  test::add_two_seeds(rows, test::variant_job("plgf", "wo_film", "wo_film"), wo_film);
  return test::sweep_of("table2_ablation", rows);
}

}  // namespace

TEST(ReportClaimsRules, Table1WinsHoldsOnlyWhenPlgfBeatsTheBestBaselineEverywhere) {
  const auto item = test::item("table1");
  const auto wins = claim_table1_wins(table1(10, 12), item, "r.db");
  EXPECT_EQ(wins.verdict, ClaimVerdict::Holds) << wins.effect;
  EXPECT_EQ(wins.source, "Table 1");
  EXPECT_EQ(wins.effect, "PLGF vs the best baseline of each column: -16.67 % to -16.67 %; better in every column");
  EXPECT_TRUE(std::isfinite(wins.p));
  const auto loses = claim_table1_wins(table1(12, 10), item, "r.db");
  EXPECT_EQ(loses.verdict, ClaimVerdict::DoesNotHold) << loses.effect;
  EXPECT_EQ(loses.effect.find("better in every column"), std::string::npos) << loses.effect;
}

TEST(ReportClaimsRules, Table1WinsNeedsABaselineAndTheSweep) {
  const auto item = test::item("table1");
  std::vector<JobRow> only_plgf;
  test::add_two_seeds(only_plgf, test::variant_job("plgf", "", "plgf"), 10);
  test::add_two_seeds(only_plgf, test::naive_row("historical", "P1", 1, 0, 0, 0), 50);  // no baseline
  const auto alone = claim_table1_wins(test::sweep_of("table1", only_plgf), item, "r.db");
  EXPECT_EQ(alone.verdict, ClaimVerdict::NotMeasured);
  EXPECT_NE(alone.why_not.find("a baseline"), std::string::npos) << alone.why_not;
  const auto absent = claim_table1_wins(test::absent_sweep("table1"), item, "r.db");
  EXPECT_EQ(absent.verdict, ClaimVerdict::NotMeasured);
  EXPECT_NE(absent.why_not.find("is not in this database"), std::string::npos) << absent.why_not;
  EXPECT_TRUE(absent.effect.empty());
}

TEST(ReportClaimsRules, AblationsHurtOnlyWhenFullIsBetter) {
  const auto item = test::item("table2");
  const auto hurts = claim_ablations_hurt(table2(10, 14), item, "r.db");
  EXPECT_EQ(hurts.verdict, ClaimVerdict::Holds) << hurts.effect;
  const auto helps = claim_ablations_hurt(table2(14, 13), item, "r.db");
  EXPECT_EQ(helps.verdict, ClaimVerdict::DoesNotHold);
  EXPECT_EQ(helps.effect, "vs full, MSE/MAE/MAPE: wo_film P1: -7.14 %/-7.14 %/-7.14 % (does not hurt)");
  // A sweep with `full` only has no ablation to judge.
  std::vector<JobRow> full_only;
  test::add_two_seeds(full_only, test::variant_job("plgf", "full", "full"), 10);
  const auto none = claim_ablations_hurt(test::sweep_of("table2_ablation", full_only), item, "r.db");
  EXPECT_EQ(none.verdict, ClaimVerdict::NotMeasured);
  EXPECT_NE(none.why_not.find("an ablation variant"), std::string::npos) << none.why_not;
}

TEST(ReportClaimsRules, VerdictsHaveTheirReportNames) {
  EXPECT_STREQ(to_string(ClaimVerdict::Holds), "holds");
  EXPECT_STREQ(to_string(ClaimVerdict::DoesNotHold), "does not hold");
  EXPECT_STREQ(to_string(ClaimVerdict::NotMeasured), "not measured");
}

}  // namespace fufi_test_report_claims_rules
