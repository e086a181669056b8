// The grid behind Tables 1 and 2 (report_grid.cpp): cells filled by row and task with naive jobs kept apart,
// ranks per column (best, second), the Welch mark against the reference, the naive rows that beat a trained one,
// the paper's table with its Δ row, measured vs. paper, and the CSV with one line per (row, task, metric).
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>

#include "report_fixture.h"
#include "report_grid.h"
#include "report_naive.h"

namespace fufi_test_report_grid {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

namespace {

// P1: plgf (10, 10.1), uno (20, 20.2), srcnn (30, 30.3) and the uniform naive reference at 25: PLGF is the
// reference, best in every column; uniform beats srcnn only.
// The grid's cells point at the sweep's jobs: the sweep lives as long as the process.
const SweepJobs& sweep() {
  static const SweepJobs s = [] {
    std::vector<JobRow> rows;
    for (int seed = 1; seed <= 2; ++seed) {
      const double f = seed == 1 ? 1.0 : 1.01;
      rows.push_back(test::job_row("plgf", "P1", seed, 10 * f, 1 * f, 0.1 * f));
      rows.push_back(test::job_row("uno", "P1", seed, 20 * f, 2 * f, 0.2 * f));
      rows.push_back(test::job_row("srcnn", "P1", seed, 30 * f, 3 * f, 0.3 * f));
      rows.push_back(test::naive_row("uniform", "P1", seed, 25, 2.5, 0.25));
    }
    return test::sweep_of("table1", rows);
  }();
  return s;
}

Grid grid() {
  Grid g;
  const auto [trained, tasks] = fill_cells(g, sweep(), [](const JobRow& j) { return j.model; });
  EXPECT_EQ(trained, (std::set<std::string>{"plgf", "srcnn", "uno"}));
  EXPECT_EQ(tasks, (std::set<std::string>{"P1"}));
  g.rows = {{"plgf", "PLGF"}, {"uno", "UNO"}, {"srcnn", "SRCNN"}};
  g.tasks = {"P1"};
  g.reference = "plgf";
  g.paper = [](const std::string& row, const std::string&, const std::string& metric) -> std::optional<double> {
    if (row == "plgf" && metric == "mse") return 8.0;  // metrics by their CSV key
    return std::nullopt;
  };
  return g;
}

}  // namespace

TEST(ReportGrid, CellsAreFilledByRowAndTaskWithNaiveJobsApart) {
  const auto g = grid();
  ASSERT_EQ(g.naive_rows.size(), 1u);
  EXPECT_EQ(g.naive_rows[0].first, "uniform");
  EXPECT_EQ(cell_of(g, "plgf", "P1").done(), 2);
  EXPECT_DOUBLE_EQ(cell_of(g, "uno", "P1").mean(0), 20.1);
  EXPECT_TRUE(cell_of(g, "plgf", "P9").jobs.empty());  // a cell nobody ran is empty, not an error
  EXPECT_EQ(naive_beating(g, "srcnn", "P1", 0), (std::vector<std::string>{"uniform"}));
  EXPECT_TRUE(naive_beating(g, "uno", "P1", 0).empty());
}

TEST(ReportGrid, MeasuredTableRanksMarksAndPutsNaiveRowsLast) {
  const auto g = grid();
  const auto t = measured_table(g, /*with_std=*/false, /*delta_row=*/true, "Model");
  ASSERT_EQ(t.header.size(), 4u);  // label + MSE, MAE, MAPE of P1
  ASSERT_EQ(t.rows.size(), 5u);    // 3 trained, Δ, uniform
  EXPECT_EQ(t.rows[0][0].text, "PLGF");
  EXPECT_EQ(t.rows[0][1].rank, 1);
  EXPECT_EQ(t.rows[1][1].rank, 2);
  EXPECT_EQ(t.rows[2][1].rank, 0);
  EXPECT_FALSE(t.rows[0][1].dagger);  // the reference is not tested against itself
  EXPECT_TRUE(t.rows[1][1].dagger);   // 10 vs 20 with tight seeds: p < 0.05
  EXPECT_TRUE(t.rows[2][1].naive_beats);
  EXPECT_FALSE(t.rows[1][1].naive_beats);
  EXPECT_EQ(t.rows[3][0].text, "Δ (%)");
  EXPECT_EQ(t.rule_before, (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(t.rows[4][1].rank, 0);  // naive rows are not ranked
}

TEST(ReportGrid, PaperTablesCompareWithThePapersNumbers) {
  const auto g = grid();
  const auto paper = paper_table(g, "Model", [](const std::string&, const std::string&) -> std::optional<double> {
    return -12.5;
  });
  ASSERT_EQ(paper.rows.size(), 4u);  // 3 rows + the paper's Δ
  EXPECT_EQ(paper.rows[0][1].rank, 1);
  EXPECT_EQ(paper.rows[1][1].text, "—");  // the paper has no UNO MSE here
  const auto versus = versus_paper_table(g, "Model");
  // PLGF's MSE 10.05 vs the paper's 8: +25.63 %.
  EXPECT_NE(versus.rows[0][1].text.find("25.6"), std::string::npos) << versus.rows[0][1].text;
  EXPECT_EQ(versus.rows[1][1].text, "—");
}

TEST(ReportGrid, CsvHasALinePerRowTaskAndMetric) {
  const auto g = grid();
  const auto csv = grid_csv(g, "model", {"synthetic", "cpu"});
  // Header + 4 rows (naive included) x 3 metrics.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 4 * 3);
  EXPECT_EQ(csv.rfind("model,task,metric,n,jobs,mean,std,rank,p_vs_plgf,significant,paper,vs_paper_pct,naive,", 0), 0u)
      << csv;
  EXPECT_NE(csv.find("\nsrcnn,P1,mse,2,2,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",uniform,synthetic,cpu\n"), std::string::npos) << csv;  // srcnn's naive_below
  EXPECT_NE(csv.find("\nuniform,P1,mse,2,2,25,0,"), std::string::npos) << csv;
}

}  // namespace fufi_test_report_grid
