// The synthetic city's calendar: the task's half-hour slots with weekday, public holidays (China's official
// day-off ranges of 2013-2016), school vacations, a persistent seasonal weather chain and a Beijing-like
// temperature cycle.
#include <algorithm>
#include <cmath>

#include "fufi/data/random.h"
#include "synth_internal.h"

namespace fufi::data::synth {

namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

// ISO weekday 1 (Monday) .. 7 (Sunday); 1970-01-01 was a Thursday.
int iso_weekday(std::int64_t days) { return static_cast<int>(((days % 7) + 7 + 3) % 7) + 1; }

// Public holidays of mainland China in the paper's periods (official day-off ranges, 2013-2016).
struct HolidayRange {
  int y, m1, d1, m2, d2;
};
const HolidayRange kHolidays[] = {
    {2013, 9, 19, 9, 21}, {2013, 10, 1, 10, 7}, {2014, 1, 1, 1, 1},   {2014, 1, 31, 2, 6},  {2014, 4, 5, 4, 7},
    {2014, 5, 1, 5, 3},   {2014, 5, 31, 6, 2},  {2015, 1, 1, 1, 3},   {2015, 2, 18, 2, 24}, {2015, 4, 4, 4, 6},
    {2015, 5, 1, 5, 3},   {2015, 6, 20, 6, 22}, {2015, 9, 3, 9, 5},   {2015, 9, 26, 9, 27}, {2015, 10, 1, 10, 7},
    {2016, 1, 1, 1, 3},   {2016, 2, 7, 2, 13}};

struct DayInfo {
  bool holiday = false, long_break = false, travel_day = false;
};

DayInfo day_info(std::int64_t day) {
  DayInfo info;
  for (const auto& r : kHolidays) {
    const std::int64_t first = days_from_civil(r.y, r.m1, r.d1), last = days_from_civil(r.y, r.m2, r.d2);
    if (day >= first && day <= last) {
      info.holiday = true;
      info.long_break = last - first >= 6;
      info.travel_day = info.travel_day || day == first || day == last;
    }
    // The evening exodus starts on the working day before a holiday.
    if (day == first - 1) info.travel_day = true;
  }
  return info;
}

// Beijing's school and university vacations, approximately: mid-July to August, mid-January to late February.
bool school_vacation(int m, int d) {
  const int v = m * 100 + d;
  return (v >= 710 && v <= 831) || (v >= 118 && v <= 222);
}

// Draws the weather of the next 3-hour block: persistent, with season-dependent alternatives.
int next_weather(int current, int month, Rng& rng) {
  if (current != 0 && rng.uniform() < 0.8) return current;
  const bool summer = month >= 6 && month <= 9;
  const bool winter = month == 11 || month == 12 || month <= 2;
  // (code, weight) tables per season.
  static const std::array<std::pair<int, double>, 9> summer_t{
      {{kSunny, 4}, {kCloudy, 3}, {kOvercast, 1.5}, {kSprinkle, 1}, {kRainy, 1}, {kModerateRain, 0.6},
       {kHeavyRain, 0.3}, {kRainstorm, 0.15}, {kThunderstorm, 0.5}}};
  static const std::array<std::pair<int, double>, 9> winter_t{
      {{kSunny, 5}, {kCloudy, 2}, {kOvercast, 1.5}, {kFoggy, 1.2}, {kLightSnow, 0.6}, {kSnowy, 0.4},
       {kModerateSnow, 0.25}, {kHeavySnow, 0.1}, {kFreezingRain, 0.05}}};
  static const std::array<std::pair<int, double>, 9> spring_t{
      {{kSunny, 5}, {kCloudy, 2.5}, {kOvercast, 1.2}, {kSprinkle, 0.8}, {kRainy, 0.5}, {kDusty, 0.6},
       {kSandstorm, 0.2}, {kFoggy, 0.5}, {kModerateRain, 0.2}}};
  const auto& table = summer ? summer_t : winter ? winter_t : spring_t;
  double total = 0;
  for (const auto& e : table) total += e.second;
  double r = rng.uniform() * total;
  for (const auto& e : table) {
    if ((r -= e.second) < 0) return e.first;
  }
  return table.back().first;
}

}  // namespace

WeatherClass weather_class(int code) {
  switch (code) {
    case kRainy: case kSprinkle: case kModerateRain: case kFreezingRain: return WeatherClass::Rain;
    case kHeavyRain: case kRainstorm: case kThunderstorm: return WeatherClass::HeavyRain;
    case kSnowy: case kLightSnow: case kModerateSnow: case kHeavySnow: return WeatherClass::Snow;
    case kFoggy: case kSandstorm: case kDusty: return WeatherClass::Haze;
    default: return WeatherClass::Clear;
  }
}

std::vector<Slot> period_slots(const SynthTaskInfo& t, std::uint64_t seed, std::uint64_t task_salt) {
  Rng rng(mix_seed(seed, task_salt, 0x7EA7ull));
  const std::int64_t first = days_from_civil(t.start_year, t.start_month, t.start_day);
  const std::int64_t last = days_from_civil(t.end_year, t.end_month, t.end_day);
  std::vector<Slot> slots;
  int weather = 0;
  double daily_temp_noise = 0, wind_level = 8;
  for (std::int64_t day = first; day <= last; ++day) {
    int y, m, d;
    civil_from_days(day, y, m, d);
    const int wd = iso_weekday(day);
    const DayInfo info = day_info(day);
    // Beijing-like seasonal temperature: about -4 °C in January, 27 °C in July.
    const double doy = static_cast<double>(day - days_from_civil(y, 1, 1));
    const double seasonal = 11.5 - 15.5 * std::cos(2 * kPi * (doy - 15.0) / 365.25);
    daily_temp_noise = 0.6 * daily_temp_noise + 2.5 * rng.normal();
    for (int hour = 0; hour < 24; ++hour) {
      if (hour % 3 == 0) {
        weather = next_weather(weather, m, rng);
        wind_level = std::clamp(0.7 * wind_level + 0.3 * (8.0 + 6.0 * std::fabs(rng.normal())), 0.0, kWindMax);
      }
      for (int half = 0; half < 2; ++half) {
        Slot s;
        s.day = day;
        s.hour = hour;
        s.half = half;
        s.weekday = wd;
        s.weekend = wd >= 6;
        s.holiday = info.holiday;
        s.long_break = info.long_break;
        s.travel_day = info.travel_day;
        s.school_vacation = school_vacation(m, d);
        s.weather = weather;
        const double diurnal = 5.0 * std::cos(2 * kPi * (hour + 0.5 * half - 15.0) / 24.0);
        s.temperature = std::clamp(seasonal + diurnal + daily_temp_noise, kTempMin, kTempMax);
        s.wind = std::clamp(wind_level + 1.5 * rng.normal(), 0.0, kWindMax);
        slots.push_back(s);
      }
    }
  }
  return slots;
}

}  // namespace fufi::data::synth
