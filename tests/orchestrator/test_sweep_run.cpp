// run_sweep's choices (sweep_run.cpp) without mpirun: options checked, the local path, the default places.
// Under mpirun the roles, communicators and messages are tested by mpi_sweep.sh (ctest mpi_sweep) and
// tests/orchestrator/mpi/test_mpi_transport.cpp (ctest mpi_transport).
#include <gtest/gtest.h>

#include "fufi/data/synth.h"

#include <filesystem>
#include <sstream>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/orchestrator/sweep_run.h"
#include "scratch_dir.h"

namespace fufi_test_sweep_run {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace fufi;
using namespace fufi::orchestrator;

TEST(SweepRun, DefaultDirectoriesSitNextToTheDatabase) {
  EXPECT_EQ(default_runs_dir("/x/y/results.db"), "/x/y/runs");
  EXPECT_EQ(default_data_cache("/x/y/../z/results.db"), "/x/z/data");
  EXPECT_EQ(default_runs_dir("results.db"), (fs::current_path() / "runs").string());
}

TEST(SweepRun, BadOptionsAreUsageErrorsBeforeAnythingRuns) {
  SweepRunOptions o;
  o.db_path = "unused.db";
  std::ostringstream out, err;
  bool loaded = false;
  auto load = [&]() -> Sweep {
    loaded = true;
    return {};
  };
  auto runner = make_runner("noop");
  o.ranks_per_job = 0;
  test::expect_error<UsageError>([&] { run_sweep(load, o, *runner, out, err); }, "--ranks-per-job must be >= 1, got 0");
  o.ranks_per_job = 1;
  o.jobs_per_gpu = 0;
  test::expect_error<UsageError>([&] { run_sweep(load, o, *runner, out, err); }, "--jobs-per-gpu");
  test::expect_error<UsageError>([&] { run_sweep_file("x.toml", {}, o, "bogus", out, err); }, "--runner");
  EXPECT_FALSE(loaded);
  EXPECT_FALSE(fs::exists("unused.db"));
}

TEST(SweepRun, AloneTheProcessRunsEveryJobAndSaysSo) {
  test::ScratchDir dir("sweep_run_local");
  SweepRunOptions o;
  o.db_path = dir / "results.db";
  o.quiet = true;
  std::ostringstream out, err;
  const auto load = [] {
    return parse_sweep("seeds = 3\n[data]\nsynthetic = \"small\"\ncoarse_size = 8\nupscale = 4\nsamples_per_task = 20\n"
                       "[axes]\nmodel = \"uniform\"\ntask = \"P1\"\n",
                       "local.toml");
  };
  EXPECT_EQ(run_sweep(load, o, *make_runner("noop"), out, err), 0);
  EXPECT_NE(out.str().find("sweep local: 3 jobs: 3 done (3 this run), 0 failed"), std::string::npos) << out.str();
  EXPECT_TRUE(fs::is_directory(dir / ("data/synthetic-small-seed2026-8x4-n20-g" +
                                       std::to_string(data::kSynthGeneratorVersion) + "/P1")));
  EXPECT_FALSE(fs::exists(dir / "runs"));  // the no-op runner reports nothing: no run directories
}

}  // namespace fufi_test_sweep_run
