// The `historical` naive model: shares fitted from the training split, exact spatial constraint,
// uniform fallback for blocks that never carried flow, per-channel shares, checkpointable state.
#include <gtest/gtest.h>

#include <sstream>

#include "fufi/core/error.h"
#include "fufi/model.h"

using namespace fufi::model;

namespace {

fufi::Config with(std::vector<std::string> items) { return fufi::Config::from_assignments(items, "test"); }

// 1 channel, a 1×2 coarse grid of 2×2 blocks.
DataSpec two_block_spec() {
  DataSpec spec;
  spec.coarse_h = 1;
  spec.coarse_w = 2;
  spec.upscale = 2;
  return spec;
}

// Two training samples; only the left block ever carries flow.
//   sample 0, left block [[4,0],[0,0]] (sum 4); sample 1, left block [[0,1],[0,0]] (sum 1).
torch::Tensor two_block_fine() {
  auto fine = torch::zeros({2, 1, 2, 4});
  fine[0][0][0][0] = 4;
  fine[1][0][0][1] = 1;
  return fine;
}

}  // namespace

TEST(Historical, IsFittedNotTrained) {
  auto model = ModelRegistry::instance().create("historical", two_block_spec(), {});
  EXPECT_TRUE(model->needs_fit());
  EXPECT_FALSE(model->trainable());
  EXPECT_EQ(count_parameters(*model), 0);
  try {
    model->forward({torch::ones({1, 1, 1, 2}), {}});
    FAIL() << "forward before fit";
  } catch (const fufi::RuntimeError& e) {
    EXPECT_NE(e.message().find("not been fitted"), std::string::npos) << e.message();
  }
}

TEST(Historical, FlowWeightedSharesAndUniformFallback) {
  auto spec = two_block_spec();
  spec.scaler_ratio = 0.5;
  auto model = ModelRegistry::instance().create("historical", spec, {});
  auto fine = two_block_fine();
  model->fit(block_sum(fine, 2), fine);
  auto coarse = torch::tensor({10.f, 8.f}).view({1, 1, 1, 2});
  auto out = model->forward({coarse, {}}).fine;
  // Left block: (4 + 1) trips, 4 in the top-left cell → shares 0.8, 0.2, 0, 0 of 10 · 0.5.
  auto expected = torch::tensor({{4.f, 1.f, 1.f, 1.f}, {0.f, 0.f, 1.f, 1.f}}).view({1, 1, 2, 4});
  // Right block never carried flow in training: uniform quarters of 8 · 0.5.
  EXPECT_TRUE(torch::allclose(out, expected)) << out;
}

TEST(Historical, SampleWeightedSharesAverageEachSamplesShare) {
  auto model = ModelRegistry::instance().create("historical", two_block_spec(), with({"weighting=sample"}));
  auto fine = two_block_fine();
  model->fit(block_sum(fine, 2), fine);
  auto out = model->forward({torch::tensor({10.f, 8.f}).view({1, 1, 1, 2}), {}}).fine;
  // Left block: shares (1,0,0,0) and (0,1,0,0) averaged → 0.5, 0.5.
  auto expected = torch::tensor({{5.f, 5.f, 2.f, 2.f}, {0.f, 0.f, 2.f, 2.f}}).view({1, 1, 2, 4});
  EXPECT_TRUE(torch::allclose(out, expected)) << out;
}

TEST(Historical, UnknownWeightingIsAUsageError) {
  EXPECT_THROW(ModelRegistry::instance().create("historical", two_block_spec(), with({"weighting=median"})),
               fufi::UsageError);
}

TEST(Historical, FitRejectsMapsOfTheWrongShape) {
  auto model = ModelRegistry::instance().create("historical", two_block_spec(), {});
  auto wrong = torch::zeros({2, 1, 4, 4});
  EXPECT_THROW(model->fit(block_sum(wrong, 2), wrong), fufi::InputError);
}

TEST(Historical, ConstraintHoldsPerChannelAndItBeatsUniformOnAStaticLayout) {
  torch::manual_seed(21);
  DataSpec spec;
  spec.flow_channels = 2;
  spec.coarse_h = 4;
  spec.coarse_w = 4;
  spec.upscale = 4;
  // Each channel has its own fixed layout; flows are noisy integer draws on it.
  auto layout = torch::rand({1, 2, 16, 16}).pow(3) * 10;
  auto draw = [&](std::int64_t n) {
    return torch::floor(layout * torch::empty({n, 2, 16, 16}).exponential_(1.0));
  };
  auto train = draw(200), test = draw(50);
  auto historical = ModelRegistry::instance().create("historical", spec, {});
  historical->fit(block_sum(train, 4), train);
  auto uniform = ModelRegistry::instance().create("uniform", spec, {});
  auto coarse = block_sum(test, 4);
  auto predicted = historical->forward({coarse, {}}).fine;
  EXPECT_TRUE(torch::allclose(block_sum(predicted, 4), coarse, 1e-5, 1e-3));
  auto mse_historical = torch::mse_loss(predicted, test).item<double>();
  auto mse_uniform = torch::mse_loss(uniform->forward({coarse, {}}).fine, test).item<double>();
  EXPECT_LT(mse_historical, 0.8 * mse_uniform);
}

TEST(Historical, FittedSharesTravelWithTheCheckpoint) {
  auto spec = two_block_spec();
  auto fitted = ModelRegistry::instance().create("historical", spec, {});
  auto fine = two_block_fine();
  fitted->fit(block_sum(fine, 2), fine);
  std::stringstream stream;
  torch::serialize::OutputArchive out;
  fitted->save(out);
  out.save_to(stream);
  auto restored = ModelRegistry::instance().create("historical", spec, {});
  torch::serialize::InputArchive in;
  in.load_from(stream);
  restored->load(in);
  auto coarse = torch::tensor({3.f, 7.f}).view({1, 1, 1, 2});
  EXPECT_TRUE(torch::equal(restored->forward({coarse, {}}).fine, fitted->forward({coarse, {}}).fine));
}
