// fufi's BatchNorm2d (batch_norm.cpp): torch's BatchNorm2d to the bit (parameters, buffers, state-dict names,
// training and eval outputs, running statistics, with and without momentum), the override hook used by
// SyncBatchNorm only in training mode, and a clear error for a non-4-D input.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/model/batch_norm.h"

namespace fufi_test_batch_norm {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

namespace {

void expect_same_as_torch(const torch::nn::BatchNormOptions& options) {
  BatchNorm2d ours(options);
  torch::nn::BatchNorm2d theirs(options);
  std::vector<std::string> our_names, their_names;
  for (const auto& p : ours->named_parameters()) our_names.push_back(p.key());
  for (const auto& p : theirs->named_parameters()) their_names.push_back(p.key());
  for (const auto& b : ours->named_buffers()) our_names.push_back(b.key());
  for (const auto& b : theirs->named_buffers()) their_names.push_back(b.key());
  EXPECT_EQ(our_names, their_names);
  torch::manual_seed(1);
  for (int step = 0; step < 3; ++step) {
    auto x = torch::randn({4, options.num_features(), 3, 5}) * (step + 1) + step;
    EXPECT_TRUE(torch::equal(ours->forward(x), theirs->forward(x))) << "training step " << step;
  }
  if (options.track_running_stats()) {
    EXPECT_TRUE(torch::equal(ours->running_mean, theirs->running_mean));
    EXPECT_TRUE(torch::equal(ours->running_var, theirs->running_var));
    EXPECT_EQ(ours->num_batches_tracked.item<std::int64_t>(), 3);
    EXPECT_EQ(theirs->num_batches_tracked.item<std::int64_t>(), 3);
  }
  ours->eval();
  theirs->eval();
  auto x = torch::randn({2, options.num_features(), 4, 4});
  EXPECT_TRUE(torch::equal(ours->forward(x), theirs->forward(x))) << "eval";
}

// Counts its calls and returns a marker, so the test sees which forward ran.
class CountingOverride : public BatchNormOverride {
 public:
  torch::Tensor forward(BatchNorm2dImpl&, const torch::Tensor& input) override {
    ++calls;
    return torch::full_like(input, 42.0);
  }
  int calls = 0;
};

}  // namespace

TEST(BatchNorm, MatchesTorchsBatchNorm2dExactly) {
  expect_same_as_torch(torch::nn::BatchNormOptions(3));
  expect_same_as_torch(torch::nn::BatchNormOptions(3).momentum(0.3));
  expect_same_as_torch(torch::nn::BatchNormOptions(3).momentum(c10::nullopt));  // cumulative average
  expect_same_as_torch(torch::nn::BatchNormOptions(2).affine(false));
  expect_same_as_torch(torch::nn::BatchNormOptions(2).track_running_stats(false));
}

TEST(BatchNorm, OverrideRunsInTrainingModeOnly) {
  BatchNorm2d bn(2);
  auto hook = std::make_shared<CountingOverride>();
  EXPECT_FALSE(bn->overridden());
  bn->set_override(hook);
  EXPECT_TRUE(bn->overridden());
  auto x = torch::randn({2, 2, 3, 3});
  EXPECT_TRUE(torch::equal(bn->forward(x), torch::full_like(x, 42.0)));
  EXPECT_EQ(hook->calls, 1);
  bn->eval();
  EXPECT_FALSE(torch::equal(bn->forward(x), torch::full_like(x, 42.0)));
  EXPECT_EQ(hook->calls, 1);
  bn->train();
  bn->set_override(nullptr);
  EXPECT_FALSE(bn->overridden());
  bn->forward(x);
  EXPECT_EQ(hook->calls, 1);
}

TEST(BatchNorm, ANonFourDimensionalInputIsNamed) {
  BatchNorm2d bn(2);
  fufi::test::expect_error<fufi::RuntimeError>([&] { bn->forward(torch::randn({2, 2, 3})); },
                                               {"BatchNorm2d", "4-D", "3 dimensions"});
}

TEST(BatchNorm, PrettyPrintNamesItsOptions) {
  std::ostringstream out;
  BatchNorm2d(torch::nn::BatchNormOptions(5).momentum(c10::nullopt))->pretty_print(out);
  EXPECT_EQ(out.str(), "fufi::model::BatchNorm2d(5, eps=1e-05, momentum=None, affine=true, track_running_stats=true)");
}

}  // namespace fufi_test_batch_norm
