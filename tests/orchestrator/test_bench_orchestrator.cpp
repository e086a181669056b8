// `fufi bench orchestrator` (bench_orchestrator.cpp): trivial jobs through the whole sweep path, timed.
#include <gtest/gtest.h>

#include <filesystem>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/orchestrator/bench_orchestrator.h"
#include "scratch_dir.h"

namespace fufi_test_bench_orchestrator {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

TEST(BenchOrchestrator, RunsAndResumesTheJobsInANewDatabase) {
  test::ScratchDir dir("bench_orchestrator");
  OrchestratorBenchOptions o;
  o.jobs = 12;
  o.db = dir / "bench.db";
  const auto r = bench_orchestrator(o);
  EXPECT_EQ(r.jobs, 12);
  EXPECT_EQ(r.ranks, 1);
  EXPECT_EQ(r.worker_groups, 1);
  EXPECT_GT(r.run_s, 0);
  EXPECT_GT(r.rerun_s, 0);
  EXPECT_GT(r.db_bytes, 0);
  EXPECT_DOUBLE_EQ(r.ms_per_job, 1e3 * r.run_s / 12);
  EXPECT_NE(to_json(r).find("\"jobs\": 12, \"ranks\": 1"), std::string::npos) << to_json(r);
  EXPECT_NE(to_table(r).find("ms_per_job"), std::string::npos);
  // A benchmark needs a new DB: timing a resume as a run would be a wrong number.
  test::expect_error<UsageError>([&] { bench_orchestrator(o); }, {"--db", "exists"});
  o.db.clear();
  o.jobs = 0;
  test::expect_error<UsageError>([&] { bench_orchestrator(o); }, "--jobs");
}

}  // namespace fufi_test_bench_orchestrator
