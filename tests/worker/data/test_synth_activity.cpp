// The synthetic city's population model (synth_activity.cpp): who is where in one half-hour slot. The rush hour
// loads the arterials more than the night, parks are empty at night and in heavy rain, campuses empty in the
// school vacation, the river never carries flow, and every intensity is finite and non-negative.
#include <gtest/gtest.h>

#include <cmath>

#include "synth_internal.h"

namespace fufi_test_synth_activity {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::data::synth;

namespace {

// A clear Wednesday in term time (2014-10-15) at HOUR:00.
Slot weekday_at(int hour) {
  Slot s;
  s.day = 16358;  // 2014-10-15
  s.hour = hour;
  s.weekday = 3;
  s.weather = kSunny;
  s.temperature = 18;
  s.wind = 8;
  return s;
}

const City& city() {
  static const City c = build_city(32, 5);
  return c;
}

}  // namespace

TEST(SynthActivity, IntensitiesAreFiniteAndNonNegativeAllDay) {
  for (int hour = 0; hour < 24; ++hour)
    for (int weather : {int{kSunny}, int{kHeavyRain}, int{kHeavySnow}, int{kFoggy}}) {
      auto s = weekday_at(hour);
      s.weather = weather;
      const auto a = activity_for(s, city());
      for (double v : a.per_capacity) ASSERT_TRUE(std::isfinite(v) && v >= 0) << hour << " " << weather;
      ASSERT_TRUE(std::isfinite(a.commute_flow) && a.commute_flow >= 0);
      ASSERT_TRUE(std::isfinite(a.leisure_flow) && a.leisure_flow >= 0);
      ASSERT_EQ(a.per_capacity[kWater], 0.0);
    }
}

TEST(SynthActivity, RushHourLoadsTheCommuteRoutesMoreThanTheNight) {
  const auto rush = activity_for(weekday_at(8), city());
  const auto night = activity_for(weekday_at(3), city());
  EXPECT_GT(rush.commute_flow, 3 * night.commute_flow);
  EXPECT_GT(rush.per_capacity[kOffice] + activity_for(weekday_at(11), city()).per_capacity[kOffice],
            2 * night.per_capacity[kOffice]);
}

TEST(SynthActivity, ParksNeedDaylightAndDryWeather) {
  const auto noon = activity_for(weekday_at(14), city());
  EXPECT_GT(noon.per_capacity[kPark], 0.0);
  EXPECT_LT(activity_for(weekday_at(3), city()).per_capacity[kPark], 0.1 * noon.per_capacity[kPark]);
  auto rain = weekday_at(14);
  rain.weather = kHeavyRain;
  EXPECT_LT(activity_for(rain, city()).per_capacity[kPark], 0.1 * noon.per_capacity[kPark]);
}

TEST(SynthActivity, CampusesEmptyInTheSchoolVacation) {
  auto term = weekday_at(11);
  auto vacation = term;
  vacation.school_vacation = true;
  EXPECT_LT(activity_for(vacation, city()).per_capacity[kCampus],
            0.5 * activity_for(term, city()).per_capacity[kCampus]);
}

}  // namespace fufi_test_synth_activity
