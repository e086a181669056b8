#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>

#include "fufi/core/error.h"
#include "fufi/data/dataset.h"
#include "fufi/data/stats.h"
#include "fufi/data/synth.h"

namespace fufi_test_synth {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::data;

namespace {

SynthOptions small(std::int64_t samples = 0, std::uint64_t seed = 7) {
  SynthOptions o;
  o.preset = "small";
  o.seed = seed;
  o.samples_per_task = samples;
  o.tasks = {"P1"};
  return o;
}

// All splits of a task concatenated, as one (N, H, W) fine array, (N, h, w) coarse array and ext rows.
struct Whole {
  std::vector<float> fine, coarse, ext;
  std::int64_t n = 0, h = 0, H = 0;
};

Whole concat(const SynthTask& t) {
  Whole w;
  for (const SynthSplit* s : {&t.train, &t.valid, &t.test}) {
    w.fine.insert(w.fine.end(), s->Y.values.begin(), s->Y.values.end());
    w.coarse.insert(w.coarse.end(), s->X.values.begin(), s->X.values.end());
    w.ext.insert(w.ext.end(), s->ext.values.begin(), s->ext.values.end());
    w.n += s->X.shape[0];
    w.h = s->X.shape[1];
    w.H = s->Y.shape[1];
  }
  return w;
}

// Pooled within-block share map over the samples selected by `pick`: for each fine cell, its flow summed
// over those samples divided by its block's summed flow (a ratio of sums: far less noisy than a mean of
// per-sample ratios on sparse counts). `count` receives how many samples were selected.
std::vector<double> mean_share(const Whole& w, const std::function<bool(std::int64_t)>& pick, int& count) {
  const std::int64_t s = w.H / w.h;
  std::vector<double> fine_sum(static_cast<std::size_t>(w.H * w.H), 0.0), block_sum(static_cast<std::size_t>(w.h * w.h), 0.0);
  count = 0;
  for (std::int64_t i = 0; i < w.n; ++i) {
    if (!pick(i)) continue;
    ++count;
    for (std::int64_t r = 0; r < w.H; ++r)
      for (std::int64_t c = 0; c < w.H; ++c) fine_sum[static_cast<std::size_t>(r * w.H + c)] += w.fine[static_cast<std::size_t>(i * w.H * w.H + r * w.H + c)];
    for (std::int64_t k = 0; k < w.h * w.h; ++k) block_sum[static_cast<std::size_t>(k)] += w.coarse[static_cast<std::size_t>(i * w.h * w.h + k)];
  }
  std::vector<double> share(fine_sum.size(), 0.0);
  for (std::int64_t r = 0; r < w.H; ++r)
    for (std::int64_t c = 0; c < w.H; ++c) {
      const double b = block_sum[static_cast<std::size_t>((r / s) * w.h + c / s)];
      if (b > 0) share[static_cast<std::size_t>(r * w.H + c)] = fine_sum[static_cast<std::size_t>(r * w.H + c)] / b;
    }
  return share;
}

double mean_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += std::fabs(a[i] - b[i]);
  return d / static_cast<double>(a.size());
}

float ext_at(const Whole& w, std::int64_t i, int col) { return w.ext[static_cast<std::size_t>(i * 7 + col)]; }

}  // namespace

TEST(Synth, SmallPresetShapesSplitsAndExactIntegerConstraint) {
  auto t = generate_synth_task(small(), "P1");
  EXPECT_EQ(t.train.X.shape, (std::vector<std::int64_t>{210, 16, 16}));
  EXPECT_EQ(t.valid.X.shape, (std::vector<std::int64_t>{30, 16, 16}));
  EXPECT_EQ(t.test.Y.shape, (std::vector<std::int64_t>{60, 64, 64}));
  EXPECT_EQ(t.train.ext.shape, (std::vector<std::int64_t>{210, 7}));
  for (const SynthSplit* s : {&t.train, &t.valid, &t.test}) {
    for (float v : s->Y.values) {
      ASSERT_GE(v, 0.0f);
      ASSERT_EQ(v, std::round(v));
    }
    NpyArray X = s->X, Y = s->Y;
    X.shape.insert(X.shape.begin() + 1, 1);
    Y.shape.insert(Y.shape.begin() + 1, 1);
    EXPECT_EQ(check_constraint(X, Y, 4, "x").max_abs, 0.0);
    validate_ext(s->ext, "synthetic ext");
  }
}

TEST(Synth, ZeroInflatedAndHeavyTailed) {
  auto w = concat(generate_synth_task(small(), "P1"));
  auto st = value_stats(w.fine);
  EXPECT_GE(st.zero_fraction, 0.25) << "zero fraction " << st.zero_fraction;
  EXPECT_GE(st.nonzero_p999, 20.0 * st.nonzero_median)
      << "p99.9 " << st.nonzero_p999 << " median " << st.nonzero_median;
}

// The generator's targets (issue #14), on the demo's data (small preset, seed 2026), every task: what the
// naive references fitted on the training split score on the test split, and the count distribution.
//   static/uniform in 0.45..0.65  the city's layout explains a good part of where flow goes inside a block
//   per-hour gain >= 8 %          the hour of day changes where it goes (docs/DATA.md has the measured values)
TEST(Synth, ContextIsWorthSomethingOnEverySmallPresetTask) {
  for (const std::string task : {"P1", "P2", "P3", "P4"}) {
    SynthOptions o = small(0, 2026);
    o.tasks = {task};
    auto t = generate_synth_task(o, task);
    FufiData d;
    d.dir = "small/" + task;
    d.layout = {1, 16, 16, 4, 7};
    for (const auto& [name, split] : {std::pair<std::string, const SynthSplit*>{"train", &t.train}, {"valid", &t.valid},
                                      {"test", &t.test}}) {
      SplitArrays a;
      a.name = name;
      a.X = split->X;
      a.Y = split->Y;
      a.ext = split->ext;
      a.X.shape.insert(a.X.shape.begin() + 1, 1);
      a.Y.shape.insert(a.Y.shape.begin() + 1, 1);
      d.splits[name] = a;
    }
    const auto cs = context_stats(d, "test");
    ASSERT_TRUE(cs.available && cs.by_hour_applicable) << task;
    std::cout << task << ": static/uniform " << cs.static_over_uniform << ", per-hour gain " << cs.by_hour_gain << "\n";
    EXPECT_GE(cs.static_over_uniform, 0.45) << task;
    EXPECT_LE(cs.static_over_uniform, 0.65) << task;
    EXPECT_GE(cs.by_hour_gain, 0.08) << task;
    std::vector<float> fine;
    for (const SynthSplit* s : {&t.train, &t.valid, &t.test}) fine.insert(fine.end(), s->Y.values.begin(), s->Y.values.end());
    const auto v = value_stats(fine);
    EXPECT_GE(v.zero_fraction, 0.25) << task;
    EXPECT_GE(v.nonzero_p999, 20.0 * v.nonzero_median) << task;
  }
}

TEST(Synth, ChronologicalWithAllHoursAndTaskPeriods) {
  auto w = concat(generate_synth_task(small(300), "P4"));
  std::vector<int> hours(24, 0);
  for (std::int64_t i = 0; i < w.n; ++i) hours[static_cast<std::size_t>(ext_at(w, i, 5))]++;
  for (int h = 0; h < 24; ++h) EXPECT_GT(hours[static_cast<std::size_t>(h)], 0) << "hour " << h;
  // P4 is winter: snow codes (11..14) occur, thunderstorms (9) do not.
  bool snow = false, thunder = false;
  for (std::int64_t i = 0; i < w.n; ++i) {
    const int wc = static_cast<int>(ext_at(w, i, 6));
    snow = snow || (wc >= 11 && wc <= 14);
    thunder = thunder || wc == 9;
  }
  EXPECT_TRUE(snow);
  EXPECT_FALSE(thunder);
}

TEST(Synth, WithinBlockDistributionDependsOnHour) {
  auto w = concat(generate_synth_task(small(1200), "P1"));
  auto is_workday = [&](std::int64_t i) { return ext_at(w, i, 2) == 0 && ext_at(w, i, 3) == 0; };
  auto hour = [&](std::int64_t i) { return static_cast<int>(ext_at(w, i, 5)); };
  int na = 0, nb = 0, na1 = 0, na2 = 0;
  auto morning = mean_share(w, [&](std::int64_t i) { return is_workday(i) && hour(i) >= 7 && hour(i) <= 10; }, na);
  auto night = mean_share(w, [&](std::int64_t i) { return hour(i) >= 21 || hour(i) <= 1; }, nb);
  // Noise floor: the same group split in two by sample parity.
  auto m1 = mean_share(w, [&](std::int64_t i) { return is_workday(i) && hour(i) >= 7 && hour(i) <= 10 && i % 2 == 0; }, na1);
  auto m2 = mean_share(w, [&](std::int64_t i) { return is_workday(i) && hour(i) >= 7 && hour(i) <= 10 && i % 2 == 1; }, na2);
  ASSERT_GE(na, 20);
  ASSERT_GE(nb, 20);
  const double between = mean_abs_diff(morning, night), within = mean_abs_diff(m1, m2);
  std::cout << "hour: between-group share difference " << between << ", within-group noise " << within << "\n";
  EXPECT_GT(between, 1.5 * within) << "between " << between << " within " << within;
}

TEST(Synth, WithinBlockDistributionDependsOnWeather) {
  auto w = concat(generate_synth_task(small(1200), "P1"));
  auto hour = [&](std::int64_t i) { return static_cast<int>(ext_at(w, i, 5)); };
  auto rainy = [&](std::int64_t i) {
    const int c = static_cast<int>(ext_at(w, i, 6));
    return c >= 4 && c <= 10;
  };
  auto daytime = [&](std::int64_t i) { return hour(i) >= 9 && hour(i) <= 20; };
  int nr = 0, nc = 0, nc1 = 0, nc2 = 0;
  auto rain = mean_share(w, [&](std::int64_t i) { return daytime(i) && rainy(i); }, nr);
  auto clear = mean_share(w, [&](std::int64_t i) { return daytime(i) && !rainy(i); }, nc);
  auto c1 = mean_share(w, [&](std::int64_t i) { return daytime(i) && !rainy(i) && i % 2 == 0; }, nc1);
  auto c2 = mean_share(w, [&](std::int64_t i) { return daytime(i) && !rainy(i) && i % 2 == 1; }, nc2);
  ASSERT_GE(nr, 20) << "too few rainy samples";
  const double between = mean_abs_diff(rain, clear), within = mean_abs_diff(c1, c2);
  std::cout << "weather: between-group share difference " << between << ", within-group noise " << within << " (" << nr
            << " rainy samples)\n";
  EXPECT_GT(between, 1.5 * within) << "between " << between << " within " << within << " (rainy " << nr << ")";
}

TEST(Synth, DeterministicPerSeedAndIndependentOfThreads) {
  auto o1 = small(60);
  o1.threads = 1;
  auto o2 = small(60);
  o2.threads = 3;
  auto a = generate_synth_task(o1, "P2"), b = generate_synth_task(o2, "P2");
  EXPECT_EQ(a.train.Y.values, b.train.Y.values);
  EXPECT_EQ(a.test.ext.values, b.test.ext.values);
  auto c = generate_synth_task(small(60, 8), "P2");
  EXPECT_NE(a.train.Y.values, c.train.Y.values);
}

TEST(Synth, SameSeedWritesSameBytes) {
  namespace fs = std::filesystem;
  const auto pid = std::to_string(::getpid());  // unique per process: test runs may overlap
  auto d1 = fs::temp_directory_path() / ("fufi_synth_a_" + pid), d2 = fs::temp_directory_path() / ("fufi_synth_b_" + pid);
  auto o = small(40);
  write_synth_dataset(d1.string(), o);
  write_synth_dataset(d2.string(), o);
  for (const char* f : {"P1/train/Y.npy", "P1/test/ext.npy", "fufi_synth.json"}) {
    auto read = [](const fs::path& p) {
      std::ifstream in(p, std::ios::binary);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    EXPECT_EQ(read(d1 / f), read(d2 / f)) << f;
  }
  // What it wrote loads as a valid dataset.
  auto data = load_fufi_data((d1 / "P1").string(), {});
  EXPECT_EQ(data.layout.upscale, 4);
  EXPECT_EQ(data.layout.ext_dim, 7);
  fs::remove_all(d1);
  fs::remove_all(d2);
}

TEST(Synth, PaperPresetUsesTable3SizesAnd32To128) {
  SynthOptions o;
  o.preset = "paper";
  auto r = resolve_synth_options(o);
  EXPECT_EQ(r.coarse_size, 32);
  EXPECT_EQ(r.upscale, 4);
  EXPECT_EQ(r.samples_per_task, 0);  // 0 = each task's size from Table 3
  const std::vector<std::int64_t> sizes{3060, 3559, 3792, 4244};
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(synth_tasks()[i].paper_size, sizes[i]);
  // A few samples at paper resolution (the full sizes are exercised by `fufi data synth --preset paper`).
  o.samples_per_task = 20;
  o.tasks = {"P3"};
  auto t = generate_synth_task(o, "P3");
  EXPECT_EQ(t.train.X.shape, (std::vector<std::int64_t>{14, 32, 32}));
  EXPECT_EQ(t.valid.X.shape[0], 2);
  EXPECT_EQ(t.test.Y.shape, (std::vector<std::int64_t>{4, 128, 128}));
}

TEST(Synth, RejectsBadOptions) {
  SynthOptions o;
  o.preset = "smal";
  EXPECT_THROW(resolve_synth_options(o), fufi::UsageError);
  o.preset = "small";
  o.tasks = {"P5"};
  EXPECT_THROW(resolve_synth_options(o), fufi::UsageError);
  o.tasks = {"P1"};
  o.upscale = 1;
  EXPECT_THROW(resolve_synth_options(o), fufi::UsageError);
  o.upscale = 0;
  o.samples_per_task = 3;
  EXPECT_THROW(resolve_synth_options(o), fufi::UsageError);
}

}  // namespace fufi_test_synth
