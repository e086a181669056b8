// The synthetic city's calendar (synth_calendar.cpp): every half-hour slot of a task's period in order, ISO
// weekdays, China's official holidays with their long breaks and travel days, school vacations, TaxiBJ weather
// codes and their classes, temperature and wind within the paper's Table 4 ranges, determinism per seed.
#include <gtest/gtest.h>

#include <set>

#include "fufi/data/synth.h"
#include "synth_internal.h"

namespace fufi_test_synth_calendar {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::data;
using namespace fufi::data::synth;

namespace {

// 2013-09-30 (Monday) to 2013-10-09, in P1: the National Day week 1..7 October and the days around it.
SynthTaskInfo national_day_2013() { return {"T", 2013, 9, 30, 2013, 10, 9, 0}; }

// The slot at DAY (0-based within the period), HOUR, HALF.
const Slot& at(const std::vector<Slot>& slots, int day, int hour, int half = 0) {
  return slots.at(static_cast<std::size_t>(day * 48 + hour * 2 + half));
}

}  // namespace

TEST(SynthCalendar, EveryHalfHourOfThePeriodInOrder) {
  const auto slots = period_slots(national_day_2013(), 1, 0);
  ASSERT_EQ(slots.size(), 10u * 48u);
  for (std::size_t i = 1; i < slots.size(); ++i) {
    const double t0 = static_cast<double>(slots[i - 1].day) * 24 + slots[i - 1].time();
    const double t1 = static_cast<double>(slots[i].day) * 24 + slots[i].time();
    ASSERT_DOUBLE_EQ(t1 - t0, 0.5) << i;
  }
  EXPECT_EQ(at(slots, 0, 0).hour, 0);
  EXPECT_DOUBLE_EQ(at(slots, 0, 7, 1).time(), 7.75);
  // A task from the catalogue: P1 is 1 July to 31 October 2013, 123 days.
  EXPECT_EQ(period_slots(synth_tasks().at(0), 1, 0).size(), 123u * 48u);
}

TEST(SynthCalendar, WeekdaysHolidaysAndVacations) {
  const auto slots = period_slots(national_day_2013(), 1, 0);
  EXPECT_EQ(at(slots, 0, 12).weekday, 1);  // 2013-09-30 was a Monday
  EXPECT_FALSE(at(slots, 0, 12).weekend);
  EXPECT_EQ(at(slots, 5, 12).weekday, 6);  // Saturday 5 October
  EXPECT_TRUE(at(slots, 5, 12).weekend);
  EXPECT_FALSE(at(slots, 0, 12).holiday);    // 30 September: a working day...
  EXPECT_TRUE(at(slots, 0, 12).travel_day);  // ...before the holiday
  for (int day = 1; day <= 7; ++day) {       // 1..7 October
    EXPECT_TRUE(at(slots, day, 12).holiday) << day;
    EXPECT_TRUE(at(slots, day, 12).long_break) << day;
  }
  EXPECT_TRUE(at(slots, 1, 0).travel_day);   // its first day
  EXPECT_FALSE(at(slots, 4, 0).travel_day);  // the middle
  EXPECT_TRUE(at(slots, 7, 0).travel_day);   // its last day
  EXPECT_FALSE(at(slots, 8, 12).holiday);    // 8 October
  EXPECT_FALSE(at(slots, 8, 12).travel_day);
  // A short holiday is no long break: Mid-Autumn, 19..21 September 2013.
  const auto mid_autumn = period_slots({"T", 2013, 9, 19, 2013, 9, 21, 0}, 1, 0);
  EXPECT_TRUE(mid_autumn.front().holiday);
  EXPECT_FALSE(mid_autumn.front().long_break);
  EXPECT_FALSE(at(slots, 0, 12).school_vacation);
  // Summer vacation: mid-July to August.
  const auto july = period_slots({"T", 2013, 7, 20, 2013, 7, 20, 0}, 1, 0);
  EXPECT_TRUE(july.front().school_vacation);
  EXPECT_FALSE(july.front().holiday);
}

TEST(SynthCalendar, WeatherAndTemperatureStayInTheirRanges) {
  const auto slots = period_slots(synth_tasks().at(1), 3, 0);  // P2: February to June
  std::set<int> codes;
  for (const auto& s : slots) {
    ASSERT_GE(s.weather, 1);
    ASSERT_LE(s.weather, 17);
    ASSERT_GE(s.temperature, kTempMin);
    ASSERT_LE(s.temperature, kTempMax);
    ASSERT_GE(s.wind, 0.0);
    ASSERT_LE(s.wind, kWindMax);
    codes.insert(s.weather);
  }
  EXPECT_GE(codes.size(), 4u) << "five months of weather in one code";
  // Weather holds for 3-hour blocks: the 6 half-hours of one block share it.
  for (std::size_t i = 0; i + 6 <= slots.size(); i += 6)
    for (std::size_t k = 1; k < 6; ++k) ASSERT_EQ(slots[i + k].weather, slots[i].weather) << i;
  // Seasonal: June afternoons are warmer on average than February nights.
  double feb = 0, jun = 0;
  int nf = 0, nj = 0;
  for (const auto& s : slots) {
    if (s.day < slots.front().day + 28 && s.hour < 6) feb += s.temperature, ++nf;
    if (s.day > slots.back().day - 28 && s.hour >= 13 && s.hour < 17) jun += s.temperature, ++nj;
  }
  EXPECT_GT(jun / nj, feb / nf + 15);
}

TEST(SynthCalendar, WeatherClasses) {
  EXPECT_EQ(weather_class(kSunny), WeatherClass::Clear);
  EXPECT_EQ(weather_class(kOvercast), WeatherClass::Clear);
  EXPECT_EQ(weather_class(kSprinkle), WeatherClass::Rain);
  EXPECT_EQ(weather_class(kFreezingRain), WeatherClass::Rain);
  EXPECT_EQ(weather_class(kThunderstorm), WeatherClass::HeavyRain);
  EXPECT_EQ(weather_class(kLightSnow), WeatherClass::Snow);
  EXPECT_EQ(weather_class(kSandstorm), WeatherClass::Haze);
}

TEST(SynthCalendar, DeterministicPerSeedAndSalt) {
  auto weather_of = [](std::uint64_t seed, std::uint64_t salt) {
    std::vector<std::pair<int, double>> out;
    for (const auto& s : period_slots(national_day_2013(), seed, salt)) out.emplace_back(s.weather, s.temperature);
    return out;
  };
  EXPECT_EQ(weather_of(5, 1), weather_of(5, 1));
  EXPECT_NE(weather_of(5, 1), weather_of(6, 1));
  EXPECT_NE(weather_of(5, 1), weather_of(5, 2));
}

}  // namespace fufi_test_synth_calendar
