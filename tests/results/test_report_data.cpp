// What a report item reads (report_data.cpp): a sweep's jobs from the DB, and a cell's statistics.
#include <gtest/gtest.h>

#include <cmath>

#include "report_data.h"
#include "report_fixture.h"
#include "store_fixture.h"

namespace fufi_test_report_data {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;

TEST(ReportData, ReadsASweepsJobsWithTheirResultsAndConfigKeys) {
  test::Fixture f("report_data", {test::job("a", "g", 1), test::job("b", "g", 2)});
  f.store->start_attempt("a", 1, f.run, "host", "local");
  f.store->finish_attempt("a", 1, test::done_with_mse(9), false);
  f.store->commit();
  Database db(f.path, Database::Mode::ReadOnly);
  const auto sweep = report::read_sweep_jobs(db, "demo");
  EXPECT_TRUE(sweep.present);
  EXPECT_EQ(sweep.file, "demo.toml");
  ASSERT_EQ(sweep.jobs.size(), 2u);
  const auto& a = sweep.jobs[0];
  EXPECT_EQ(a.job_id, "a");
  EXPECT_EQ(a.status, JobStatus::Done);
  EXPECT_EQ(a.metric[0], 9);
  EXPECT_EQ(a.loss, "dualfocal");  // from job_config
  EXPECT_EQ(a.channels, "8");
  EXPECT_EQ(sweep.jobs[1].status, JobStatus::Pending);
  EXPECT_TRUE(std::isnan(sweep.jobs[1].metric[0]));
  EXPECT_FALSE(report::read_sweep_jobs(db, "absent").present);
}

TEST(ReportData, CellsAverageTheDoneJobsOnly) {
  const auto a = test::job_row("m", "P1", 1, 2, 1, 0), b = test::job_row("m", "P1", 2, 4, 1, 0);
  auto failed = test::job_row("m", "P1", 3, 100, 1, 0);
  failed.status = JobStatus::Failed;
  report::CellStats c;
  c.add(a);
  c.add(b);
  c.add(failed);
  EXPECT_EQ(c.done(), 2);
  EXPECT_EQ(c.values(0), (std::vector<double>{2, 4}));
  EXPECT_EQ(c.mean(0), 3);
  EXPECT_DOUBLE_EQ(c.std(0), std::sqrt(2.0));
  EXPECT_EQ(c.of(&report::JobRow::parameters).size(), 2u);
  EXPECT_EQ(c.groups.size(), 1u);
}

// Issue #20: a cell never averages configurations.
TEST(ReportData, ACellOfSeveralConfigurationsHasNoMean) {
  const auto plgf = test::job_row("plgf", "P1", 1, 184.6, 10, 1);
  const auto srcnn = test::job_row("srcnn", "P1", 1, 7497.0, 50, 3);
  report::CellStats c;
  c.add(plgf);
  c.add(srcnn);
  EXPECT_TRUE(c.mixed());
  EXPECT_TRUE(c.values(0).empty());
  EXPECT_TRUE(std::isnan(c.mean(0)));  // never 3840.8, the mean of the two
  EXPECT_TRUE(c.of(&report::JobRow::parameters).empty());
  EXPECT_EQ(report::differing_keys(c.jobs), (std::vector<std::string>{"model"}));
}

TEST(ReportData, SplittingNamesTheKeysThatTellConfigurationsApart) {
  auto a = test::job_row("plgf", "P1", 1, 14, 1.9, 0.3), b = test::job_row("plgf", "P1", 2, 14, 1.9, 0.3);
  auto wide = test::job_row("plgf", "P1", 1, 13, 1.8, 0.3);
  wide.channels = "128";
  wide.group_id = "plgf-wide";
  auto p2 = test::job_row("plgf", "P2", 1, 16, 2, 0.3);  // one configuration in P2: still named, as its row's are
  auto uno = test::job_row("uno", "P1", 1, 15, 2, 0.3);   // one configuration: untouched
  for (auto* j : {&a, &b, &wide, &p2, &uno}) j->config = {{"seed", std::to_string(j->seed)}, {"threads", "0"}};
  auto sweep = test::sweep_of("s", {a, b, wide, p2, uno});
  const auto split = report::split_rows(sweep, [](const report::JobRow& j) { return j.model; }, true);
  EXPECT_EQ(split.jobs[0].distinct, " [channels=64]");
  EXPECT_EQ(split.jobs[1].distinct, " [channels=64]");
  EXPECT_EQ(split.jobs[2].distinct, " [channels=128]");
  EXPECT_EQ(split.jobs[3].distinct, " [channels=64]");
  EXPECT_EQ(split.jobs[4].distinct, "");
  EXPECT_EQ(sweep.jobs[2].distinct, "");  // a copy: the input is not changed
  EXPECT_EQ(report::base_key("plgf [channels=128]"), "plgf");
  EXPECT_EQ(report::base_key("plgf"), "plgf");
  // Across tasks (Figure 4's cells): the task tells them apart too.
  const auto across = report::split_rows(sweep, [](const report::JobRow& j) { return j.model; }, false);
  EXPECT_EQ(across.jobs[3].distinct, " [channels=64, task=P2]");
  // Configurations that no key tells apart stay in one cell, which then refuses to average.
  auto hidden = test::job_row("uno", "P1", 2, 99, 9, 0.9);
  hidden.group_id = "uno-other";
  hidden.config = {{"seed", "2"}, {"threads", "0"}};
  auto opaque = test::sweep_of("s", {uno, hidden});
  const auto same = report::split_rows(opaque, [](const report::JobRow& j) { return j.model; }, true);
  EXPECT_EQ(same.jobs[0].distinct, "");
  report::CellStats c;
  for (const auto& j : same.jobs) c.add(j);
  EXPECT_TRUE(c.mixed());
  EXPECT_TRUE(report::differing_keys(c.jobs).empty());
}

TEST(ReportData, KeysAnItemShowsItselfNeverSplitARow) {
  auto own = test::job_row("urbanfm", "P2", 1, 19, 2.2, 0.3), other = test::job_row("urbanfm", "P2", 1, 21, 2.4, 0.3);
  other.loss = "l1";
  other.group_id = "urbanfm-l1";
  auto dual = test::job_row("urbanfm", "P2", 1, 18, 2.1, 0.3);
  dual.loss = "dualfocal";
  dual.group_id = "urbanfm-dual";
  auto sweep = test::sweep_of("s", {own, other, dual});
  report::split_configurations(
      sweep, [](const report::JobRow& j) { return j.model + (j.loss == "dualfocal" ? " dual" : " own"); },
      [](const report::JobRow& j) { return j.model; }, {"loss"});
  for (const auto& j : sweep.jobs) EXPECT_EQ(j.distinct, "") << j.loss;  // the own-loss cell stays mixed
}

}  // namespace fufi_test_report_data
