// What a report item reads (report_data.cpp): a sweep's jobs from the DB, and a cell's statistics.
#include <gtest/gtest.h>

#include "report_data.h"
#include "report_fixture.h"
#include "store_fixture.h"

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
