// Job ids (job_id.cpp): SHA-256 of a documented canonical text that leaves out how a job runs.
#include <gtest/gtest.h>

#include "fufi/orchestrator/job_id.h"

namespace fufi_test_job_id {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

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

// What sweeps hash per seed (issue #17): the text split at the seed's line, the same bytes as the whole text.
TEST(JobId, ConfigurationIdentityHashesTheCanonicalText) {
  Config resolved;
  resolved.set("adam_beta1", "0.9");  // before "seed"
  resolved.set("lr", "0.0003");
  resolved.set("model", "srcnn");
  resolved.set("scaler_x", "1");
  resolved.set("split", "paper");     // after "seed"
  resolved.set("weight_decay", "0");
  resolved.set("threads", "4");       // execution-only: out of both
  const ConfigurationIdentity identity("root:/data", "P1", resolved);
  EXPECT_EQ(identity.group_id(), sha256_hex(job_identity_text("root:/data", "P1", resolved, false)));
  for (std::uint64_t seed : {0ull, 1ull, 42ull, 1ull << 40, 18446744073709551615ull}) {
    Config with_seed = resolved;
    with_seed.set("seed", normalise_value(std::to_string(seed)));
    EXPECT_EQ(identity.job_id(seed), sha256_hex(job_identity_text("root:/data", "P1", with_seed))) << seed;
  }
  resolved.set("seed", "7");  // a seed in the configuration is ignored
  EXPECT_EQ(ConfigurationIdentity("root:/data", "P1", resolved).job_id(3), identity.job_id(3));
  EXPECT_EQ(identity.job_id(1), sha256_hex("fufi-job-v2\ndata=root:/data\ntask=P1\nadam_beta1=0.9\nlr=0.0003\n"
                                           "model=srcnn\nscaler_x=1\nseed=1\nsplit=paper\nweight_decay=0\n"));
}

}  // namespace fufi_test_job_id
