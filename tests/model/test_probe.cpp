// Forward-pass probes (probe.cpp), what `fufi train --diagnose` records: extremes kept per statistic, the
// thread's active probe scoped and restored, nothing recorded without one, and each statistic's value by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "fufi/model/layers.h"
#include "fufi/model/probe.h"

namespace fufi_test_probe {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

TEST(Probe, KeepsTheExtremeEachStatisticAsksFor) {
  Probe p;
  p.keep_min("a", 3.0);
  p.keep_min("a", 5.0);
  p.keep_min("a", -1.0);
  p.keep_max("b", 2.0);
  p.keep_max("b", 1.0);
  p.set("c", 7.0);
  p.set("c", 4.0);  // set: the last value
  EXPECT_DOUBLE_EQ(p.values().at("a"), -1.0);
  EXPECT_DOUBLE_EQ(p.values().at("b"), 2.0);
  EXPECT_DOUBLE_EQ(p.values().at("c"), 4.0);
  p.clear();
  EXPECT_TRUE(p.values().empty());
}

TEST(Probe, ScopesNestAndRestoreAndStayOnTheirThread) {
  EXPECT_EQ(active_probe(), nullptr);
  Probe outer, inner;
  {
    ProbeScope a(outer);
    EXPECT_EQ(active_probe(), &outer);
    {
      ProbeScope b(inner);
      EXPECT_EQ(active_probe(), &inner);
      Probe* seen = &inner;
      std::thread([&] { seen = active_probe(); }).join();
      EXPECT_EQ(seen, nullptr);  // another thread has no probe
    }
    EXPECT_EQ(active_probe(), &outer);
  }
  EXPECT_EQ(active_probe(), nullptr);
}

TEST(Probe, RecordsNothingWithoutAnActiveProbe) {
  Probe p;
  probe_scale("x", torch::ones({4}));  // no probe: a no-op, and no crash
  probe_n2_input(torch::ones({1, 1, 2, 2}), 2);
  probe_attention("att", torch::full({1, 4}, 0.25));
  EXPECT_TRUE(p.values().empty());
  ProbeScope scope(p);
  probe_scale("x", torch::ones({4}));
  EXPECT_EQ(p.values().size(), 1u);
}

TEST(Probe, StatisticsMatchHandComputedValues) {
  Probe p;
  ProbeScope scope(p);
  probe_scale("stage", torch::tensor({3.0f, -4.0f}));  // rms = sqrt((9 + 16) / 2)
  EXPECT_NEAR(p.values().at("stage.rms"), std::sqrt(12.5), 1e-9);
  // Two 2x2 blocks: [[0,1],[0,1]] (sum 2) and all zero (sum 0); 6 of 8 cells are zero.
  auto raw = torch::tensor({{0.f, 1.f, 0.f, 0.f}, {0.f, 1.f, 0.f, 0.f}}).reshape({1, 1, 2, 4});
  probe_n2_input(raw, 2);
  EXPECT_DOUBLE_EQ(p.values().at("n2.zero_fraction"), 0.75);
  EXPECT_DOUBLE_EQ(p.values().at("n2.min_block_sum"), 0.0);
  EXPECT_DOUBLE_EQ(p.values().at("n2.blocks_below_1e-3"), 0.5);
  // A later call in the same pass with larger sums keeps the smallest sum seen.
  probe_n2_input(torch::ones({1, 1, 2, 2}), 2);
  EXPECT_DOUBLE_EQ(p.values().at("n2.min_block_sum"), 0.0);
  EXPECT_DOUBLE_EQ(p.values().at("n2.zero_fraction"), 0.75);
  // Uniform attention over 4 keys has the maximal entropy log 4; one-hot has 0.
  probe_attention("uniform", torch::full({2, 3, 4}, 0.25));
  EXPECT_NEAR(p.values().at("uniform.entropy"), std::log(4.0), 1e-9);
  EXPECT_NEAR(p.values().at("uniform.max_entropy"), std::log(4.0), 1e-12);
  probe_attention("onehot", torch::tensor({{1.0f, 0.0f, 0.0f}}));
  EXPECT_NEAR(p.values().at("onehot.entropy"), 0.0, 1e-9);
}

TEST(Probe, N2ReportsThroughTheActiveProbe) {
  Probe p;
  ProbeScope scope(p);
  n2_normalize(torch::ones({1, 1, 4, 4}), 2, 1e-7);
  EXPECT_DOUBLE_EQ(p.values().at("n2.zero_fraction"), 0.0);
  EXPECT_DOUBLE_EQ(p.values().at("n2.min_block_sum"), 4.0);
}

}  // namespace fufi_test_probe
