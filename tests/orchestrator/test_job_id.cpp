// Job ids (job_id.cpp): SHA-256 of a documented canonical text that leaves out how a job runs.
#include <gtest/gtest.h>

#include "fufi/orchestrator/job_id.h"

using namespace fufi;
using namespace fufi::orchestrator;

TEST(JobId, Sha256OfKnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

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
