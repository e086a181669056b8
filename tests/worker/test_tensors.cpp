// A dataset as tensors (tensors.cpp): arrays moved into float32 tensors and divided by the scalers, the
// DataSpec a model is built from (scaler ratio, the training split's hour range for hour-specific heads), a
// missing split named, and metrics accumulated in raw counts.
#include <gtest/gtest.h>

#include <cmath>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/worker/tensors.h"

namespace fufi_test_tensors {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;

namespace {

data::NpyArray array(std::vector<std::int64_t> shape, std::vector<float> values) {
  data::NpyArray a;
  a.shape = std::move(shape);
  a.values = std::move(values);
  return a;
}

// One channel, 1x1 coarse cells of 2x2 blocks; `hours` gives the samples' hours (ext when not empty).
data::SplitArrays split(const std::string& name, const std::vector<float>& hours, float base) {
  data::SplitArrays s;
  s.name = name;
  const auto n = static_cast<std::int64_t>(hours.size());
  std::vector<float> x, y, ext;
  for (std::int64_t i = 0; i < n; ++i) {
    x.push_back(4 * (base + static_cast<float>(i)));
    for (int c = 0; c < 4; ++c) y.push_back(base + static_cast<float>(i));
    for (float v : {0.5f, 0.5f, 0.f, 1.f, 3.f, hours[static_cast<std::size_t>(i)], 2.f}) ext.push_back(v);
  }
  s.X = array({n, 1, 1, 1}, x);
  s.Y = array({n, 1, 2, 2}, y);
  s.ext = array({n, 7}, ext);
  return s;
}

data::FufiData dataset() {
  data::FufiData d;
  d.dir = "/data/P1";
  d.layout.coarse_h = d.layout.coarse_w = 1;
  d.layout.upscale = 2;
  d.layout.ext_dim = 7;
  d.splits["test"] = split("test", {6, 23}, 100);  // hours outside the training range: not the heads' range
  d.splits["train"] = split("train", {8, 12, 20}, 1);
  d.splits["valid"] = split("valid", {9, 10}, 10);
  return d;
}

}  // namespace

TEST(Tensors, ArraysBecomeScaledFloatTensors) {
  auto data = dataset();
  auto t = to_tensors(std::move(data), Scalers{2.0, 4.0});
  ASSERT_EQ(t.splits.size(), 3u);
  const auto& train = t.split("train");
  EXPECT_EQ(train.size(), 3);
  EXPECT_EQ(train.X.sizes(), (std::vector<std::int64_t>{3, 1, 1, 1}));
  EXPECT_EQ(train.Y.sizes(), (std::vector<std::int64_t>{3, 1, 2, 2}));
  EXPECT_EQ(train.X.scalar_type(), torch::kFloat32);
  EXPECT_FLOAT_EQ(train.X[1][0][0][0].item<float>(), 4 * 2.0f / 2.0f);  // X / scaler_x
  EXPECT_FLOAT_EQ(train.Y[1][0][1][1].item<float>(), 2.0f / 4.0f);      // Y / scaler_y
  EXPECT_FLOAT_EQ(train.ext[2][5].item<float>(), 20.0f);                // ext stays raw
  // The arrays were moved, not copied.
  EXPECT_TRUE(data.splits["train"].X.values.empty());
}

TEST(Tensors, SpecTakesTheScalerRatioAndTheTrainingHours) {
  auto t = to_tensors(dataset(), Scalers{3.0, 1.5});
  const auto spec = t.spec();
  EXPECT_EQ(spec.flow_channels, 1);
  EXPECT_EQ(spec.upscale, 2);
  EXPECT_EQ(spec.ext_dim, 7);
  EXPECT_DOUBLE_EQ(spec.scaler_ratio, 2.0);
  // The training split's hours 8..20 define the heads, whatever the test split holds (6, 23).
  EXPECT_EQ(spec.hour_offset, 8);
  EXPECT_EQ(spec.hour_slots, 13);
}

TEST(Tensors, BadScalersAndMissingSplitsAreNamed) {
  test::expect_error<UsageError>([] { to_tensors(dataset(), Scalers{0.0, 1.0}); }, {"scalers must be positive", "scaler_x=0"});
  auto t = to_tensors(dataset(), Scalers{});
  test::expect_error<UsageError>([&] { t.split("holdout"); }, {"/data/P1", "split 'holdout' was not loaded"});
}

TEST(Tensors, MetricsAreOnRawCountsAndShapesMustMatch) {
  data::MetricAccumulator acc;
  // Scaled prediction 1 vs target 2 in every cell, scale 10: raw error 10 per cell.
  accumulate_metrics(acc, torch::ones({2, 1, 2, 2}), torch::full({2, 1, 2, 2}, 2.0), 10.0);
  EXPECT_EQ(acc.count(), 8u);
  const auto m = acc.result();
  EXPECT_DOUBLE_EQ(m.mse, 100.0);
  EXPECT_DOUBLE_EQ(m.mae, 10.0);
  // Non-contiguous and float64 inputs are converted, not misread.
  data::MetricAccumulator strided;
  auto p = torch::ones({2, 2}, torch::kFloat64).t();
  accumulate_metrics(strided, p, torch::zeros({2, 2}), 1.0);
  EXPECT_DOUBLE_EQ(strided.result().mae, 1.0);
  test::expect_error<RuntimeError>([&] { accumulate_metrics(acc, torch::ones({2}), torch::ones({3}), 1.0); },
                                   "prediction shape");
}

}  // namespace fufi_test_tensors
