// The synthetic city's layout. Districts are laid out in continuous coordinates [0,1]² (so every preset
// shows the same district plan: a CBD, secondary and local centres, industrial zones, campuses, an
// entertainment quarter, parks, a river); streets and parcels are laid out in fine cells (a parcel is one to
// three cells a side, like a city block's lots). Each parcel draws its land use from its district's mix, so
// neighbouring blocks share a character while the cells inside one coarse cell differ in use; commute and
// leisure trips are routed along the arterial grid and load the roads they pass.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "fufi/data/random.h"
#include "synth_internal.h"

namespace fufi::data::synth {

namespace {

constexpr std::uint64_t kCitySeedSalt = 0xC17Eull;
// Spread (log scale) of the people a parcel holds per cell: lot sizes and building heights vary a lot.
constexpr double kLotSigma = 1.1;

double gauss2(double du, double dv, double sigma) { return std::exp(-(du * du + dv * dv) / (2 * sigma * sigma)); }

struct Blob {
  double u, v, sigma, weight;
};

double blob_field(const std::vector<Blob>& blobs, double u, double v) {
  double f = 0;
  for (const auto& b : blobs) f += b.weight * gauss2(u - b.u, v - b.v, b.sigma);
  return f;
}

// The district plan: smooth fields that set each parcel's land-use odds.
struct Districts {
  std::vector<Blob> centres, industry, campus, entertainment, green;
  std::array<std::pair<double, double>, 2> stations{};
  double river_v = 0.6, river_phase = 0;

  double centrality(double u, double v) const { return std::min(1.0, blob_field(centres, u, v)); }
  bool water(double u, double v) const {
    return std::fabs(v - (river_v + 0.05 * std::sin(2 * kPi * 1.3 * u + river_phase))) < 0.022;
  }
};

Districts plan_districts(std::uint64_t seed) {
  Rng rng(mix_seed(seed, kCitySeedSalt));
  Districts d;
  d.centres.push_back({rng.uniform(0.44, 0.56), rng.uniform(0.42, 0.52), 0.085, 1.0});  // CBD
  d.centres.push_back({rng.uniform(0.2, 0.32), rng.uniform(0.25, 0.38), 0.06, 0.65});
  d.centres.push_back({rng.uniform(0.66, 0.8), rng.uniform(0.62, 0.78), 0.055, 0.55});
  for (int i = 0; i < 6; ++i)  // local centres: a high street in every quarter
    d.centres.push_back({rng.uniform(0.08, 0.92), rng.uniform(0.08, 0.92), rng.uniform(0.03, 0.045), rng.uniform(0.3, 0.5)});
  for (int i = 0; i < 2; ++i) {  // industry sits at the edge of the city
    const double a = rng.uniform(0, 2 * kPi), r = rng.uniform(0.32, 0.42);
    d.industry.push_back({0.5 + r * std::cos(a), 0.5 + r * std::sin(a), rng.uniform(0.06, 0.09), 1.0});
  }
  for (int i = 0; i < 2; ++i)
    d.campus.push_back({rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85), rng.uniform(0.035, 0.05), 1.0});
  d.entertainment.push_back({d.centres[0].u + rng.uniform(-0.1, 0.1), d.centres[0].v + rng.uniform(-0.1, 0.1), 0.04, 1.0});
  d.entertainment.push_back({d.centres[1].u + rng.uniform(-0.06, 0.06), d.centres[1].v + rng.uniform(-0.06, 0.06), 0.03, 0.8});
  for (int i = 0; i < 5; ++i)
    d.green.push_back({rng.uniform(0.08, 0.92), rng.uniform(0.08, 0.92), rng.uniform(0.03, 0.06), 1.0});
  for (auto& s : d.stations) {
    const double a = rng.uniform(0, 2 * kPi), r = rng.uniform(0.18, 0.3);
    s = {0.5 + r * std::cos(a), 0.5 + r * std::sin(a)};
  }
  d.river_phase = rng.uniform(0, 2 * kPi);
  d.river_v = rng.uniform(0.58, 0.68);
  return d;
}

// Land-use odds of a parcel at (u, v).
LandUse draw_land_use(const Districts& d, double u, double v, Rng& rng) {
  const double cen = d.centrality(u, v);
  std::array<double, kLandUses> w{};
  w[kResidential] = 0.8 * (1.0 - 0.7 * cen);
  w[kOffice] = 0.04 + 1.1 * cen * cen;
  w[kRetail] = 0.12 + 0.3 * cen;
  w[kNightlife] = 0.05 + 0.1 * cen + 1.2 * blob_field(d.entertainment, u, v);
  w[kPark] = 0.04 + 3.0 * blob_field(d.green, u, v);
  w[kIndustrial] = 2.5 * blob_field(d.industry, u, v);
  w[kCampus] = 0.025 + 3.0 * blob_field(d.campus, u, v);
  w[kHospital] = 0.012;
  double total = std::accumulate(w.begin(), w.end(), 0.0);
  double r = rng.uniform() * total;
  for (int k = 0; k < kLandUses; ++k)
    if ((r -= w[static_cast<std::size_t>(k)]) < 0) return static_cast<LandUse>(k);
  return kResidential;
}

// People per cell of each land use (before the parcel's own size factor and the centre's taller buildings).
double use_density(LandUse use) {
  switch (use) {
    case kResidential: return 1.0;
    case kOffice: return 1.6;
    case kIndustrial: return 0.7;
    case kCampus: return 0.9;
    case kHospital: return 1.2;
    case kRetail: return 1.0;
    case kNightlife: return 0.9;
    case kPark: return 0.6;
    case kTransitHub: return 4.0;
    case kStation: return 10.0;
    default: return 1.0;
  }
}

// Arterial positions along one axis: every 6..10 cells.
std::vector<std::int64_t> arterials(std::int64_t size, Rng& rng) {
  std::vector<std::int64_t> lines;
  for (std::int64_t p = static_cast<std::int64_t>(rng.below(4)) + 2; p < size - 1; p += 6 + static_cast<std::int64_t>(rng.below(5)))
    lines.push_back(p);
  if (lines.empty()) lines.push_back(size / 2);  // tiny grids (the --coarse/--upscale overrides): one road
  return lines;
}

std::int64_t nearest(const std::vector<std::int64_t>& lines, std::int64_t p) {
  std::int64_t best = lines.front();
  for (auto l : lines)
    if (std::llabs(l - p) < std::llabs(best - p)) best = l;
  return best;
}

struct ParcelInfo {
  LandUse use;
  double capacity = 0;  // summed over its cells
  std::int64_t r = 0, c = 0;  // a representative cell
};

// Routes `trips` trips from origins drawn by `origin_weight` to destinations drawn by `destination_weight`
// with a gravity model (acceptance exp(-distance / reach)), along the arterial grid: along the arterial row
// nearest the origin, then the arterial column nearest the destination. Returns the passes per cell per trip.
std::vector<float> route_trips(const City& city, const std::vector<ParcelInfo>& parcels,
                               const std::vector<double>& origin_weight, const std::vector<double>& destination_weight,
                               const std::vector<std::int64_t>& rows, const std::vector<std::int64_t>& cols, int trips,
                               double reach, Rng& rng) {
  std::vector<float> load(city.use.size(), 0.0f);
  auto cumulative = [](const std::vector<double>& w) {
    std::vector<double> c(w.size());
    std::partial_sum(w.begin(), w.end(), c.begin());
    return c;
  };
  const auto co = cumulative(origin_weight), cd = cumulative(destination_weight);
  if (co.empty() || cd.empty() || co.back() <= 0 || cd.back() <= 0) return load;
  auto draw = [&](const std::vector<double>& c) {
    const double x = rng.uniform() * c.back();
    return static_cast<std::size_t>(std::upper_bound(c.begin(), c.end(), x) - c.begin());
  };
  for (int t = 0; t < trips; ++t) {
    const auto& o = parcels[std::min(draw(co), parcels.size() - 1)];
    const ParcelInfo* dest = nullptr;
    for (int attempt = 0; attempt < 64 && !dest; ++attempt) {
      const auto& cand = parcels[std::min(draw(cd), parcels.size() - 1)];
      const double dist = std::hypot(static_cast<double>(cand.r - o.r), static_cast<double>(cand.c - o.c));
      if (attempt == 63 || rng.uniform() < std::exp(-dist / reach)) dest = &cand;
    }
    const std::int64_t row = nearest(rows, o.r), col = nearest(cols, dest->c);
    for (std::int64_t c = std::min(o.c, col); c <= std::max(o.c, col); ++c) load[city.index(row, c)] += 1.0f;
    for (std::int64_t r = std::min(row, dest->r); r <= std::max(row, dest->r); ++r)
      if (r != row) load[city.index(r, col)] += 1.0f;
  }
  for (auto& l : load) l /= static_cast<float>(trips);
  return load;
}

}  // namespace

namespace {

// Builds one city in named steps. The steps draw from one random stream in a fixed order (roads, parcels, metro
// interchanges, trips), so the same seed and size give the same city byte for byte.
class CityBuilder {
 public:
  CityBuilder(std::int64_t size, std::uint64_t seed)
      : plan_(plan_districts(seed)),
        // Streets and parcels come from their own stream per grid size.
        rng_(mix_seed(seed, kCitySeedSalt, static_cast<std::uint64_t>(size))),
        size_(size),
        cell_(1.0 / static_cast<double>(size)) {
    city_.size = size;
    const std::size_t n = static_cast<std::size_t>(size * size);
    city_.use.assign(n, kResidential);
    city_.capacity.assign(n, 0.0f);
    city_.parcel.assign(n, -1);
  }

  City build() {
    lay_roads();
    split_superblocks();
    place_transit();
    flood_river();
    sum_capacities();
    route_all_trips();
    return std::move(city_);
  }

 private:
  std::pair<double, double> uv(double r, double c) const { return {(c + 0.5) * cell_, (r + 0.5) * cell_}; }

  std::int32_t new_parcel(LandUse use, std::int64_t r, std::int64_t c) {
    parcels_.push_back({use, 0.0, r, c});
    return static_cast<std::int32_t>(parcels_.size() - 1);
  }

  void set_cell(std::int64_t r, std::int64_t c, LandUse use, double capacity, std::int32_t parcel) {
    const auto i = city_.index(r, c);
    city_.use[i] = use;
    city_.capacity[i] = static_cast<float>(capacity);
    city_.parcel[i] = parcel;
  }

  // Arterial rows and columns; roads are one parcel per cell (its traffic varies cell by cell), busier towards
  // the centres.
  void lay_roads() {
    rows_ = arterials(size_, rng_);
    cols_ = arterials(size_, rng_);
    std::vector<bool> road_row(static_cast<std::size_t>(size_), false), road_col(static_cast<std::size_t>(size_), false);
    for (auto r : rows_) road_row[static_cast<std::size_t>(r)] = true;
    for (auto c : cols_) road_col[static_cast<std::size_t>(c)] = true;
    for (std::int64_t r = 0; r < size_; ++r)
      for (std::int64_t c = 0; c < size_; ++c) {
        if (!road_row[static_cast<std::size_t>(r)] && !road_col[static_cast<std::size_t>(c)]) continue;
        const auto [u, v] = uv(static_cast<double>(r), static_cast<double>(c));
        set_cell(r, c, kRoad, 0.4 + 1.2 * plan_.centrality(u, v), new_parcel(kRoad, r, c));
      }
  }

  struct Rect {
    std::int64_t r0, c0, r1, c1;  // half-open
  };

  // Superblocks between arterials, split recursively into parcels of at most 3 cells a side, depth-first in a
  // fixed order: the layout depends on the seed only.
  void split_superblocks() {
    std::vector<std::int64_t> row_edges{-1}, col_edges{-1};
    row_edges.insert(row_edges.end(), rows_.begin(), rows_.end());
    col_edges.insert(col_edges.end(), cols_.begin(), cols_.end());
    row_edges.push_back(size_);
    col_edges.push_back(size_);
    std::vector<Rect> stack;
    for (std::size_t a = 0; a + 1 < row_edges.size(); ++a)
      for (std::size_t b = 0; b + 1 < col_edges.size(); ++b) {
        Rect rect{row_edges[a] + 1, col_edges[b] + 1, row_edges[a + 1], col_edges[b + 1]};
        if (rect.r1 > rect.r0 && rect.c1 > rect.c0) stack.push_back(rect);
      }
    std::reverse(stack.begin(), stack.end());
    while (!stack.empty()) {
      Rect rect = stack.back();
      stack.pop_back();
      if (!split(rect, stack)) make_parcel(rect);
    }
  }

  // Pushes the two halves of a rectangle that must or may split; false: it stays one parcel.
  bool split(const Rect& rect, std::vector<Rect>& stack) {
    const std::int64_t hgt = rect.r1 - rect.r0, wid = rect.c1 - rect.c0;
    const bool big = hgt > 3 || wid > 3;
    if (!(big || (hgt * wid > 2 && rng_.uniform() < 0.35))) return false;
    const bool split_rows = hgt > wid || (hgt == wid && rng_.uniform() < 0.5);
    const std::int64_t len = split_rows ? hgt : wid;
    if (len < 2) return false;
    const std::int64_t cut = 1 + static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(len - 1)));
    Rect a = rect, b = rect;
    if (split_rows) {
      a.r1 = b.r0 = rect.r0 + cut;
    } else {
      a.c1 = b.c0 = rect.c0 + cut;
    }
    stack.push_back(b);
    stack.push_back(a);
    return true;
  }

  // One parcel: its land use from its district's mix; lot size and building height heavy-tailed, taller
  // towards the centres.
  void make_parcel(const Rect& rect) {
    const double rc = 0.5 * static_cast<double>(rect.r0 + rect.r1 - 1), cc = 0.5 * static_cast<double>(rect.c0 + rect.c1 - 1);
    const auto [u, v] = uv(rc, cc);
    const LandUse use = draw_land_use(plan_, u, v, rng_);
    const double cen = plan_.centrality(u, v);
    const double tall = (use == kResidential || use == kOffice || use == kRetail) ? 1.0 + 1.5 * cen : 1.0;
    const double density = use_density(use) * tall * std::exp(kLotSigma * rng_.normal() - 0.5 * kLotSigma * kLotSigma);
    const std::int32_t id = new_parcel(use, rect.r0, rect.c0);
    for (std::int64_t r = rect.r0; r < rect.r1; ++r)
      for (std::int64_t c = rect.c0; c < rect.c1; ++c) set_cell(r, c, use, density, id);
  }

  // Metro interchanges next to arterial crossings, more of them downtown; two intercity railway stations.
  void place_transit() {
    for (auto r : rows_)
      for (auto c : cols_) {
        if (r + 1 >= size_ || c + 1 >= size_) continue;
        const auto [u, v] = uv(static_cast<double>(r), static_cast<double>(c));
        if (rng_.uniform() >= 0.06 + 0.6 * plan_.centrality(u, v)) continue;
        const double capacity = use_density(kTransitHub) * std::exp(0.5 * rng_.normal());
        set_cell(r + 1, c + 1, kTransitHub, capacity, new_parcel(kTransitHub, r + 1, c + 1));
      }
    // A station has one physical size: 2×2 cells of the small preset's 64×64 grid, 4×4 of the paper's 128×128.
    const std::int64_t side = std::max<std::int64_t>(1, (2 * size_ + 32) / 64);
    const double s = static_cast<double>(size_);
    for (const auto& st : plan_.stations) {
      const std::int64_t r0 = std::clamp<std::int64_t>(static_cast<std::int64_t>(st.second * s), 0, size_ - side);
      const std::int64_t c0 = std::clamp<std::int64_t>(static_cast<std::int64_t>(st.first * s), 0, size_ - side);
      const std::int32_t id = new_parcel(kStation, r0, c0);
      for (std::int64_t r = r0; r < r0 + side; ++r)
        for (std::int64_t c = c0; c < c0 + side; ++c)
          if (city_.use[city_.index(r, c)] != kRoad) set_cell(r, c, kStation, use_density(kStation), id);
    }
  }

  // The river: no flow, except on the bridges (the arterials cross it).
  void flood_river() {
    for (std::int64_t r = 0; r < size_; ++r)
      for (std::int64_t c = 0; c < size_; ++c) {
        const auto i = city_.index(r, c);
        const auto [u, v] = uv(static_cast<double>(r), static_cast<double>(c));
        if (city_.use[i] != kRoad && plan_.water(u, v)) {
          city_.use[i] = kWater;
          city_.capacity[i] = 0.0f;
        }
      }
  }

  void sum_capacities() {
    for (std::size_t i = 0; i < city_.use.size(); ++i) {
      const auto id = static_cast<std::size_t>(city_.parcel[i]);
      if (city_.use[i] != kWater) parcels_[id].capacity += city_.capacity[i];
      city_.total_capacity[city_.use[i]] += city_.capacity[i];
    }
    city_.parcels = static_cast<std::int32_t>(parcels_.size());
    for (const auto& p : parcels_) city_.parcel_use.push_back(p.use);
    city_.residents = city_.total_capacity[kResidential];
  }

  // Trips: homes to workplaces (commutes) and homes to shops, bars and parks (leisure).
  void route_all_trips() {
    std::vector<double> homes(parcels_.size(), 0.0), jobs(parcels_.size(), 0.0), venues(parcels_.size(), 0.0);
    for (std::size_t p = 0; p < parcels_.size(); ++p) {
      const LandUse u = parcels_[p].use;
      const double cap = parcels_[p].capacity;
      if (u == kResidential) homes[p] = cap;
      if (u == kOffice || u == kIndustrial || u == kCampus || u == kHospital) jobs[p] = cap;
      if (u == kRetail || u == kNightlife || u == kPark) venues[p] = cap;
    }
    const double s = static_cast<double>(size_);
    city_.commute = route_trips(city_, parcels_, homes, jobs, rows_, cols_, 6000, 0.4 * s, rng_);
    city_.leisure = route_trips(city_, parcels_, homes, venues, rows_, cols_, 4000, 0.2 * s, rng_);
    city_.commute_length = std::accumulate(city_.commute.begin(), city_.commute.end(), 0.0);
    city_.leisure_length = std::accumulate(city_.leisure.begin(), city_.leisure.end(), 0.0);
  }

  const Districts plan_;
  Rng rng_;
  const std::int64_t size_;
  const double cell_;
  City city_;
  std::vector<ParcelInfo> parcels_;
  std::vector<std::int64_t> rows_, cols_;
};

}  // namespace

City build_city(std::int64_t size, std::uint64_t seed) { return CityBuilder(size, seed).build(); }

}  // namespace fufi::data::synth
