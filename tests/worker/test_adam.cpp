// Adam's three implementations (worker/adam.h): foreach is bitwise LibTorch's for-loop Adam on the CPU, with
// weight decay and with parameters that miss gradients; their state is the optimizer's own, so a checkpoint
// written under one continues under the other; fused and unknown names are clear errors on the CPU.
#include <gtest/gtest.h>

#include "fufi/core/error.h"
#include "fufi/worker/adam.h"

namespace fufi_test_adam {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;

namespace {

struct AdamRun {
  std::vector<torch::Tensor> params;
  std::unique_ptr<torch::optim::Adam> adam;
};

AdamRun make_run(double weight_decay) {
  torch::manual_seed(1);
  AdamRun r;
  r.params = {torch::randn({4, 3}).requires_grad_(), torch::randn({5}).requires_grad_(),
              torch::randn({2, 2, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_()};
  r.adam = std::make_unique<torch::optim::Adam>(
      r.params, torch::optim::AdamOptions(3e-3).betas({0.9, 0.99}).weight_decay(weight_decay));
  return r;
}

// Gradients of step `i`: deterministic, and parameter 1 gets none on odd steps (an unused branch).
void set_gradients(AdamRun& r, int i) {
  torch::manual_seed(100 + i);
  for (std::size_t k = 0; k < r.params.size(); ++k) {
    if (k == 1 && i % 2 == 1) {
      r.params[k].mutable_grad() = torch::Tensor();
      continue;
    }
    r.params[k].mutable_grad() = torch::randn(r.params[k].sizes()) * (1.0 + static_cast<double>(k));
  }
}

void expect_bitwise_equal(const AdamRun& a, const AdamRun& b) {
  for (std::size_t k = 0; k < a.params.size(); ++k)
    EXPECT_TRUE(torch::equal(a.params[k], b.params[k])) << "parameter " << k;
}

}  // namespace

TEST(Adam, ForeachIsBitwiseTheForLoopOnTheCpu) {
  for (double wd : {0.0, 0.01}) {
    AdamRun loop = make_run(wd), foreach_run = make_run(wd);
    worker::AdamStepper loop_step(worker::AdamImpl::ForLoop), foreach_step(worker::AdamImpl::Foreach);
    for (int i = 0; i < 7; ++i) {
      set_gradients(loop, i);
      set_gradients(foreach_run, i);
      loop_step.step(*loop.adam);
      foreach_step.step(*foreach_run.adam);
    }
    expect_bitwise_equal(loop, foreach_run);
    // The parameter that missed steps has its own step count, as in LibTorch.
    auto& state = static_cast<torch::optim::AdamParamState&>(*foreach_run.adam->state().begin()->second);
    EXPECT_GT(state.step(), 0);
  }
}

TEST(Adam, StateWrittenByOneImplementationContinuesUnderTheOther) {
  AdamRun straight = make_run(0.0), mixed = make_run(0.0);
  worker::AdamStepper loop_step(worker::AdamImpl::ForLoop), foreach_step(worker::AdamImpl::Foreach);
  for (int i = 0; i < 6; ++i) {
    set_gradients(straight, i);
    loop_step.step(*straight.adam);
    set_gradients(mixed, i);
    (i < 3 ? foreach_step : loop_step).step(*mixed.adam);
  }
  expect_bitwise_equal(straight, mixed);
}

TEST(Adam, ErrorsNameTheKey) {
  try {
    worker::parse_adam_impl("fusde");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("adam_impl"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fused"), std::string::npos) << e.what();
  }
  EXPECT_EQ(worker::parse_adam_impl("foreach"), worker::AdamImpl::Foreach);
  EXPECT_STREQ(worker::to_string(worker::AdamImpl::Fused), "fused");
  AdamRun r = make_run(0.0);
  set_gradients(r, 0);
  worker::AdamStepper fused(worker::AdamImpl::Fused);
  EXPECT_THROW(fused.step(*r.adam), UsageError);  // CPU parameters (or a LibTorch < 2.0)
}

}  // namespace fufi_test_adam
