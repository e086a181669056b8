// Tables 1 and 2 (report_tables.cpp) from in-memory sweeps.
#include <gtest/gtest.h>

#include <algorithm>

#include "report_fixture.h"
#include "report_items.h"

namespace fufi_test_report_tables {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

namespace {

std::vector<JobRow> two_models() {
  std::vector<JobRow> rows;
  for (int seed = 1; seed <= 3; ++seed) {
    rows.push_back(test::job_row("uno", "P1", seed, 15.0 + 0.1 * seed, 2, 0.3));
    rows.push_back(test::job_row("plgf", "P1", seed, 14.5 + 0.1 * seed, 1.9, 0.29));
  }
  return rows;
}

}  // namespace

TEST(ReportTables, TableOneRanksTestsAndComparesWithThePaper) {
  const auto out = build_table1(test::item("table1"), test::sweep_of("table1", two_models()), ReportOptions{});
  const auto& blocks = out.section.blocks;
  // data, device, verdict, measured, note, paper, versus, caveat
  ASSERT_EQ(blocks.size(), 8u);
  EXPECT_EQ(blocks[2].text.rfind("**Verdict**: On sweep table1, task P1 (3 seeds): plgf won MSE (14.700;", 0), 0u)
      << blocks[2].text;
  const auto& measured = blocks[3].table;
  EXPECT_EQ(measured.caption, "Measured: mean over seeds");
  ASSERT_EQ(measured.rows.size(), 3u);  // uno, plgf (paper order), Δ
  EXPECT_EQ(measured.rows[0][0].text, "uno");
  EXPECT_EQ(measured.rows[1][1].text, "14.700");
  EXPECT_EQ(measured.rows[1][1].rank, 1);
  EXPECT_TRUE(measured.rows[0][1].dagger);  // Welch: uno vs plgf, p < 0.05
  EXPECT_EQ(measured.rows[2][1].text, "↓3.29");  // (14.7 - 15.2) / 15.2
  EXPECT_EQ(blocks[5].table.rows[1][1].text, "14.408");  // the paper's PLGF P1 MSE
  EXPECT_EQ(blocks[7].text, kSyntheticCaveat);
  EXPECT_EQ(out.csv.substr(0, out.csv.find('\n')),
            "model,task,metric,n,jobs,mean,std,rank,p_vs_plgf,significant,paper,vs_paper_pct,naive,naive_below,data,"
            "device");
  EXPECT_NE(out.csv.find("\nuno,P1,mse,3,3,15.2,0.1,2,"), std::string::npos) << out.csv;
  EXPECT_TRUE(out.dat.empty());
}

TEST(ReportTables, TableTwoHasTheAblationsInThePapersOrder) {
  std::vector<JobRow> rows;
  for (const char* v : {"wo_film", "full", "extra"}) {
    auto r = test::job_row("plgf", "P1", 1, 14, 1.9, 0.28);
    r.variant = v;
    r.group_id = v;
    rows.push_back(r);
  }
  const auto out = build_table2(test::item("table2"), test::sweep_of("table2_ablation", rows), ReportOptions{});
  const auto& measured = out.section.blocks[2].table;
  ASSERT_EQ(measured.rows.size(), 3u);  // no Δ row in Table 2
  EXPECT_EQ(measured.rows[0][0].text, "PLGF");
  EXPECT_EQ(measured.rows[1][0].text, "w/o FiLM");
  EXPECT_EQ(measured.rows[2][0].text, "extra");  // a variant the paper does not have: after, by name
  EXPECT_NE(out.csv.find("variant,task,metric,n,jobs,mean,std,rank,p_vs_full"), std::string::npos);
}

// Issue #20: Table 2's "PLGF" row once averaged PLGF and SRCNN jobs of one variant (3840.8 = the mean of 184.6 and
// 7497.0). Each configuration is its own row now, named by what differs.
TEST(ReportTables, TableTwoNeverPoolsTwoModelsOfOneVariant) {
  std::vector<JobRow> rows;
  for (int seed = 1; seed <= 2; ++seed) {
    auto plgf = test::job_row("plgf", "P1", seed, 184.6, 5, 0.5);
    auto srcnn = test::job_row("srcnn", "P1", seed, 7497.0, 50, 5);
    plgf.variant = srcnn.variant = "full";
    rows.push_back(plgf);
    rows.push_back(srcnn);
  }
  const auto out = build_table2(test::item("table2"), test::sweep_of("table2_ablation", rows), ReportOptions{});
  const auto& measured = out.section.blocks[2].table;
  ASSERT_EQ(measured.rows.size(), 2u);
  EXPECT_EQ(measured.rows[0][0].text, "PLGF [model=plgf]");
  EXPECT_EQ(measured.rows[0][1].text, "184.600");
  EXPECT_EQ(measured.rows[1][0].text, "PLGF [model=srcnn]");
  EXPECT_EQ(measured.rows[1][1].text, "7497.000");
  EXPECT_EQ(out.csv.find("3840.8"), std::string::npos) << out.csv;
  // The paper's number stands beside each: it is PLGF's full model either way.
  EXPECT_EQ(out.section.blocks[4].table.rows[1][1].text, out.section.blocks[4].table.rows[0][1].text);
}

TEST(ReportTables, ConfigurationsNoKeyTellsApartAreRefusedNotAveraged) {
  auto a = test::job_row("uno", "P1", 1, 15, 2, 0.3), b = test::job_row("uno", "P1", 2, 99, 9, 0.9);
  b.group_id = "uno-other";  // another configuration whose keys the DB does not show
  const auto out = build_table1(test::item("table1"), test::sweep_of("table1", {a, b}), ReportOptions{});
  const auto& measured = out.section.blocks[3].table;
  EXPECT_EQ(measured.rows[0][0].text, "uno");
  EXPECT_EQ(measured.rows[0][1].text, "mixed");
  const auto& notes = out.section.footnotes;
  ASSERT_GE(notes.size(), 2u);
  EXPECT_EQ(notes[0].rfind("mixed: jobs of several configurations fall in one cell", 0), 0u) << notes[0];
  EXPECT_NE(notes[1].find("uno P1: 2 configurations (`uno-other`, `unoP1`), which no configuration key tells apart"),
            std::string::npos)
      << notes[1];
  EXPECT_EQ(out.csv.find(",57,"), std::string::npos) << out.csv;  // (15 + 99) / 2
}

TEST(ReportTables, NaiveRowsFollowTheTrainedOnesAndFlagWhatTheyBeat) {
  std::vector<JobRow> rows = two_models();
  for (int seed = 1; seed <= 3; ++seed) {
    rows.push_back(test::naive_row("uniform", "P1", seed, 40, 4, 1));
    rows.push_back(test::naive_row("historical", "P1", seed, 15.0, 2.5, 0.5));
    rows.push_back(test::naive_row("historical", "P1", seed, 14.9, 1.95, 0.2, true));
  }
  const auto out = build_table1(test::item("table1"), test::sweep_of("table1", rows), ReportOptions{});
  const auto& measured = out.section.blocks[3].table;
  // uno, plgf, Δ, then the naive rows below a rule: never ranked.
  ASSERT_EQ(measured.rows.size(), 6u);
  EXPECT_EQ(measured.rows[3][0].text, "uniform (naive)");
  EXPECT_EQ(measured.rows[4][0].text, "historical (naive)");
  EXPECT_EQ(measured.rows[5][0].text, "historical by_hour (naive)");
  EXPECT_EQ(measured.rows[5][1].rank, 0);
  // uno's MSE 15.2 is above historical by_hour's 14.9 and historical's 15.0: ‡; PLGF's 14.7 is not.
  EXPECT_TRUE(measured.rows[0][1].naive_beats);
  EXPECT_FALSE(measured.rows[1][1].naive_beats);
  // MAPE: the per-hour share (0.2) beats both.
  EXPECT_TRUE(measured.rows[1][3].naive_beats);
  const auto& notes = out.section.footnotes;
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const std::string& n) {
    return n.find("‡ — a naive row beats these trained rows (lower mean): uno P1: MSE (by historical by_hour, historical) "
                  "and MAE, MAPE (by historical by_hour); plgf P1: MAPE (by historical by_hour)") != std::string::npos;
  })) << ::testing::PrintToString(notes);
  EXPECT_NE(out.csv.find("\nhistorical by_hour,P1,mse,3,3,14.9,0,,"), std::string::npos) << out.csv;
}

}  // namespace fufi_test_report_tables
