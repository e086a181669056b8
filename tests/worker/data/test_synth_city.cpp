// The synthetic city's layout (synth_city.cpp): every cell has a land use and a parcel, parcels are of one use
// (the river, flooded last, excepted), the river holds nobody, roads carry the routes, totals add up, and the
// same seed gives the same city.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <set>

#include "synth_internal.h"

namespace fufi_test_synth_city {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::data::synth;

TEST(SynthCity, EveryCellHasAUseAndAParcelOfThatUse) {
  const auto city = build_city(64, 7);
  ASSERT_EQ(city.size, 64);
  const std::size_t cells = 64 * 64;
  ASSERT_EQ(city.use.size(), cells);
  ASSERT_EQ(city.capacity.size(), cells);
  ASSERT_EQ(city.parcel.size(), cells);
  ASSERT_EQ(city.commute.size(), cells);
  ASSERT_EQ(city.leisure.size(), cells);
  ASSERT_EQ(city.parcel_use.size(), static_cast<std::size_t>(city.parcels));
  std::set<int> uses;
  for (std::size_t i = 0; i < cells; ++i) {
    ASSERT_LT(city.use[i], kLandUses);
    ASSERT_GE(city.parcel[i], 0);
    ASSERT_LT(city.parcel[i], city.parcels);
    // The river is flooded over the parcels last: a water cell keeps its parcel but none of its use.
    if (city.use[i] != kWater)
      ASSERT_EQ(city.parcel_use[static_cast<std::size_t>(city.parcel[i])], city.use[i]) << "cell " << i;
    ASSERT_GE(city.capacity[i], 0.0f);
    ASSERT_TRUE(std::isfinite(city.commute[i]) && city.commute[i] >= 0);
    uses.insert(city.use[i]);
  }
  // The district plan has roads, homes, offices and a river at any size.
  for (int u : {int{kRoad}, int{kResidential}, int{kOffice}, int{kWater}}) EXPECT_TRUE(uses.count(u)) << u;
}

TEST(SynthCity, WaterHoldsNobodyAndRoutesRunOnRoads) {
  const auto city = build_city(64, 7);
  double road_commute = 0, other_commute = 0;
  for (std::size_t i = 0; i < city.use.size(); ++i) {
    if (city.use[i] == kWater) {
      EXPECT_EQ(city.capacity[i], 0.0f);
      EXPECT_EQ(city.commute[i], 0.0f);
      EXPECT_EQ(city.leisure[i], 0.0f);
    }
    (city.use[i] == kRoad ? road_commute : other_commute) += city.commute[i];
  }
  EXPECT_GT(road_commute, other_commute) << "commute trips are routed along the arterials";
  EXPECT_GT(city.commute_length, 0.0);
  EXPECT_GT(city.leisure_length, 0.0);
}

TEST(SynthCity, TotalsAddUpPerLandUse) {
  const auto city = build_city(32, 3);
  std::array<double, kLandUses> totals{};
  for (std::size_t i = 0; i < city.use.size(); ++i) totals[city.use[i]] += city.capacity[i];
  for (int u = 0; u < kLandUses; ++u)
    EXPECT_NEAR(city.total_capacity[static_cast<std::size_t>(u)], totals[static_cast<std::size_t>(u)],
                1e-6 * (1 + totals[static_cast<std::size_t>(u)]))
        << u;
  EXPECT_NEAR(city.residents, totals[kResidential], 1e-6 * (1 + totals[kResidential]));
  EXPECT_GT(city.residents, 0.0);
}

TEST(SynthCity, SameSeedSameCityOtherSeedAnother) {
  const auto a = build_city(32, 11), b = build_city(32, 11), c = build_city(32, 12);
  EXPECT_EQ(a.use, b.use);
  EXPECT_EQ(a.capacity, b.capacity);
  EXPECT_EQ(a.commute, b.commute);
  EXPECT_NE(a.capacity, c.capacity);
}

}  // namespace fufi_test_synth_city
