#include "fufi/data/synth.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <thread>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/data/random.h"

namespace fs = std::filesystem;

namespace fufi::data {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr std::uint64_t kCitySeedSalt = 0xC17Eull;

// ---------------------------------------------------------------------------------------------
// Calendar

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
bool is_holiday(int y, int m, int d) {
  struct Range {
    int y, m1, d1, m2, d2;
  };
  static const Range ranges[] = {
      {2013, 9, 19, 9, 21},  {2013, 10, 1, 10, 7},  {2014, 1, 1, 1, 1},    {2014, 1, 31, 2, 6},
      {2014, 4, 5, 4, 7},    {2014, 5, 1, 5, 3},    {2014, 5, 31, 6, 2},   {2015, 1, 1, 1, 3},
      {2015, 2, 18, 2, 24},  {2015, 4, 4, 4, 6},    {2015, 5, 1, 5, 3},    {2015, 6, 20, 6, 22},
      {2015, 9, 3, 9, 5},    {2015, 9, 26, 9, 27},  {2015, 10, 1, 10, 7},  {2016, 1, 1, 1, 3},
      {2016, 2, 7, 2, 13}};
  for (const auto& r : ranges) {
    if (y != r.y) continue;
    int v = m * 100 + d;
    if (v >= r.m1 * 100 + r.d1 && v <= r.m2 * 100 + r.d2) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Weather: TaxiBJ codes 1..17.
enum Weather {
  kSunny = 1, kCloudy, kOvercast, kRainy, kSprinkle, kModerateRain, kHeavyRain, kRainstorm, kThunderstorm,
  kFreezingRain, kSnowy, kLightSnow, kModerateSnow, kHeavySnow, kFoggy, kSandstorm, kDusty
};

enum class WeatherClass { Clear, Rain, HeavyRain, Snow, Haze };

WeatherClass weather_class(int w) {
  switch (w) {
    case kRainy: case kSprinkle: case kModerateRain: case kFreezingRain: return WeatherClass::Rain;
    case kHeavyRain: case kRainstorm: case kThunderstorm: return WeatherClass::HeavyRain;
    case kSnowy: case kLightSnow: case kModerateSnow: case kHeavySnow: return WeatherClass::Snow;
    case kFoggy: case kSandstorm: case kDusty: return WeatherClass::Haze;
    default: return WeatherClass::Clear;
  }
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

// Paper Table 4 ranges, used to min-max scale temperature and wind into [0, 1] as TaxiBJ's ext does.
constexpr double kTempMin = -24.6, kTempMax = 41.0, kWindMax = 48.6;

// ---------------------------------------------------------------------------------------------
// The city: static maps on the fine grid, built from continuous coordinates in [0,1]².

enum HotspotType { kTransit = 0, kMall, kOffice, kNightlife, kHospital, kHotspotTypes };

struct City {
  std::int64_t size = 0;                  // fine grid is size × size
  std::vector<double> business, residential, main_road, minor_road, empty;
  std::vector<std::vector<double>> hotspot;  // per hotspot type: summed Gaussians

  std::size_t index(std::int64_t r, std::int64_t c) const { return static_cast<std::size_t>(r * size + c); }
};

double gauss2(double du, double dv, double sigma) { return std::exp(-(du * du + dv * dv) / (2 * sigma * sigma)); }

City build_city(std::int64_t size, std::uint64_t seed) {
  Rng rng(mix_seed(seed, kCitySeedSalt));
  City city;
  city.size = size;
  const std::size_t n = static_cast<std::size_t>(size * size);
  city.business.assign(n, 0);
  city.residential.assign(n, 0);
  city.main_road.assign(n, 0);
  city.minor_road.assign(n, 0);
  city.empty.assign(n, 0);
  city.hotspot.assign(kHotspotTypes, std::vector<double>(n, 0));

  // Centres: a dominant CBD and two secondary centres.
  struct Blob {
    double u, v, sigma, weight;
  };
  std::vector<Blob> centres{{rng.uniform(0.42, 0.52), rng.uniform(0.45, 0.55), 0.07, 1.0},
                            {rng.uniform(0.2, 0.35), rng.uniform(0.25, 0.4), 0.06, 0.6},
                            {rng.uniform(0.65, 0.8), rng.uniform(0.6, 0.78), 0.05, 0.45}};
  // Office parks and commercial streets scattered over the city: business is not only downtown.
  for (int i = 0; i < 14; ++i)
    centres.push_back({rng.uniform(0.06, 0.94), rng.uniform(0.06, 0.94), rng.uniform(0.03, 0.06), rng.uniform(0.3, 0.8)});
  std::vector<Blob> suburbs;
  for (int i = 0; i < 6; ++i) suburbs.push_back({rng.uniform(0.08, 0.92), rng.uniform(0.08, 0.92), rng.uniform(0.05, 0.09), rng.uniform(0.4, 0.9)});

  // Roads: arterial grid, a ring road, and minor streets.
  std::vector<double> main_u, main_v, minor_u, minor_v;
  for (int i = 0; i < 6; ++i) main_u.push_back((i + 0.5) / 6.0 + rng.uniform(-0.03, 0.03));
  for (int i = 0; i < 6; ++i) main_v.push_back((i + 0.5) / 6.0 + rng.uniform(-0.03, 0.03));
  for (int i = 0; i < 6; ++i) minor_u.push_back(rng.uniform(0.02, 0.98));
  for (int i = 0; i < 6; ++i) minor_v.push_back(rng.uniform(0.02, 0.98));
  const double ring = 0.3;

  // Water and parks.
  const double river_phase = rng.uniform(0, 2 * kPi), river_v = rng.uniform(0.58, 0.68);
  struct Ellipse {
    double u, v, ru, rv;
  };
  std::vector<Ellipse> parks;
  for (int i = 0; i < 5; ++i) parks.push_back({rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.03, 0.07), rng.uniform(0.03, 0.07)});

  // Hotspots: point sources (stations, malls, offices, nightlife, hospitals).
  struct Hotspot {
    double u, v, sigma, amplitude;
    int type;
  };
  std::vector<Hotspot> hotspots;
  for (int i = 0; i < 40; ++i) {
    Hotspot h;
    // Half of them cluster around the centres.
    if (i % 2 == 0) {
      const auto& c = centres[static_cast<std::size_t>(i / 2) % centres.size()];
      h.u = c.u + 0.12 * rng.normal();
      h.v = c.v + 0.12 * rng.normal();
    } else {
      h.u = rng.uniform(0.05, 0.95);
      h.v = rng.uniform(0.05, 0.95);
    }
    h.u = std::clamp(h.u, 0.02, 0.98);
    h.v = std::clamp(h.v, 0.02, 0.98);
    h.sigma = rng.uniform(0.004, 0.01);
    h.amplitude = std::exp(rng.uniform(std::log(2.0), std::log(14.0)));
    h.type = static_cast<int>(rng.below(kHotspotTypes));
    hotspots.push_back(h);
  }

  // Parcels are drawn per fine cell from their own stream, so they depend on the grid size only.
  Rng parcel_rng(mix_seed(seed, kCitySeedSalt, static_cast<std::uint64_t>(size)));
  const double cell = 1.0 / static_cast<double>(size);
  const double road_half_width = 0.6 * cell;
  for (std::int64_t r = 0; r < size; ++r) {
    for (std::int64_t c = 0; c < size; ++c) {
      const double u = (static_cast<double>(c) + 0.5) * cell, v = (static_cast<double>(r) + 0.5) * cell;
      const std::size_t i = city.index(r, c);
      for (const auto& b : centres) city.business[i] += b.weight * gauss2(u - b.u, v - b.v, b.sigma);
      double res = 0.25;
      const double dist_centre = std::hypot(u - centres[0].u, v - centres[0].v);
      res += 0.8 * std::exp(-std::pow(dist_centre - 0.22, 2) / (2 * 0.08 * 0.08));
      for (const auto& s : suburbs) res += s.weight * gauss2(u - s.u, v - s.v, s.sigma);
      city.residential[i] = res;
      // Land use is mixed at the parcel scale: each fine cell leans to offices or to housing, so the
      // hour of day changes where flow goes *inside* a coarse cell, not only how much there is.
      const double parcel = parcel_rng.uniform();
      city.business[i] *= 0.15 + 2.4 * parcel * parcel;
      city.residential[i] *= 0.15 + 2.4 * (1.0 - parcel) * (1.0 - parcel);

      bool on_main = false, on_minor = false;
      for (double a : main_u) on_main = on_main || std::fabs(u - a) < road_half_width;
      for (double a : main_v) on_main = on_main || std::fabs(v - a) < road_half_width;
      const double cheb = std::max(std::fabs(u - 0.5), std::fabs(v - 0.5));
      on_main = on_main || std::fabs(cheb - ring) < road_half_width;
      for (double a : minor_u) on_minor = on_minor || std::fabs(u - a) < road_half_width;
      for (double a : minor_v) on_minor = on_minor || std::fabs(v - a) < road_half_width;
      // Traffic on a road grows towards the centre.
      const double road_density = 0.5 + 1.5 * std::exp(-dist_centre * dist_centre / (2 * 0.25 * 0.25));
      city.main_road[i] = on_main ? road_density : 0.0;
      city.minor_road[i] = (on_minor && !on_main) ? road_density : 0.0;

      bool water = std::fabs(v - (river_v + 0.05 * std::sin(2 * kPi * 1.3 * u + river_phase))) < 0.022;
      bool park = false;
      for (const auto& p : parks) park = park || std::pow((u - p.u) / p.ru, 2) + std::pow((v - p.v) / p.rv, 2) < 1.0;
      // Bridges and park roads keep main roads open.
      city.empty[i] = ((water || park) && !on_main) ? 1.0 : 0.0;

      for (const auto& h : hotspots) {
        const double g = gauss2(u - h.u, v - h.v, std::max(h.sigma, 0.45 * cell));
        if (g > 1e-4) city.hotspot[static_cast<std::size_t>(h.type)][i] += h.amplitude * g;
      }
    }
  }
  return city;
}

// ---------------------------------------------------------------------------------------------
// Time profiles (hour 0..23).

double smooth_peak(double hour, double centre, double width) {
  double d = std::fabs(hour - centre);
  d = std::min(d, 24.0 - d);
  return std::exp(-d * d / (2 * width * width));
}

struct Slot {
  std::int64_t day = 0;  // days since epoch
  int hour = 0, half = 0;
  int weekday = 1;
  bool holiday = false, weekend = false;
  int weather = kSunny;
  double temperature = 0, wind = 0;  // °C and mph
};

struct Weights {
  double level, business, residential, main_road, minor_road;
  std::array<double, kHotspotTypes> hotspot;
};

Weights weights_for(const Slot& s) {
  const double h = s.hour + 0.5 * s.half;
  const bool workday = !s.weekend && !s.holiday;
  Weights w{};
  // Overall activity: deep night trough, two rush-hour peaks on working days, a broad day on rest days.
  const double night = 0.06 + 0.94 * (1.0 - smooth_peak(h, 3.5, 2.2));
  const double rush = smooth_peak(h, 8.0, 1.0) + smooth_peak(h, 18.0, 1.3);
  const double day = smooth_peak(h, 14.0, 3.5);
  w.level = night * (workday ? 0.55 + 0.45 * rush + 0.3 * day : 0.6 + 0.45 * day);
  w.business = workday ? 0.04 + 1.2 * smooth_peak(h, 12.5, 3.2) + 0.5 * rush : 0.04 + 0.25 * day;
  w.residential = 0.3 + (workday ? 1.0 * smooth_peak(h, 7.5, 1.2) + 0.9 * smooth_peak(h, 20.0, 2.0)
                                 : 0.6 * smooth_peak(h, 10.0, 2.5) + 0.7 * smooth_peak(h, 20.0, 2.5));
  w.main_road = 0.7 + 0.6 * rush;
  w.minor_road = 0.5 + 0.2 * day;
  w.hotspot[kTransit] = 0.3 + (workday ? 1.6 * rush : 0.6 * day);
  w.hotspot[kMall] = 0.1 + (workday ? 0.5 : 1.4) * smooth_peak(h, 15.5, 3.0);
  w.hotspot[kOffice] = workday ? 0.1 + 1.3 * smooth_peak(h, 11.0, 3.0) : 0.08;
  w.hotspot[kNightlife] = 0.05 + (workday ? 0.6 : 1.3) * smooth_peak(h, 22.0, 2.0);
  w.hotspot[kHospital] = 0.2 + 0.6 * smooth_peak(h, 10.0, 2.5);

  // Weather moves flow onto the main roads and away from leisure; it also lowers the total.
  switch (weather_class(s.weather)) {
    case WeatherClass::Rain:
      w.level *= 0.88;
      w.main_road *= 2.0;
      w.minor_road *= 0.8;
      w.hotspot[kMall] *= 0.45;
      w.hotspot[kNightlife] *= 0.4;
      w.residential *= 0.85;
      break;
    case WeatherClass::HeavyRain:
      w.level *= 0.75;
      w.main_road *= 3.0;
      w.minor_road *= 0.6;
      w.hotspot[kMall] *= 0.25;
      w.hotspot[kNightlife] *= 0.2;
      w.residential *= 0.7;
      break;
    case WeatherClass::Snow:
      w.level *= 0.78;
      w.main_road *= 2.2;
      w.minor_road *= 0.5;
      w.hotspot[kMall] *= 0.5;
      w.hotspot[kNightlife] *= 0.4;
      break;
    case WeatherClass::Haze:
      w.level *= 0.92;
      w.hotspot[kMall] *= 0.7;
      w.hotspot[kNightlife] *= 0.7;
      break;
    case WeatherClass::Clear: break;
  }
  // Uncomfortable temperatures keep people from leisure spots.
  if (s.temperature < -5 || s.temperature > 33) {
    w.hotspot[kMall] *= 0.75;
    w.hotspot[kNightlife] *= 0.7;
  }
  return w;
}

// ---------------------------------------------------------------------------------------------

struct Preset {
  std::int64_t coarse, upscale, samples;  // samples 0 = the paper's size per task
};

Preset preset_of(const std::string& name) {
  if (name == "small") return {16, 4, 300};
  if (name == "paper") return {32, 4, 0};
  FUFI_THROW(UsageError, "unknown synthetic preset '{}'{} (small, paper)", name,
             did_you_mean(name, {"small", "paper"}));
}

const SynthTaskInfo& task_info(const std::string& name) {
  for (const auto& t : synth_tasks())
    if (t.name == name) return t;
  FUFI_THROW(UsageError, "unknown task '{}'{} (P1, P2, P3, P4)", name, did_you_mean(name, {"P1", "P2", "P3", "P4"}));
}

// All 30-minute slots of the task's period with their calendar and weather, chronologically.
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
    const bool hol = is_holiday(y, m, d);
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
        s.holiday = hol;
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

std::uint64_t task_salt(const std::string& name) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a of the task name
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// Fills one sample's fine map (H×W), coarse map (h×w) and ext row.
void generate_sample(const City& city, const Slot& slot, double growth, std::int64_t upscale, std::uint64_t seed,
                     float* fine, float* coarse, float* ext) {
  Rng rng(seed);
  const Weights w = weights_for(slot);
  const std::int64_t H = city.size, h = H / upscale;
  // Sample-to-sample variation: a global factor and a per-coarse-cell factor (events, incidents).
  const double global = growth * std::exp(0.12 * rng.normal());
  std::vector<double> cell_factor(static_cast<std::size_t>(h * h));
  for (auto& f : cell_factor) f = std::exp(0.3 * rng.normal() - 0.045);
  constexpr double kScale = 9.0;      // calibrated so that busy cells reach the hundreds (docs/DATA.md)
  constexpr double kDispersion = 3.0; // gamma shape: smaller = heavier tail, more zeros
  for (std::int64_t r = 0; r < H; ++r) {
    for (std::int64_t c = 0; c < H; ++c) {
      const std::size_t i = city.index(r, c);
      double intensity = w.business * city.business[i] + w.residential * city.residential[i] +
                         w.main_road * city.main_road[i] + w.minor_road * city.minor_road[i];
      for (int t = 0; t < kHotspotTypes; ++t) intensity += w.hotspot[static_cast<std::size_t>(t)] * city.hotspot[static_cast<std::size_t>(t)][i];
      intensity *= (1.0 - city.empty[i]) * kScale * w.level * global *
                   cell_factor[static_cast<std::size_t>((r / upscale) * h + c / upscale)];
      double mean = intensity > 0 ? intensity * rng.gamma(kDispersion) / kDispersion : 0.0;
      fine[i] = static_cast<float>(rng.poisson(mean));
    }
  }
  for (std::int64_t a = 0; a < h; ++a) {
    for (std::int64_t b = 0; b < h; ++b) {
      double sum = 0;
      for (std::int64_t u = 0; u < upscale; ++u)
        for (std::int64_t v = 0; v < upscale; ++v) sum += fine[(a * upscale + u) * H + b * upscale + v];
      coarse[a * h + b] = static_cast<float>(sum);  // integers: exact in float up to 2^24
    }
  }
  ext[0] = static_cast<float>((slot.temperature - kTempMin) / (kTempMax - kTempMin));
  ext[1] = static_cast<float>(slot.wind / kWindMax);
  ext[2] = slot.holiday ? 1.0f : 0.0f;
  ext[3] = slot.weekend ? 1.0f : 0.0f;
  ext[4] = static_cast<float>(slot.weekday);
  ext[5] = static_cast<float>(slot.hour);
  ext[6] = static_cast<float>(slot.weather);
}

}  // namespace

const std::vector<SynthTaskInfo>& synth_tasks() {
  static const std::vector<SynthTaskInfo> tasks{{"P1", 2013, 7, 1, 2013, 10, 31, 3060},
                                                {"P2", 2014, 2, 1, 2014, 6, 30, 3559},
                                                {"P3", 2015, 3, 1, 2015, 6, 30, 3792},
                                                {"P4", 2015, 11, 1, 2016, 3, 31, 4244}};
  return tasks;
}

SynthOptions resolve_synth_options(const SynthOptions& options) {
  SynthOptions o = options;
  const Preset p = preset_of(o.preset);
  if (o.tasks.empty()) FUFI_THROW(UsageError, "--tasks: no task given (P1, P2, P3, P4)");
  for (const auto& t : o.tasks) task_info(t);
  if (o.coarse_size == 0) o.coarse_size = p.coarse;
  if (o.upscale == 0) o.upscale = p.upscale;
  if (o.samples_per_task == 0) o.samples_per_task = p.samples;
  FUFI_CHECK(o.coarse_size >= 2 && o.coarse_size <= 256, UsageError, "coarse size {} out of range [2, 256]", o.coarse_size);
  FUFI_CHECK(o.upscale >= 2 && o.upscale <= 16, UsageError, "upscale {} out of range [2, 16]", o.upscale);
  FUFI_CHECK(o.samples_per_task >= 0 && o.samples_per_task <= 100000, UsageError,
             "samples per task {} out of range [10, 100000]", o.samples_per_task);
  FUFI_CHECK(o.samples_per_task == 0 || o.samples_per_task >= 10, UsageError,
             "samples per task {} out of range [10, 100000]", o.samples_per_task);
  FUFI_CHECK(o.threads >= 0, UsageError, "threads must be >= 0");
  return o;
}

SynthTask generate_synth_task(const SynthOptions& raw_options, const std::string& task) {
  const SynthOptions o = resolve_synth_options(raw_options);
  const SynthTaskInfo& info = task_info(task);
  const std::int64_t n = o.samples_per_task > 0 ? o.samples_per_task : info.paper_size;
  const std::int64_t h = o.coarse_size, s = o.upscale, H = h * s;
  const std::uint64_t salt = task_salt(task);

  const City city = build_city(H, o.seed);
  std::vector<Slot> slots = period_slots(info, o.seed, salt);
  FUFI_CHECK(static_cast<std::int64_t>(slots.size()) >= n, UsageError,
             "task {} has {} half-hour slots; cannot draw {} samples", task, slots.size(), n);
  // A sorted random subset of the period's slots: chronological order is kept.
  std::vector<std::size_t> order(slots.size());
  std::iota(order.begin(), order.end(), 0);
  Rng pick(mix_seed(o.seed, salt, 0x5A3Eull));
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) std::swap(order[i], order[i + pick.below(order.size() - i)]);
  order.resize(static_cast<std::size_t>(n));
  std::sort(order.begin(), order.end());

  // The city grows a little from 2013 to 2016.
  const double growth = 1.0 + 0.05 * (info.start_year - 2013);

  std::vector<float> fine(static_cast<std::size_t>(n * H * H)), coarse(static_cast<std::size_t>(n * h * h)),
      ext(static_cast<std::size_t>(n * 7));
  unsigned threads = o.threads > 0 ? static_cast<unsigned>(o.threads) : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::int64_t>(threads, n));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (std::int64_t i = t; i < n; i += threads) {
        const auto ui = static_cast<std::size_t>(i);
        generate_sample(city, slots[order[ui]], growth, s, mix_seed(o.seed, salt, static_cast<std::uint64_t>(i) + 1),
                        fine.data() + ui * static_cast<std::size_t>(H * H), coarse.data() + ui * static_cast<std::size_t>(h * h),
                        ext.data() + ui * 7);
      }
    });
  }
  for (auto& th : pool) th.join();

  // Chronological 7:1:2 split.
  const std::int64_t n_train = n * 7 / 10, n_valid = n / 10;
  SynthTask out;
  out.name = task;
  auto take = [&](std::int64_t begin, std::int64_t end, SynthSplit& split) {
    const std::int64_t m = end - begin;
    split.X.shape = {m, h, h};
    split.Y.shape = {m, H, H};
    split.ext.shape = {m, 7};
    split.X.values.assign(coarse.begin() + begin * h * h, coarse.begin() + end * h * h);
    split.Y.values.assign(fine.begin() + begin * H * H, fine.begin() + end * H * H);
    split.ext.values.assign(ext.begin() + begin * 7, ext.begin() + end * 7);
  };
  take(0, n_train, out.train);
  take(n_train, n_train + n_valid, out.valid);
  take(n_train + n_valid, n, out.test);
  return out;
}

void write_synth_dataset(const std::string& out_dir, const SynthOptions& raw_options) {
  const SynthOptions o = resolve_synth_options(raw_options);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) FUFI_THROW(InputError, "{}: cannot create directory: {}", out_dir, ec.message());
  std::string sizes;
  for (const auto& task : o.tasks) {
    SynthTask t = generate_synth_task(o, task);
    const std::pair<const char*, SynthSplit*> splits[] = {{"train", &t.train}, {"valid", &t.valid}, {"test", &t.test}};
    for (const auto& [name, split] : splits) {
      const fs::path dir = fs::path(out_dir) / task / name;
      fs::create_directories(dir, ec);
      if (ec) FUFI_THROW(InputError, "{}: cannot create directory: {}", dir.string(), ec.message());
      write_npy((dir / "X.npy").string(), split->X);
      write_npy((dir / "Y.npy").string(), split->Y);
      write_npy((dir / "ext.npy").string(), split->ext);
    }
    sizes += fmt::format("{}\"{}\": [{}, {}, {}]", sizes.empty() ? "" : ", ", task, t.train.X.shape[0],
                         t.valid.X.shape[0], t.test.X.shape[0]);
  }
  const std::string meta = fmt::format(
      "{{\n  \"generator\": \"fufi synthetic TaxiBJ-like\",\n  \"generator_version\": {},\n  \"preset\": \"{}\",\n"
      "  \"seed\": {},\n  \"coarse\": {},\n  \"upscale\": {},\n  \"splits\": {{{}}}\n}}\n",
      kSynthGeneratorVersion, o.preset, o.seed, o.coarse_size, o.upscale, sizes);
  const std::string meta_path = (fs::path(out_dir) / "fufi_synth.json").string();
  std::ofstream out(meta_path + ".tmp");
  out << meta;
  out.close();
  if (!out || std::rename((meta_path + ".tmp").c_str(), meta_path.c_str()) != 0)
    FUFI_THROW(RuntimeError, "{}: cannot write", meta_path);
}

}  // namespace fufi::data
