// Job ids (job_id.cpp): SHA-256 of a documented canonical text that leaves out how a job runs.
#include <gtest/gtest.h>

#include "fufi/orchestrator/job_id.h"

using namespace fufi;
using namespace fufi::orchestrator;

TEST(JobId, CanonicalTextIsSortedVersionedAndLeavesOutExecutionKeys) {
  Config resolved;
  resolved.set("seed", "3");
  resolved.set("lr", "0.0003");
  resolved.set("model", "srcnn");
  resolved.set("threads", "4");   // how the job runs: not part of what it is
  resolved.set("device", "cpu");
  EXPECT_EQ(job_identity_text("root:/data", "P1", resolved),
            "fufi-job-v2\ndata=root:/data\ntask=P1\nlr=0.0003\nmodel=srcnn\nseed=3\n");
  EXPECT_EQ(job_identity_text("root:/data", "P1", resolved, /*with_seed=*/false),
            "fufi-job-v2\ndata=root:/data\ntask=P1\nlr=0.0003\nmodel=srcnn\n");
}

TEST(JobId, NumbersHaveOneSpelling) {
  EXPECT_EQ(normalise_value("3e-4"), "0.0003");
  EXPECT_EQ(normalise_value("64.0"), "64");
  EXPECT_EQ(normalise_value("dualfocal"), "dualfocal");
  EXPECT_EQ(normalise_value(""), "");
}
