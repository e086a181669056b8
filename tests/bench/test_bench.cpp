// The benchmarks (bench.cpp) as code, not as measurements: the summary statistics of a set of timings and that a tiny training and inference benchmark reports what it ran (model,
// parameters, batch, repetitions, ordered timings) and names bad options. No speed is asserted.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "fufi/bench/bench.h"
#include "fufi/core/error.h"
#include "fufi/model.h"

namespace fufi_test_bench {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::bench;

namespace {

// A small TaxiBJ-like shape: 8x8 -> x4 with ext, hours 7..21.
TrainBenchOptions tiny(const std::string& model) {
  TrainBenchOptions o;
  o.model = model;
  o.spec.coarse_h = o.spec.coarse_w = 8;
  o.spec.upscale = 4;
  o.spec.ext_dim = model::ext_col::kCount;
  o.spec.hour_offset = 7;
  o.spec.hour_slots = 15;
  o.settings = Config::from_assignments({"channels=8", "channels_last=false"});
  o.batch = 2;
  o.steps = 2;
  o.warmup = 0;
  o.threads = 1;
  return o;
}

}  // namespace

TEST(Bench, SummarizeGivesMedianMinMax) {
  const auto odd = summarize({5, 1, 3});
  EXPECT_EQ(odd.repetitions, 3);
  EXPECT_DOUBLE_EQ(odd.median_ms, 3);
  EXPECT_DOUBLE_EQ(odd.min_ms, 1);
  EXPECT_DOUBLE_EQ(odd.max_ms, 5);
  EXPECT_DOUBLE_EQ(summarize({4, 1, 3, 2}).median_ms, 2.5);
  const auto none = summarize({});
  EXPECT_EQ(none.repetitions, 0);
  EXPECT_DOUBLE_EQ(none.median_ms, 0);
}

TEST(Bench, TrainReportsWhatItRan) {
  const auto r = bench_train(tiny("srcnn"));
  EXPECT_EQ(r.model, "srcnn");
  EXPECT_EQ(r.batch, 2);
  EXPECT_EQ(r.threads, 1);
  EXPECT_EQ(r.device, "cpu");
  EXPECT_FALSE(r.channels_last);
  EXPECT_EQ(r.step.repetitions, 2);
  EXPECT_LE(r.step.min_ms, r.step.median_ms);
  EXPECT_LE(r.step.median_ms, r.step.max_ms);
  EXPECT_GT(r.step.min_ms, 0.0);
  auto m = model::ModelRegistry::instance().create("srcnn", tiny("srcnn").spec,
                                                   Config::from_assignments({"channels=8"}));
  EXPECT_EQ(r.parameters, model::count_parameters(*m));
}

TEST(Bench, InferHasOnePointPerBatch) {
  const auto r = bench_infer(tiny("srcnn"), {1, 3});
  EXPECT_EQ(r.model, "srcnn");
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[0].batch, 1);
  EXPECT_EQ(r.points[1].batch, 3);
  EXPECT_EQ(r.points[1].batch_time.repetitions, 2);
  EXPECT_GT(r.points[1].maps_per_second, 0.0);
}

TEST(Bench, BadOptionsAreUsageErrorsNamingThem) {
  auto o = tiny("srcnn");
  o.steps = 0;
  test::expect_error<UsageError>([&] { bench_train(o); }, "--batch and --steps must be positive");
  o = tiny("srcnn");
  o.settings.set("device", "cpu");
  test::expect_error<UsageError>([&] { bench_train(o); }, "use --device");
  // Keys are validated as `fufi train` validates them: `uniform` has no `channels`.
  test::expect_error<UsageError>([&] { bench_train(tiny("uniform")); }, "unknown key 'channels' for model 'uniform'");
  auto naive = tiny("uniform");
  naive.settings = Config::from_assignments({"channels_last=false"});
  test::expect_error<UsageError>([&] { bench_train(naive); }, "model 'uniform' has nothing to train");
  test::expect_error<UsageError>([&] { bench_train(tiny("srcnnn")); }, "did you mean 'srcnn'");
}

}  // namespace fufi_test_bench
