// worker::TrainingStep, the step the engine trains with and `fufi bench train` times: on one rank it is
// exactly forward, loss, backward and LibTorch's Adam; an empty share steps without samples; its options
// are validated.
#include <gtest/gtest.h>

#include "engine_test_util.h"
#include "fufi/core/error.h"
#include "fufi/model/losses.h"
#include "fufi/worker/training_step.h"

namespace fufi_test_training_step {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;

namespace {

model::DataSpec spec() {
  model::DataSpec s;
  s.coarse_h = s.coarse_w = 4;
  s.upscale = 2;
  return s;
}

worker::StepInput batch(std::int64_t n) {
  torch::manual_seed(21);
  auto fine = torch::poisson(torch::rand({n, 1, 8, 8}) * 5.0);
  return {model::block_sum(fine, 2), fine, {}};
}

}  // namespace

TEST(TrainingStep, OneRankIsForwardBackwardAndAdam) {
  const auto in = batch(3);
  auto loss = model::make_loss("mse", Config{}, 1.0);
  torch::manual_seed(2);
  test::TinyConvNet by_hand(spec());
  torch::manual_seed(2);
  test::TinyConvNet stepped(spec());
  torch::optim::Adam adam_hand(by_hand.parameters(), torch::optim::AdamOptions(1e-2));
  torch::optim::Adam adam_step(stepped.parameters(), torch::optim::AdamOptions(1e-2));
  worker::StepOptions options;
  options.adam = worker::AdamImpl::ForLoop;
  auto comm = worker::make_local_communicator();
  worker::TrainingStep step(stepped, loss, adam_step, *comm, options);
  for (int i = 0; i < 4; ++i) {
    adam_hand.zero_grad();
    auto l = loss->forward(by_hand.forward({in.X, {}}).fine, in.Y);
    (l * 1.0).backward();
    adam_hand.step();
    auto got = step.run(in, 3);
    EXPECT_EQ(got.item<float>(), l.item<float>()) << "step " << i;
  }
  auto a = by_hand.parameters(), b = stepped.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
  EXPECT_EQ(step.graph_status(), "off");
  EXPECT_EQ(step.gradient_buckets(), 0u);
}

TEST(TrainingStep, AnEmptyShareStillSteps) {
  auto loss = model::make_loss("mse", Config{}, 1.0);
  torch::manual_seed(2);
  test::TinyConvNet net(spec());
  torch::optim::Adam adam(net.parameters(), torch::optim::AdamOptions(1e-2));
  auto comm = worker::make_local_communicator();
  worker::TrainingStep step(net, loss, adam, *comm, worker::StepOptions{});
  step.run(batch(2), 2);
  const auto before = net.parameters().front().clone();
  auto l = step.run(worker::StepInput{}, 2);  // no samples on this rank: zero gradients, momentum only
  EXPECT_EQ(l.item<double>(), 0.0);
  EXPECT_FALSE(torch::equal(before, net.parameters().front()));  // Adam's momentum still moves it
  EXPECT_THROW(step.run(batch(3), 2), RuntimeError);              // more local than global samples
}

TEST(TrainingStep, CudaGraphsNeedCuda) {
  auto loss = model::make_loss("mse", Config{}, 1.0);
  test::TinyConvNet net(spec());
  torch::optim::Adam adam(net.parameters(), torch::optim::AdamOptions(1e-2));
  auto comm = worker::make_local_communicator();
  worker::StepOptions options;
  options.cuda_graph = true;
  EXPECT_THROW(worker::TrainingStep(net, loss, adam, *comm, options), UsageError);
}

}  // namespace fufi_test_training_step
