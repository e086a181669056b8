#pragma once
// Internals of the synthetic city generator, shared by its sections (not part of fufi_data's interface):
//   synth_calendar.cpp  the task's half-hour slots: calendar, holidays, school terms, weather, temperature
//   synth_city.cpp      the city: districts, arterial roads, parcels with land uses, commute/leisure routes
//   synth_activity.cpp  the population model: where the city's people are (and how busy) in one slot
//   synth.cpp           options, presets, drawing the counts of one sample, splits, writing the dataset
// docs/DATA.md describes the model as a whole.
#include <array>
#include <cstdint>
#include <vector>

#include "fufi/data/synth.h"

namespace fufi::data::synth {

constexpr double kPi = 3.14159265358979323846;

// ---------------------------------------------------------------------------------------------
// Calendar and weather (synth_calendar.cpp)

// TaxiBJ weather codes 1..17 (ext column 6).
enum Weather {
  kSunny = 1, kCloudy, kOvercast, kRainy, kSprinkle, kModerateRain, kHeavyRain, kRainstorm, kThunderstorm,
  kFreezingRain, kSnowy, kLightSnow, kModerateSnow, kHeavySnow, kFoggy, kSandstorm, kDusty
};

enum class WeatherClass { Clear, Rain, HeavyRain, Snow, Haze };
WeatherClass weather_class(int code);

// Paper Table 4 ranges, used to min-max scale temperature and wind into [0, 1] as TaxiBJ's ext does.
constexpr double kTempMin = -24.6, kTempMax = 41.0, kWindMax = 48.6;

struct Slot {
  std::int64_t day = 0;  // days since 1970-01-01
  int hour = 0, half = 0;
  int weekday = 1;                   // ISO 1 (Monday) .. 7 (Sunday)
  bool weekend = false, holiday = false;
  bool long_break = false;           // Spring Festival or National Day week: many residents leave the city
  bool travel_day = false;           // first or last day of a holiday, or the working day before one
  bool school_vacation = false;      // campuses are nearly empty
  int weather = kSunny;
  double temperature = 0, wind = 0;  // °C and mph
  double time() const { return hour + 0.5 * half + 0.25; }  // the slot's midpoint in hours
};

// All 30-minute slots of the task's period with their calendar and weather, chronologically.
std::vector<Slot> period_slots(const SynthTaskInfo& task, std::uint64_t seed, std::uint64_t task_salt);

// ---------------------------------------------------------------------------------------------
// The city (synth_city.cpp)

enum LandUse : std::uint8_t {
  kRoad = 0,     // arterial road: through traffic, commute and leisure routes
  kResidential,  // homes
  kOffice,       // office jobs
  kIndustrial,   // shift work, logistics
  kCampus,       // universities and schools (term time)
  kHospital,
  kRetail,       // shops and malls
  kNightlife,    // restaurants, bars, entertainment
  kPark,         // closed at night, empty in bad weather
  kTransitHub,   // metro interchanges
  kStation,      // intercity railway stations (holiday travel)
  kWater,        // river: no flow ever
  kLandUses
};

struct City {
  std::int64_t size = 0;                // the fine grid is size × size
  std::vector<std::uint8_t> use;        // per cell: LandUse
  std::vector<float> capacity;          // per cell: people the cell holds or serves (residents, jobs, visitors)
  std::vector<std::int32_t> parcel;     // per cell: its parcel (roads are parcels too: one per cell)
  std::vector<float> commute, leisure;  // per cell: home→work and home→venue trips passing it, per trip
  std::int32_t parcels = 0;
  std::vector<std::uint8_t> parcel_use;  // per parcel: LandUse
  std::array<double, kLandUses> total_capacity{};
  double residents = 0;                 // total residential capacity
  double commute_length = 0, leisure_length = 0;  // mean route length in cells (Σ of the per-trip loads)

  std::size_t index(std::int64_t r, std::int64_t c) const { return static_cast<std::size_t>(r * size + c); }
};

City build_city(std::int64_t size, std::uint64_t seed);

// ---------------------------------------------------------------------------------------------
// The population model (synth_activity.cpp)

// The expected flow of one slot, before noise: cell i's intensity is
//   capacity[i] · per_capacity[use[i]] + commute[i] · commute_flow + leisure[i] · leisure_flow.
struct Activity {
  std::array<double, kLandUses> per_capacity{};
  double commute_flow = 0, leisure_flow = 0;
};

Activity activity_for(const Slot& slot, const City& city);

}  // namespace fufi::data::synth
