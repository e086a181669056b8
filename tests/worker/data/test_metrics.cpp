#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "fufi/core/error.h"
#include "fufi/data/metrics.h"
#include "fufi/data/npy.h"

namespace fufi_test_metrics {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::data;

TEST(Metrics, MatchHandComputedValues) {
  // errors: 1, -2, 0, 3 ; targets 0 (-> 1 in MAPE), 4, 5, 6
  const std::vector<float> pred{1, 2, 5, 9};
  const std::vector<float> target{0, 4, 5, 6};
  MetricAccumulator acc;
  acc.add(pred.data(), target.data(), pred.size());
  auto m = acc.result();
  EXPECT_DOUBLE_EQ(m.mse, (1 + 4 + 0 + 9) / 4.0);
  EXPECT_DOUBLE_EQ(m.mae, (1 + 2 + 0 + 3) / 4.0);
  EXPECT_DOUBLE_EQ(m.mape, (1.0 / 1 + 2.0 / 4 + 0 + 3.0 / 6) / 4.0);
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt(3.5));
  EXPECT_EQ(m.count, 4u);
}

TEST(Metrics, ScaleDeScalesBothSides) {
  const std::vector<float> pred{0.01f, 0.02f};
  const std::vector<float> target{0.0f, 0.04f};
  MetricAccumulator acc;
  acc.add(pred.data(), target.data(), 2, 100.0);
  auto m = acc.result();
  EXPECT_NEAR(m.mse, (1.0 + 4.0) / 2, 1e-5);  // 0.01f is not exact in float
  EXPECT_NEAR(m.mape, (1.0 / 1 + 2.0 / 4) / 2, 1e-6);
}

TEST(Metrics, BatchesMergeToTheGlobalMean) {
  // Global mean over cells, not the mean of batch means: batches of unequal size.
  const std::vector<float> p{1, 2, 3, 10, 0, 0};
  const std::vector<float> y{0, 0, 0, 0, 0, 0};
  MetricAccumulator a, b, whole;
  a.add(p.data(), y.data(), 1);
  b.add(p.data() + 1, y.data() + 1, 5);
  whole.add(p.data(), y.data(), 6);
  a.merge(b);
  EXPECT_DOUBLE_EQ(a.result().mse, whole.result().mse);
  EXPECT_DOUBLE_EQ(a.result().mse, (1 + 4 + 9 + 100) / 6.0);
  auto c = MetricAccumulator::from_sums(whole.sum_squared(), whole.sum_absolute(), whole.sum_percentage(), whole.count());
  EXPECT_DOUBLE_EQ(c.result().mae, whole.result().mae);
}

TEST(Metrics, EmptyIsZero) { EXPECT_EQ(MetricAccumulator().result().count, 0u); }

TEST(Metrics, EvaluateFilesChecksShapes) {
  auto dir = std::filesystem::temp_directory_path() / ("fufi_metrics_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::vector<float> p{1, 2, 5, 9}, y{0, 4, 5, 6};
  write_npy((dir / "p.npy").string(), {1, 1, 2, 2}, p.data());
  write_npy((dir / "y.npy").string(), {1, 2, 2}, y.data());
  write_npy((dir / "bad.npy").string(), {4}, y.data());
  auto m = evaluate_npy_files((dir / "p.npy").string(), (dir / "y.npy").string());
  EXPECT_DOUBLE_EQ(m.mse, 3.5);
  EXPECT_THROW(evaluate_npy_files((dir / "p.npy").string(), (dir / "bad.npy").string()), fufi::InputError);
  std::filesystem::remove_all(dir);
}

}  // namespace fufi_test_metrics
