// How the report writes numbers and notes (report_format.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "report_fixture.h"
#include "report_format.h"

namespace fufi_test_report_format {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

TEST(ReportFormat, NumbersHaveFixedFormats) {
  EXPECT_EQ(fmt_metric(14.7), "14.700");
  EXPECT_EQ(fmt_metric(0.0042), "4.200e-03");
  EXPECT_EQ(fmt_metric(0), "0.000");
  EXPECT_EQ(fmt_metric(kNaN), "—");
  EXPECT_EQ(fmt_pct(-3.291), "-3.29");
  EXPECT_EQ(fmt_pct(2), "+2.00");
  EXPECT_EQ(fmt_arrow(-3.291), "↓3.29");
  EXPECT_EQ(fmt_arrow(1.5), "↑1.50");
  EXPECT_EQ(fmt_csv(1.0 / 3), "0.333333333");
  EXPECT_EQ(fmt_csv(kNaN), "");
  EXPECT_EQ(fmt_p(0.016548), "0.01655");
  EXPECT_EQ(fmt_params_m(3488677), "3.49");
  EXPECT_EQ(fmt_seconds(4.58), "4.58");
  EXPECT_EQ(csv_line({"a", "b,c", "d\"e"}), "a,\"b,c\",\"d\"\"e\"\n");
}

TEST(ReportFormat, CellsShowTheMeanTheSpreadAndMissingSeeds) {
  const auto a = test::job_row("plgf", "P1", 1, 14.6, 1, 0.01), b = test::job_row("plgf", "P1", 2, 14.8, 1, 0.01);
  auto c = test::job_row("plgf", "P1", 3, 0, 0, 0);
  c.status = JobStatus::Pending;
  CellStats cell;
  cell.add(a);
  cell.add(b);
  EXPECT_EQ(cell_text(cell, 0, false), "14.700");
  EXPECT_EQ(cell_text(cell, 0, true), "14.700 ± 0.141");
  cell.add(c);
  EXPECT_EQ(cell.done(), 2);
  EXPECT_EQ(cell_text(cell, 0, false), "14.700*");  // fewer seeds done than the sweep has
  EXPECT_EQ(cell_text(CellStats{}, 0, true), "—");
}

TEST(ReportFormat, DataIsDescribedNeverMistakenForTaxiBJ) {
  EXPECT_EQ(describe_data(test::kSyntheticIdentity),
            "synthetic TaxiBJ-like data (preset small, seed 2026, 16x16 → 64x64, 300 samples per task) — not TaxiBJ");
  EXPECT_EQ(describe_data("root:/data/TaxiBJ"), "TaxiBJ (data root `/data/TaxiBJ`, named by its path)");
  EXPECT_EQ(describe_data("root:/d/BikeNYC_P6"), "BikeNYC (data root `/d/BikeNYC_P6`, named by its path)");
  EXPECT_EQ(describe_data("something else"), "`something else`");
  auto row = test::job_row("plgf", "P1", 1, 1, 1, 1);
  EXPECT_FALSE(is_taxibj({&row}));
  row.data = "root:/data/TaxiBJ";
  EXPECT_TRUE(is_taxibj({&row}));
  EXPECT_FALSE(is_taxibj({}));
}

TEST(ReportFormat, ProvenanceLinesFlagNumbersThatAreNotMeasured) {
  auto a = test::job_row("plgf", "P1", 1, 1, 1, 1);
  auto b = test::job_row("plgf", "P1", 2, 1, 1, 1);
  b.device = "fixture";
  const auto sweep = test::sweep_of("s", {a, b});
  const auto lines = provenance_lines(sweep, all_rows(sweep));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("Data: synthetic TaxiBJ-like data", 0), 0u) << lines[0];
  EXPECT_NE(lines[1].find("Device: cpu, fixture — **fixture metrics (not measured)**"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("Sweep `s`: 2 of 2 jobs done."), std::string::npos) << lines[1];
}

TEST(ReportFormat, MissingJobsGetFootnotesWithTheCommandThatRunsThem) {
  auto done = test::job_row("uno", "P2", 1, 1, 1, 1);
  auto failed = test::job_row("uno", "P2", 2, 1, 1, 1);
  failed.status = JobStatus::Failed;
  failed.error_class = ErrorClass::Diverged;
  failed.error = "loss | is `NaN`";
  CellStats cell;
  cell.add(done);
  cell.add(failed);
  MissingNotes notes;
  note_missing(notes, "uno P2", cell);
  ASSERT_EQ(notes.lines.size(), 1u);
  EXPECT_EQ(notes.lines[0], "uno P2: 1 of 2 seeds done; `unoP22000000` seed 2 failed (diverged: loss   is  NaN )");
  Section s;
  const auto sweep = test::sweep_of("table1", {done, failed});
  add_missing_footnotes(s, notes, sweep, test::item("table1"), "my.db");
  ASSERT_EQ(s.footnotes.size(), 3u);
  EXPECT_EQ(s.footnotes[2], "Run them: `fufi sweep sweeps/table1.toml --db my.db --retry-failed` (failed jobs get new "
                            "attempts)");
  Section absent;
  add_missing_footnotes(absent, {}, test::absent_sweep("table1"), test::item("table1"), "my.db");
  ASSERT_EQ(absent.footnotes.size(), 1u);
  EXPECT_NE(absent.footnotes[0].find("`fufi sweep sweeps/table1.toml --db my.db`"), std::string::npos);
}

}  // namespace fufi_test_report_format
