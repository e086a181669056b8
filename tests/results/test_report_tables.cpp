// Tables 1 and 2 (report_tables.cpp) from in-memory sweeps.
#include <gtest/gtest.h>

#include "report_fixture.h"
#include "report_items.h"

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
