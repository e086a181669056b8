// SyncBatchNorm in one process (a local communicator of one rank): its forward, backward and running statistics
// must equal torch's BatchNorm2d, which is what makes R ranks equal one (test_data_parallel.cpp runs 2 ranks).
#include <gtest/gtest.h>

#include "fufi/core/error.h"
#include "fufi/model/batch_norm.h"
#include "fufi/worker/communicator.h"
#include "fufi/worker/sync_batch_norm.h"

namespace fufi_test_sync_batch_norm {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;

namespace {

struct TwoLayers : torch::nn::Module {
  TwoLayers() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)));
    bn = register_module("bn", model::BatchNorm2d(4));
    bn2 = register_module("bn2", model::BatchNorm2d(torch::nn::BatchNormOptions(4).momentum(c10::nullopt)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return bn2->forward(torch::relu(bn->forward(conv->forward(x)))); }
  torch::nn::Conv2d conv{nullptr};
  model::BatchNorm2d bn{nullptr}, bn2{nullptr};
};

double relative(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / (b.abs().max() + 1e-12)).item<double>();
}

}  // namespace

TEST(SyncBatchNorm, OneRankEqualsTorchBatchNormForwardBackwardAndRunningStatistics) {
  torch::manual_seed(3);
  TwoLayers plain, synced;
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < plain.parameters().size(); ++i) synced.parameters()[i].copy_(plain.parameters()[i]);
    // Non-trivial affine parameters, so that their gradients and the input gradient's weight factor count.
    plain.bn->weight.uniform_(0.5, 1.5);
    plain.bn->bias.uniform_(-0.5, 0.5);
    synced.bn->weight.copy_(plain.bn->weight);
    synced.bn->bias.copy_(plain.bn->bias);
  }
  auto comm = make_local_communicator();
  SyncBatchNorm sync(synced, *comm);
  EXPECT_EQ(sync.layers(), 2u);
  EXPECT_TRUE(synced.bn->overridden());
  for (int step = 0; step < 3; ++step) {
    auto x = torch::randn({5, 3, 6, 7}) * 3 + 1;
    auto target = torch::randn({5, 4, 6, 7});
    plain.zero_grad();
    synced.zero_grad();
    auto xa = x.clone().requires_grad_(true), xb = x.clone().requires_grad_(true);
    auto ya = plain.forward(xa), yb = synced.forward(xb);
    EXPECT_LT(relative(yb, ya), 1e-5) << "forward, step " << step;
    ((ya - target) * (ya - target) * torch::arange(4).view({1, 4, 1, 1})).mean().backward();
    ((yb - target) * (yb - target) * torch::arange(4).view({1, 4, 1, 1})).mean().backward();
    EXPECT_LT(relative(xb.grad(), xa.grad()), 1e-4) << "input gradient, step " << step;
    // The conv bias feeds a BatchNorm, which removes any per-channel shift: its gradient is zero up to
    // rounding, so it is compared against the largest gradient of the step, not its own.
    double scale = 0;
    for (auto& p : plain.parameters()) scale = std::max(scale, p.grad().abs().max().item<double>());
    for (std::size_t i = 0; i < plain.parameters().size(); ++i)
      EXPECT_LT((synced.parameters()[i].grad() - plain.parameters()[i].grad()).abs().max().item<double>(), 1e-5 * scale)
          << "parameter " << i << ", step " << step;
    EXPECT_LT(plain.conv->bias.grad().abs().max().item<double>(), 1e-5 * scale) << "the BatchNorm'd conv bias";
  }
  // Running statistics: momentum 0.1 (bn) and the cumulative average (bn2), unbiased variance, batch counter.
  EXPECT_LT(relative(synced.bn->running_mean, plain.bn->running_mean), 1e-5);
  EXPECT_LT(relative(synced.bn->running_var, plain.bn->running_var), 1e-5);
  EXPECT_LT(relative(synced.bn2->running_mean, plain.bn2->running_mean), 1e-5);
  EXPECT_LT(relative(synced.bn2->running_var, plain.bn2->running_var), 1e-5);
  EXPECT_EQ(synced.bn2->num_batches_tracked.item<std::int64_t>(), 3);
  // Eval mode uses the running statistics, through torch's own forward.
  synced.eval();
  plain.eval();
  auto x = torch::randn({2, 3, 6, 7});
  EXPECT_LT(relative(synced.forward(x), plain.forward(x)), 1e-6);
}

TEST(SyncBatchNorm, RefusesTorchsOwnBatchNormAndIsOffForOneRankOrOff) {
  struct Plain : torch::nn::Module {
    Plain() { register_module("bn", torch::nn::BatchNorm2d(4)); }
  } plain;
  auto local = make_local_communicator();
  try {
    SyncBatchNorm sync(plain, *local);
    ADD_FAILURE() << "a torch::nn::BatchNorm2d was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_NE(e.message().find("1 of the model's 1 BatchNorm layers are torch's own"), std::string::npos)
        << e.message();
  }
  TwoLayers m;
  EXPECT_EQ(count_batch_norm_layers(m), 2u);
  EXPECT_TRUE(make_sync_batch_norm(m, *local, "auto") == nullptr);  // one rank: nothing to synchronise
  {
    SyncBatchNorm sync(m, *local);
    EXPECT_TRUE(m.bn->overridden());
  }
  EXPECT_FALSE(m.bn->overridden());  // removed with the SyncBatchNorm
}

}  // namespace fufi_test_sync_batch_norm
