// Applying a checkpoint (inference.cpp, `fufi infer`): the test split's metrics again from best.ckpt, whatever the
// batching; ext required when the model was built with it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/data/metrics.h"
#include "fufi/worker/inference.h"

namespace fufi_test_inference {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;
using namespace fufi::test;

class Inference : public ::testing::Test {
 protected:
  void SetUp() override { fufi::test::register_tiny_convnet(); }
};

TEST_F(Inference, InferReproducesTheTestMetrics) {
  auto dir = fresh_dir("infer");
  auto r = train("test_tiny_convnet", kTiny, dir);
  ASSERT_EQ(r.status, "done") << r.error;
  const auto data = test::tiny_dataset("shared");
  InferenceOptions o;
  o.checkpoint = dir + "/best.ckpt";
  o.coarse = data + "/test/X.npy";
  o.out = dir + "/pred.npy";
  o.threads = 1;
  o.batch = 3;  // a different batching than the engine's must not matter
  // The model was built for data with external factors: inference without them is refused.
  EXPECT_THROW(run_inference(o), fufi::UsageError);
  o.ext = data + "/test/ext.npy";
  auto s = run_inference(o);
  EXPECT_LT(s.max_block_sum_error, 1e-2);
  auto m = data::evaluate_npy_files(o.out, data + "/test/Y.npy");
  EXPECT_NEAR(m.mse, r.test.mse, 1e-5 * r.test.mse);
  EXPECT_NEAR(m.mae, r.test.mae, 1e-5 * r.test.mae);
  EXPECT_NEAR(m.mape, r.test.mape, 1e-5 * r.test.mape);
}

}  // namespace fufi_test_inference
