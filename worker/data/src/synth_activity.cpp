// The synthetic city's population model: where its people are in one half-hour slot, and how much flow they
// make there. Residents are at home, at work (commuters: they leave homes for offices and industry in the
// morning and come back in the evening, passing the arterials on the way), out at shops, bars and parks
// (more on rest days and evenings, less in bad weather, parks only by day and in dry weather), or travelling
// through metro interchanges and railway stations (busiest at the rush hours and around holidays). Each
// group's flow per person depends on what it is doing (asleep at home: little). Nothing here is fitted to
// a target statistic; the statistics that result are measured in docs/DATA.md.
#include <algorithm>
#include <cmath>

#include "synth_internal.h"

namespace fufi::data::synth {

namespace {

// 0 before a, 1 after b, smooth in between.
double ramp(double t, double a, double b) {
  if (t <= a) return 0.0;
  if (t >= b) return 1.0;
  const double x = (t - a) / (b - a);
  return x * x * (3 - 2 * x);
}

// Open from `open` to `close` (close may pass midnight: up to 30), with soft edges of `edge` hours.
double window(double t, double open, double close, double edge) {
  auto at = [&](double x) { return ramp(x, open - edge, open + edge) * (1.0 - ramp(x, close - edge, close + edge)); };
  return std::max(at(t), at(t + 24.0));
}

// A daily peak at `centre` (hours, circular) of width `width`.
double bump(double t, double centre, double width) {
  double d = std::fabs(t - centre);
  d = std::min(d, 24.0 - d);
  return std::exp(-d * d / (2 * width * width));
}

struct DayType {
  bool workday, friday, saturday;
};

DayType day_type(const Slot& s) {
  const bool rest = s.weekend || s.holiday;
  return {!rest, !rest && s.weekday == 5, s.weekday == 6 && !s.holiday};
}

// Fraction of the working population at their workplace at time t.
double at_work(double t, const DayType& d) {
  if (d.workday) {
    const double leave_from = d.friday ? 16.5 : 17.0, leave_to = d.friday ? 18.5 : 19.5;
    return 0.93 * ramp(t, 7.0, 9.5) * (1.0 - ramp(t, leave_from, leave_to));
  }
  return (d.saturday ? 0.18 : 0.07) * ramp(t, 8.0, 10.0) * (1.0 - ramp(t, 16.0, 18.0));
}

}  // namespace

Activity activity_for(const Slot& s, const City& city) {
  const double t = s.time();
  const DayType day = day_type(s);
  const WeatherClass wc = weather_class(s.weather);
  const bool wet = wc == WeatherClass::Rain || wc == WeatherClass::HeavyRain;
  const bool cold = s.temperature < -5, hot = s.temperature > 32;

  // Residents in the city: during the long breaks many leave it.
  const double people = city.residents * (s.long_break ? 0.72 : 1.0);
  const double workers = 0.55 * people;

  // Commutes: the working population moves between homes and workplaces; those between them are on the
  // roads. Bad weather slows traffic, so more of them are on the way at once.
  const double travel_hours = 0.6 * (wc == WeatherClass::Rain ? 1.35 : wc == WeatherClass::HeavyRain ? 1.6
                                     : wc == WeatherClass::Snow ? 1.7 : 1.0);
  const double working = at_work(t, day);
  const double commuting = std::min(0.5, std::fabs(at_work(t + 0.25, day) - at_work(t - 0.25, day)) / 0.5 * travel_hours);

  // Going out: errands at lunch and after work on working days, the whole afternoon and evening on rest
  // days, late nights at the end of the week; rain, snow and extreme temperatures keep people in.
  double out = day.workday ? 0.04 + 0.10 * bump(t, 12.5, 1.5) + 0.22 * bump(t, 19.5, 1.6)
                           : 0.06 + 0.38 * bump(t, 15.0, 3.0) + 0.25 * bump(t, 20.0, 1.8);
  if (day.friday || day.saturday) out += 0.12 * bump(t, 23.0, 1.5);
  out *= wc == WeatherClass::Rain ? 0.65 : wc == WeatherClass::HeavyRain ? 0.4 : wc == WeatherClass::Snow ? 0.55
       : wc == WeatherClass::Haze ? 0.85 : 1.0;
  if (cold || hot) out *= 0.8;
  if (s.long_break) out *= 1.2;
  // Where those who are out go: shops by day, bars by night, parks by dry daylight, or their own street.
  double retail = window(t, 9.5, 22.0, 0.5) * (day.workday ? 1.0 : 1.3) * (wet ? 1.3 : 1.0) * (hot ? 1.2 : 1.0);
  double nightlife = window(t, 17.5, 26.5, 0.75) * (day.friday || day.saturday ? 1.5 : 1.0) * (wet ? 0.7 : 1.0);
  double park = window(t, 6.0, 19.5, 0.5) * (day.workday ? 1.0 : 1.4) *
                (wc == WeatherClass::Clear ? 1.0 : wc == WeatherClass::Haze ? 0.4 : wc == WeatherClass::Snow ? 0.15
                 : wc == WeatherClass::Rain ? 0.08 : 0.02);
  if (hot && t > 11 && t < 16) park *= 0.35;
  if (s.temperature < -3) park *= 0.4;
  const double stay = 0.4;
  const double venues = retail + nightlife + park + stay;
  const double going_out = out * people;

  Activity a;
  auto& w = a.per_capacity;
  auto per = [&](double persons, LandUse use) {
    return city.total_capacity[use] > 0 ? persons / city.total_capacity[use] : 0.0;
  };
  // Homes: everyone not at work, on the way or out; asleep at night. Departures and arrivals add trips.
  const double at_home = std::max(0.0, people - workers * (working + commuting) - going_out * (1.0 - stay / venues));
  const double awake = 1.0 - 0.92 * window(t, 23.5, 29.5, 1.0);
  w[kResidential] = per(at_home * awake + 1.5 * workers * commuting, kResidential);
  // Workplaces: offices follow the commute, with a lunch-hour bump; industry works in shifts. Offices and
  // industry share the working population by their capacity.
  const double jobs = city.total_capacity[kOffice] + city.total_capacity[kIndustrial];
  const double job_density = jobs > 0 ? workers / jobs : 0.0;
  w[kOffice] = job_density * (working * (0.6 + 0.5 * bump(t, 12.3, 0.8)) + 1.5 * commuting);
  const double shift = (day.workday ? 1.0 : 0.55) *
                       (0.3 + 0.45 * window(t, 6.0, 22.0, 0.5) + 0.5 * (bump(t, 6.0, 0.5) + bump(t, 14.0, 0.5) + bump(t, 22.0, 0.5)));
  w[kIndustrial] = job_density * 0.7 * shift;
  // Campuses: students in term time on working days.
  const double term = s.school_vacation ? 0.15 : 1.0;
  w[kCampus] = term * (day.workday ? 0.2 + 0.8 * window(t, 7.5, 22.0, 0.5) : 0.15 + 0.35 * window(t, 9.0, 22.0, 0.5));
  w[kHospital] = 0.3 + (day.workday ? 0.8 : 0.4) * window(t, 8.0, 17.5, 0.5);
  // Venues share the people who are out.
  w[kRetail] = per(going_out * retail / venues, kRetail);
  w[kNightlife] = per(going_out * nightlife / venues, kNightlife);
  w[kPark] = per(going_out * park / venues, kPark);
  // Metro interchanges: a share of the commuters and of those going out, and a daytime base; no service
  // in the small hours. Railway stations: intercity travel, heavy on the days around holidays.
  const double service = window(t, 5.5, 23.5, 0.5);
  w[kTransitHub] = per(service * (0.4 * workers * commuting * (wet ? 1.2 : 1.0) + 0.08 * going_out + 0.01 * people), kTransitHub);
  w[kStation] = per(service * 0.006 * people * (s.travel_day ? 4.0 : 1.0) * (0.5 + bump(t, 10.0, 3.0) + bump(t, 18.0, 2.0)),
                    kStation);
  // Roads: through traffic (deliveries, business trips, taxis between other places) peaks with the rush
  // hours on working days and rises late and lasts into the evening on rest days; commuters and people going
  // out load their routes. In the rain more of them take a car or a taxi.
  const double traffic = day.workday ? 0.05 + 0.45 * window(t, 6.0, 22.5, 1.0) + 0.6 * (bump(t, 8.0, 1.2) + bump(t, 18.0, 1.5))
                                     : 0.05 + 0.7 * window(t, 8.0, 23.0, 1.5);
  w[kRoad] = per(0.1 * people * traffic * (wet ? 1.2 : 1.0), kRoad);
  constexpr double kPassesPerTrip = 3.0;
  a.commute_flow = city.commute_length > 0
                       ? kPassesPerTrip * workers * commuting * (wet ? 1.3 : 1.0) / city.commute_length
                       : 0.0;
  a.leisure_flow = city.leisure_length > 0 ? kPassesPerTrip * 0.25 * going_out / city.leisure_length : 0.0;
  return a;
}

}  // namespace fufi::data::synth
