// bench/src/op_profile.cpp: operators by self time (what `fufi bench ... --profile` prints). Timings are never
// asserted; what is tested is what the profile attributes and how.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <thread>

#include "fufi/bench/op_profile.h"
#include "fufi/core/error.h"

namespace fufi_test_op_profile {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;

TEST(OpProfile, AttributesAConvolutionsTimeToItsKernelAndSelfTimesNest) {
  torch::manual_seed(1);
  auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 8, 3).padding(1));
  auto x = torch::rand({4, 8, 32, 32}, torch::requires_grad());
  std::vector<bench::OpShare> shares;
  {
    bench::OpProfile profile;
    for (int i = 0; i < 3; ++i) conv->forward(x).sum().backward();
    shares = profile.top(50, 3, 1000.0);
  }
  ASSERT_FALSE(shares.empty());
  bool saw_convolution = false, saw_backward = false;
  double total = 0;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const auto& s = shares[i];
    if (s.name.find("convolution") != std::string::npos) saw_convolution = true;
    if (s.name.find("Backward") != std::string::npos) saw_backward = true;
    EXPECT_GE(s.self_ms, 0.0) << s.name;
    EXPECT_GE(s.calls, 1) << s.name;
    EXPECT_DOUBLE_EQ(s.share, s.self_ms / 1000.0) << s.name;
    if (i > 0) EXPECT_LE(s.self_ms, shares[i - 1].self_ms) << "sorted by self time";
    total += s.self_ms;
  }
  EXPECT_TRUE(saw_convolution);
  EXPECT_TRUE(saw_backward);
  EXPECT_LE(shares.size(), 50u);
  // Self times never count a nested call twice, so per step they sum to less than the step's wall time; these
  // steps take milliseconds, far below the 1000 ms step the shares were computed against.
  EXPECT_LT(total, 1000.0);
}

TEST(OpProfile, OneAtATimeAndNothingRecordedOnceStopped) {
  auto a = torch::rand({64, 64});
  {
    bench::OpProfile profile;
    EXPECT_THROW(bench::OpProfile second, fufi::UsageError);
    (void)torch::mm(a, a);
    const auto shares = profile.top(10, 1, 1.0);
    ASSERT_FALSE(shares.empty());
    EXPECT_EQ(shares.front().name.rfind("aten::", 0), 0u) << shares.front().name;
  }
  bench::OpProfile later;  // the first one stopped: a new one may start, and sees only its own operators
  EXPECT_TRUE(later.top(10, 1, 1.0).empty());
  EXPECT_THROW(later.top(10, 0, 1.0), fufi::UsageError);
}

TEST(OpProfile, TableListsTheOperatorsAndTheirTotal) {
  std::vector<bench::OpShare> shares{{"aten::mkldnn_convolution", 6.0, 4, 0.6}, {"aten::add_", 1.0, 10, 0.1}};
  const auto table = bench::to_table(shares, 10.0);
  EXPECT_NE(table.find("| aten::mkldnn_convolution | 6.00 | 60.0 % | 4 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| (the listed operators) | 7.00 | 70.0 % | |"), std::string::npos) << table;
}

}  // namespace fufi_test_op_profile
