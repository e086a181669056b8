// The naive models (naive.cpp): `uniform` spreads each coarse cell evenly; the `historical` model: shares fitted from the training split, exact spatial constraint,
// uniform fallback for blocks that never carried flow, per-channel shares, checkpointable state, and the
// per-hour / per-weather-class shares with their fallbacks, against values computed by hand.
#include <gtest/gtest.h>

#include <array>
#include <sstream>

#include "fufi/core/error.h"
#include "fufi/model.h"

namespace fufi_test_naive {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

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

// Four training samples with ext, for the context modes (fine maps (N,1,2,4): left block columns 0-1,
// right block columns 2-3):
//   s0 hour 8,  Sunny (1):      left [[4,0],[0,0]] (4)   right [[1,1],[0,0]] (2)
//   s1 hour 8,  Sprinkle (5):   left [[0,1],[0,0]] (1)   right empty
//   s2 hour 20, LightSnow (12): left [[0,0],[3,3]] (6)   right empty
//   s3 hour 20, Sunny (1):      both blocks empty
// Static shares: left (4,1,3,3)/11, right (1,1,0,0)/2.
struct ContextData {
  torch::Tensor fine = torch::zeros({4, 1, 2, 4});
  torch::Tensor ext = torch::zeros({4, 7});
  ContextData() {
    fine[0][0][0][0] = 4;
    fine[0][0][0][2] = 1;
    fine[0][0][0][3] = 1;
    fine[1][0][0][1] = 1;
    fine[2][0][1][0] = 3;
    fine[2][0][1][1] = 3;
    const float hour[] = {8, 8, 20, 20}, weather[] = {1, 5, 12, 1};
    for (int i = 0; i < 4; ++i) {
      ext[i][4] = 3;  // Wednesday
      ext[i][5] = hour[i];
      ext[i][6] = weather[i];
    }
  }
};

DataSpec context_spec() {
  auto spec = two_block_spec();
  spec.ext_dim = 7;
  return spec;
}

// One test sample: coarse (11, 4), at `hour` in `weather`.
torch::Tensor predict(FufiModel& model, float hour, float weather) {
  auto ext = torch::zeros({1, 7});
  ext[0][4] = 3;
  ext[0][5] = hour;
  ext[0][6] = weather;
  return model.forward({torch::tensor({11.f, 4.f}).view({1, 1, 1, 2}), ext}).fine;
}

// The fine map (1,1,2,4) from its two blocks, each given as (top-left, top-right, bottom-left, bottom-right).
torch::Tensor blocks(std::array<float, 4> left, std::array<float, 4> right) {
  return torch::tensor({left[0], left[1], right[0], right[1], left[2], left[3], right[2], right[3]}).view({1, 1, 2, 4});
}

std::shared_ptr<FufiModel> fitted_context_model(const std::vector<std::string>& config) {
  auto model = ModelRegistry::instance().create("historical", context_spec(), with(config));
  ContextData d;
  model->fit(block_sum(d.fine, 2), d.fine, d.ext);
  return model;
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

TEST(HistoricalByHour, SharesPerHourByHandWithStaticFallback) {
  auto model = fitted_context_model({"by_hour=true"});
  EXPECT_EQ(count_parameters(*model), 0);
  EXPECT_FALSE(model->trainable());
  // Hour 8 (s0, s1): left (4,1,0,0)/5 of 11; right (1,1,0,0)/2 of 4.
  auto at8 = predict(*model, 8, 1);
  EXPECT_TRUE(torch::allclose(at8, blocks({8.8f, 2.2f, 0, 0}, {2, 2, 0, 0}))) << at8;
  // Hour 20 (s2, s3): left (0,0,3,3)/6; the right block never carried flow at 20: the static share (1,1,0,0)/2.
  auto at20 = predict(*model, 20, 1);
  EXPECT_TRUE(torch::allclose(at20, blocks({0, 0, 5.5f, 5.5f}, {2, 2, 0, 0}))) << at20;
  // Hour 3 is absent from training: the static share everywhere, left (4,1,3,3)/11 of 11.
  auto at3 = predict(*model, 3, 1);
  EXPECT_TRUE(torch::allclose(at3, blocks({4, 1, 3, 3}, {2, 2, 0, 0}))) << at3;
  // The weather does not matter to by_hour alone; the spatial constraint holds exactly.
  EXPECT_TRUE(torch::equal(predict(*model, 8, 12), at8));
  EXPECT_TRUE(torch::allclose(block_sum(at20, 2), torch::tensor({11.f, 4.f}).view({1, 1, 1, 2})));
}

TEST(HistoricalByHour, SampleWeightingAveragesThatHoursShares) {
  auto model = fitted_context_model({"by_hour=true", "weighting=sample"});
  // Hour 8, left: per-sample shares (1,0,0,0) and (0,1,0,0) average to (0.5,0.5,0,0); right: s0's only.
  auto at8 = predict(*model, 8, 1);
  EXPECT_TRUE(torch::allclose(at8, blocks({5.5f, 5.5f, 0, 0}, {2, 2, 0, 0}))) << at8;
}

TEST(HistoricalByWeather, SharesPerWeatherClassAndPerHourAndClass) {
  auto by_weather = fitted_context_model({"by_weather=true"});
  // Clear (s0, s3): left (1,0,0,0); rain (s1, Sprinkle): left (0,1,0,0), right unseen -> static;
  // snow (s2): left (0,0,.5,.5); haze never seen: static.
  EXPECT_TRUE(torch::allclose(predict(*by_weather, 20, 2), blocks({11, 0, 0, 0}, {2, 2, 0, 0})));
  EXPECT_TRUE(torch::allclose(predict(*by_weather, 8, 7), blocks({0, 11, 0, 0}, {2, 2, 0, 0})));
  EXPECT_TRUE(torch::allclose(predict(*by_weather, 8, 14), blocks({0, 0, 5.5f, 5.5f}, {2, 2, 0, 0})));
  EXPECT_TRUE(torch::allclose(predict(*by_weather, 8, 16), blocks({4, 1, 3, 3}, {2, 2, 0, 0})));

  auto both = fitted_context_model({"by_hour=true", "by_weather=true"});
  // (8, clear) = s0 alone; (8, rain) = s1 alone, its unseen right block -> hour 8's share;
  // (8, snow) unseen -> hour 8's share; (20, clear) = s3 (empty) -> hour 20's share, right -> static.
  EXPECT_TRUE(torch::allclose(predict(*both, 8, 1), blocks({11, 0, 0, 0}, {2, 2, 0, 0})));
  EXPECT_TRUE(torch::allclose(predict(*both, 8, 4), blocks({0, 11, 0, 0}, {2, 2, 0, 0})));
  EXPECT_TRUE(torch::allclose(predict(*both, 8, 13), blocks({8.8f, 2.2f, 0, 0}, {2, 2, 0, 0})));
  EXPECT_TRUE(torch::allclose(predict(*both, 20, 1), blocks({0, 0, 5.5f, 5.5f}, {2, 2, 0, 0})));
}

TEST(HistoricalByHour, NeedsExtAndSaysSo) {
  // No ext in the data: refused when created, naming the key.
  try {
    ModelRegistry::instance().create("historical", two_block_spec(), with({"by_hour=true"}));
    FAIL() << "by_hour without ext";
  } catch (const fufi::UsageError& e) {
    EXPECT_NE(e.message().find("by_hour=true"), std::string::npos) << e.message();
  }
  auto model = ModelRegistry::instance().create("historical", context_spec(), with({"by_hour=true"}));
  ContextData d;
  // fit() without the training split's ext.
  EXPECT_THROW(model->fit(block_sum(d.fine, 2), d.fine), fufi::UsageError);
  // ext of the wrong length.
  EXPECT_THROW(model->fit(block_sum(d.fine, 2), d.fine, d.ext.slice(0, 0, 3)), fufi::InputError);
  model->fit(block_sum(d.fine, 2), d.fine, d.ext);
  // forward() without ext.
  EXPECT_THROW(model->forward({torch::ones({1, 1, 1, 2}), {}}), fufi::InputError);
  EXPECT_THROW(ModelRegistry::instance().create("historical", context_spec(), with({"by_hour=maybe"})), fufi::UsageError);
}

TEST(HistoricalByHour, PerHourSharesTravelWithTheCheckpoint) {
  auto fitted = fitted_context_model({"by_hour=true", "by_weather=true"});
  std::stringstream stream;
  torch::serialize::OutputArchive out;
  fitted->save(out);
  out.save_to(stream);
  auto restored = ModelRegistry::instance().create("historical", context_spec(), with({"by_hour=true", "by_weather=true"}));
  torch::serialize::InputArchive in;
  in.load_from(stream);
  restored->load(in);
  for (float hour : {8.f, 20.f, 3.f})
    for (float weather : {1.f, 5.f, 12.f})
      EXPECT_TRUE(torch::equal(restored->forward({torch::tensor({11.f, 4.f}).view({1, 1, 1, 2}), [&] {
                                  auto e = torch::zeros({1, 7});
                                  e[0][5] = hour;
                                  e[0][6] = weather;
                                  return e;
                                }()}).fine,
                               predict(*fitted, hour, weather)))
          << "hour " << hour << " weather " << weather;
}

TEST(Uniform, SpreadsEachCoarseCellEvenly) {
  DataSpec spec;
  spec.coarse_h = 2;
  spec.coarse_w = 3;
  spec.upscale = 2;
  spec.scaler_ratio = 2.0;
  auto m = ModelRegistry::instance().create("uniform", spec, {});
  EXPECT_EQ(count_parameters(*m), 0);
  EXPECT_FALSE(m->trainable());
  auto x = torch::arange(6, torch::kFloat32).reshape({1, 1, 2, 3});
  auto y = m->forward({x, {}}).fine;
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 1, 4, 6}));
  // Each fine cell holds coarse * scale / 4; blocks sum back to coarse * scale.
  EXPECT_FLOAT_EQ(y[0][0][3][5].item<float>(), 5.0f * 2.0f / 4.0f);
  EXPECT_TRUE(torch::allclose(block_sum(y, 2), x * 2.0));
}

}  // namespace fufi_test_naive
