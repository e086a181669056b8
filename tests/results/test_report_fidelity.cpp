// The fidelity item (report_fidelity.cpp): each switch against `defaults`, read from the jobs' configurations.
#include <gtest/gtest.h>

#include <algorithm>

#include "report_fixture.h"
#include "report_items.h"

namespace fufi_test_report_fidelity {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

namespace {

// PLGF at its defaults (MSE 10, 11, 12) and with focal = sample (8, 9, 10); UrbanFM at its defaults only; the
// static historical share (MSE 10.5, MAE 1.3) from the same sweep.
std::vector<JobRow> fidelity_rows() {
  std::vector<JobRow> rows;
  for (int seed = 1; seed <= 3; ++seed) {
    auto d = test::job_row("plgf", "P1", seed, 9.0 + seed, 1.0 + 0.1 * seed, 0.3);
    d.variant = "defaults";
    d.config = {{"seed", std::to_string(seed)}, {"focal", "cell"}, {"loss", "dualfocal"}};
    auto f = test::job_row("plgf", "P1", seed, 7.0 + seed, 1.0 + 0.1 * seed, 0.3);
    f.variant = "focal_sample";
    f.group_id = "plgf-focal-sample";
    f.config = {{"seed", std::to_string(seed)}, {"focal", "sample"}, {"loss", "dualfocal"}};
    auto u = test::job_row("urbanfm", "P1", seed, 12.0, 1.5, 0.3);
    u.variant = "defaults";
    rows.insert(rows.end(), {d, f, u, test::naive_row("historical", "P1", seed, 10.5, 1.3, 0.25)});
  }
  return rows;
}

}  // namespace

TEST(ReportFidelity, EachSwitchAgainstDefaultsWithWelchAndTheKeysThatDiffer) {
  const auto out = build_fidelity(test::item("fidelity"), test::sweep_of("fidelity", fidelity_rows()), ReportOptions{});
  const auto& blocks = out.section.blocks;
  // data, device, defaults + naive, naive legend, switches, note, caveat
  ASSERT_EQ(blocks.size(), 7u);
  const auto& defaults = blocks[2].table;
  ASSERT_EQ(defaults.rows.size(), 3u);  // plgf, urbanfm, historical (naive)
  EXPECT_EQ(defaults.rows[0][0].text, "urbanfm");  // the paper's order: baselines before PLGF
  EXPECT_EQ(defaults.rows[1][0].text, "plgf");
  EXPECT_EQ(defaults.rows[1][2].text, "11.000");
  EXPECT_TRUE(defaults.rows[1][2].naive_beats);   // historical's 10.5 is below PLGF's 11
  EXPECT_FALSE(defaults.rows[1][3].naive_beats);  // MAE: PLGF 1.2, historical 1.3
  EXPECT_EQ(defaults.rows[2][0].text, "historical (naive)");
  const auto& switches = blocks[4].table;
  ASSERT_EQ(switches.rows.size(), 1u);  // urbanfm has no variant but defaults
  const auto& row = switches.rows[0];
  EXPECT_EQ(row[2].text, "focal_sample");
  EXPECT_EQ(row[3].text, "focal: cell → sample");  // from the configurations, not from the variant's name
  // MSE: (9 - 11) / 11 = -18.18 %; Welch: t = 2 / sqrt(1/3 + 1/3) = 2.449, df = 4: p = 0.07048 (not †).
  EXPECT_EQ(row[4].text, "-18.18");
  EXPECT_FALSE(row[4].dagger);
  EXPECT_EQ(row[5].text, "0.07048");
  EXPECT_EQ(row[10].text, "3");
  EXPECT_NE(out.csv.find("plgf,P1,focal_sample,focal: cell → sample,mse,3,11,1,3,9,1,-18.1818182,0.07048,"),
            std::string::npos)
      << out.csv;
}

TEST(ReportFidelity, AVariantWithoutDefaultsIsNamedNotCompared) {
  auto rows = fidelity_rows();
  rows.erase(std::remove_if(rows.begin(), rows.end(),
                            [](const JobRow& j) { return j.model == "plgf" && j.variant == "defaults"; }),
             rows.end());
  const auto out = build_fidelity(test::item("fidelity"), test::sweep_of("fidelity", rows), ReportOptions{});
  const auto& row = out.section.blocks[4].table.rows.at(0);
  EXPECT_EQ(row[3].text, "— (no `defaults` variant)");
  EXPECT_EQ(row[4].text, "—");
  EXPECT_EQ(row[5].text, "—");
}

}  // namespace fufi_test_report_fidelity
