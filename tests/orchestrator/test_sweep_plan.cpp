// `fufi sweep --plan` (sweep_plan.cpp): the jobs, their state in a DB, and the counts.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fufi/orchestrator/sweep_plan.h"
#include "fufi/orchestrator/sweep_run.h"
#include "scratch_dir.h"

namespace fufi_test_sweep_plan {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

TEST(SweepPlan, ListsNewJobsThenTheirStateAfterARun) {
  test::ScratchDir dir("sweep_plan");
  const std::string file = dir / "plan.toml";
  std::ofstream(file) << "seeds = 2\n[data]\nsynthetic = \"small\"\ncoarse_size = 8\nupscale = 4\nsamples_per_task = 20\n"
                         "[training]\nepochs = 3\n[axes]\nmodel = \"uniform\"\ntask = \"P1\"\n";
  SweepPlanOptions o;
  o.file = file;
  o.db = dir / "results.db";
  o.format = "csv";
  std::ostringstream out, err;
  EXPECT_EQ(show_sweep_plan(o, out, err), 0);
  EXPECT_NE(out.str().find("#,job,model,task,variant,seed,epochs,status,attempts"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(",uniform,P1,,1,3,new,0"), std::string::npos) << out.str();
  EXPECT_NE(err.str().find("plan: 2 jobs (1 configurations): 0 done, 0 failed, 2 to run"), std::string::npos) << err.str();

  SweepRunOptions run;
  run.db_path = o.db;
  run.quiet = true;
  std::ostringstream run_out, run_err;
  ASSERT_EQ(run_sweep_file(file, {}, run, "noop", run_out, run_err), 0) << run_err.str();
  std::ostringstream out2, err2;
  show_sweep_plan(o, out2, err2);
  EXPECT_NE(out2.str().find(",uniform,P1,,2,3,done,1"), std::string::npos) << out2.str();
  EXPECT_NE(err2.str().find("2 done, 0 failed, 0 to run"), std::string::npos) << err2.str();
}

}  // namespace fufi_test_sweep_plan
