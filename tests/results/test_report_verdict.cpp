// The verdict sentence (report_verdict.cpp): who won each metric, by how much over the best naive row, Welch's p,
// and where PLGF lost; every number below is computed by hand from the rows.
#include <gtest/gtest.h>

#include "report_fixture.h"
#include "report_verdict.h"

namespace fufi_test_report_verdict {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results::report;

namespace {

// Two seeds per row. Means: urbanfm MSE 20, MAE 2.2, MAPE 0.50; plgf MSE 70, MAE 3.6, MAPE 0.90;
// naive (constant over seeds): uniform 90 / 4.0 / 1.2, historical 21 / 2.1 / 0.55, historical by_hour 22 / 1.9 / 0.6.
std::vector<JobRow> demo_like(int seeds) {
  std::vector<JobRow> rows;
  for (int seed = 1; seed <= seeds; ++seed) {
    const double d = seed == 1 ? -1 : 1;  // seeds spread ±1 % around the mean
    rows.push_back(test::job_row("urbanfm", "P1", seed, 20 + 0.2 * d, 2.2 + 0.022 * d, 0.5 + 0.005 * d));
    rows.push_back(test::job_row("plgf", "P1", seed, 70 + 0.7 * d, 3.6 + 0.036 * d, 0.9 + 0.009 * d));
    rows.push_back(test::naive_row("uniform", "P1", seed, 90, 4.0, 1.2));
    rows.push_back(test::naive_row("historical", "P1", seed, 21, 2.1, 0.55));
    rows.push_back(test::naive_row("historical", "P1", seed, 22, 1.9, 0.6, true));
  }
  return rows;
}

}  // namespace

TEST(ReportVerdict, SaysWhoWonEachMetricByHowMuchAndThatPlgfLost) {
  const std::string v = verdict_sentence(test::sweep_of("demo", demo_like(2)));
  // MSE: urbanfm 20 vs the best naive row, historical 21: (20 - 21) / 21 = -4.8 %; Welch: urbanfm {19.8, 20.2} vs
  // {21, 21}: t = -1 / 0.2 = -5, df = 1, p = 0.126.
  EXPECT_NE(v.find("urbanfm won MSE (20.000), 4.8 % below the best naive row (historical, 21.000; Welch p = "
                   "0.126)"),
            std::string::npos)
      << v;
  // MAE: the per-hour share 1.9 beats urbanfm 2.2 (+15.8 %); t = 0.3 / 0.022 = 13.6, df = 1: p = 0.047.
  EXPECT_NE(v.find("naive historical by_hour won MAE (1.900): the best trained model, urbanfm (2.200), is 15.8 % "
                   "above it (Welch p = 0.047)"),
            std::string::npos)
      << v;
  // MAPE: urbanfm 0.50 vs historical 0.55: -9.1 %.
  EXPECT_NE(v.find("urbanfm won MAPE (0.500), 9.1 % below the best naive row (historical, 0.550;"),
            std::string::npos)
      << v;
  // PLGF lost everything, to urbanfm and the per-hour share, and naive rows beat it on every metric.
  // Welch: plgf {69.3, 70.7} vs urbanfm {19.8, 20.2}: t = 50 / sqrt(0.49 + 0.04) = 68.7, df = 1.16.
  EXPECT_NE(v.find("PLGF lost MSE to urbanfm (PLGF 70.000, +250.0 %; Welch p = 0.005), MAE to naive historical "
                   "by_hour (PLGF 3.600, +89.5 %; Welch p = 0.013), MAPE to urbanfm (PLGF 0.900, +80.0 %; Welch p = "
                   "0.003), and a naive row beats it on MSE, MAE, MAPE."),
            std::string::npos)
      << v;
  EXPECT_EQ(v.rfind("On sweep demo, task P1 (2 seeds): ", 0), 0u) << v;
  // One sentence: one full stop, at the end.
  EXPECT_EQ(v.back(), '.');
}

TEST(ReportVerdict, WhenPlgfWinsTheSentenceSaysSo) {
  std::vector<JobRow> rows;
  for (int seed = 1; seed <= 2; ++seed) {
    rows.push_back(test::job_row("plgf", "P1", seed, 10 + seed, 1 + 0.1 * seed, 0.2 + 0.01 * seed));
    rows.push_back(test::job_row("urbanfm", "P1", seed, 15, 1.5, 0.3));
    rows.push_back(test::naive_row("historical", "P1", seed, 20, 2, 0.4));
  }
  const std::string v = verdict_sentence(test::sweep_of("s", rows));
  EXPECT_NE(v.find("plgf won MSE (11.500), 42.5 % below the best naive row (historical, 20.000; Welch p = "),
            std::string::npos)
      << v;
  EXPECT_NE(v.find("; PLGF won every metric."), std::string::npos) << v;
  EXPECT_EQ(v.find("PLGF lost"), std::string::npos);
}

TEST(ReportVerdict, OneSeedHasNoWelchTestAndMissingPiecesAreNamed) {
  const std::string v = verdict_sentence(test::sweep_of("demo", demo_like(1)));
  EXPECT_NE(v.find("task P1 (1 seed)"), std::string::npos) << v;
  EXPECT_NE(v.find("one seed: no Welch test"), std::string::npos) << v;
  EXPECT_EQ(v.find("Welch p"), std::string::npos) << v;
  // Without naive rows, without PLGF, with nothing done.
  const std::string alone = verdict_sentence(test::sweep_of("s", {test::job_row("srcnn", "P1", 1, 3, 1, 0.5)}));
  EXPECT_NE(alone.find("srcnn won MSE (3.000; no naive row on this task)"), std::string::npos) << alone;
  EXPECT_NE(alone.find("PLGF has no result in this sweep."), std::string::npos) << alone;
  auto pending = test::job_row("plgf", "P1", 1, 0, 0, 0);
  pending.status = JobStatus::Pending;
  EXPECT_EQ(verdict_sentence(test::sweep_of("s", {pending})), "");
  EXPECT_EQ(p_in_words(0.0004), "p < 0.001");
  EXPECT_EQ(p_in_words(0.0123), "p = 0.012");
}

// Issue #20: two configurations of PLGF are two rows, never one average, and the sentence picks neither.
TEST(ReportVerdict, SeveralConfigurationsOfPlgfAreNamedNotPooled) {
  std::vector<JobRow> rows;
  for (int seed = 1; seed <= 2; ++seed) {
    auto narrow = test::job_row("plgf", "P1", seed, 10, 1, 0.1);
    auto wide = test::job_row("plgf", "P1", seed, 30, 3, 0.3);
    wide.channels = "128";
    wide.group_id = "plgf-wide";
    rows.insert(rows.end(), {narrow, wide, test::job_row("urbanfm", "P1", seed, 20, 2, 0.2)});
  }
  const std::string v = verdict_sentence(test::sweep_of("s", rows));
  EXPECT_NE(v.find("plgf [channels=64] won MSE (10.000;"), std::string::npos) << v;
  EXPECT_EQ(v.find("20.000; no naive"), std::string::npos) << v;  // (10 + 30) / 2 is nowhere
  EXPECT_NE(v.find("PLGF has 2 configurations in this sweep (plgf [channels=128]; plgf [channels=64]): no verdict on "
                   "PLGF."),
            std::string::npos)
      << v;
}

TEST(ReportVerdict, FixtureMetricsSayTheyAreNotMeasured) {
  auto rows = demo_like(2);
  for (auto& j : rows) j.device = "fixture";
  EXPECT_EQ(verdict_sentence(test::sweep_of("demo", rows)).rfind("On sweep demo (fixture metrics, not measured), task P1", 0),
            0u);
}

}  // namespace fufi_test_report_verdict
