#include "fufi/data/synth.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <thread>

#include "fufi/core/atomic_file.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/data/random.h"
#include "synth_internal.h"

namespace fs = std::filesystem;

namespace fufi::data {

namespace {

using namespace synth;

// Mean fine-cell flow of the reference day (a dry, mild Wednesday): sets the city's overall volume so that
// fine cells carry single digits to tens and busy cells hundreds, as TaxiBJ's do (docs/DATA.md).
constexpr double kReferenceMeanFlow = 4.0;
// Sample-to-sample variation that no context explains (docs/DATA.md, "Counts").
constexpr double kGlobalSigma = 0.1;     // the whole city (log scale)
constexpr double kBlockSigma = 0.2;      // each coarse cell: local demand, incidents
constexpr double kParcelSigma = 0.1;     // each parcel
constexpr double kEventChance = 0.002;   // a venue holds an event (x2..x6) in a slot
constexpr double kDispersion = 12.0;     // gamma shape of each cell's rate: smaller = more zeros, heavier tail

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

std::uint64_t task_salt(const std::string& name) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a of the task name
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// Concerts, matches, fairs and sales: venues that draw a crowd now and then.
bool hosts_events(std::uint8_t use) { return use == kRetail || use == kNightlife || use == kPark || use == kCampus; }

// Expected flow of every cell in one slot (before noise), in people-flow units.
void intensities(const City& city, const Slot& slot, std::vector<double>& out) {
  const Activity a = activity_for(slot, city);
  out.resize(city.use.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = city.capacity[i] * a.per_capacity[city.use[i]] + city.commute[i] * a.commute_flow +
             city.leisure[i] * a.leisure_flow;
}

// Flow units per count: the reference day's mean cell intensity maps to kReferenceMeanFlow.
double volume_scale(const City& city) {
  Slot s;
  s.weekday = 3;
  s.weather = kSunny;
  s.temperature = 18;
  double total = 0;
  std::vector<double> lambda;
  for (int hour = 0; hour < 24; ++hour)
    for (int half = 0; half < 2; ++half) {
      s.hour = hour;
      s.half = half;
      intensities(city, s, lambda);
      for (double l : lambda) total += l;
    }
  const double mean = total / (48.0 * static_cast<double>(city.use.size()));
  return mean > 0 ? kReferenceMeanFlow / mean : 1.0;
}

// Fills one sample's fine map (H×W), coarse map (h×w) and ext row.
void generate_sample(const City& city, const Slot& slot, double volume, std::int64_t upscale, std::uint64_t seed,
                     float* fine, float* coarse, float* ext) {
  Rng rng(seed);
  const std::int64_t H = city.size, h = H / upscale;
  std::vector<double> lambda;
  intensities(city, slot, lambda);
  const double global = volume * std::exp(kGlobalSigma * rng.normal() - 0.5 * kGlobalSigma * kGlobalSigma);
  std::vector<double> block(static_cast<std::size_t>(h * h));
  for (auto& f : block) f = std::exp(kBlockSigma * rng.normal() - 0.5 * kBlockSigma * kBlockSigma);
  std::vector<double> parcel(static_cast<std::size_t>(city.parcels));
  for (std::size_t p = 0; p < parcel.size(); ++p) {
    parcel[p] = std::exp(kParcelSigma * rng.normal() - 0.5 * kParcelSigma * kParcelSigma);
    if (rng.uniform() < kEventChance && hosts_events(city.parcel_use[p])) parcel[p] *= 2.0 + 4.0 * rng.uniform();
  }
  for (std::int64_t r = 0; r < H; ++r) {
    for (std::int64_t c = 0; c < H; ++c) {
      const std::size_t i = city.index(r, c);
      const double mean = lambda[i] * global * block[static_cast<std::size_t>((r / upscale) * h + c / upscale)] *
                          parcel[static_cast<std::size_t>(city.parcel[i])];
      const double rate = mean > 0 ? mean * rng.gamma(kDispersion) / kDispersion : 0.0;
      fine[i] = static_cast<float>(rng.poisson(rate));
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
  const std::vector<Slot> slots = period_slots(info, o.seed, salt);
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
  const double volume = volume_scale(city) * (1.0 + 0.05 * (info.start_year - 2013));

  std::vector<float> fine(static_cast<std::size_t>(n * H * H)), coarse(static_cast<std::size_t>(n * h * h)),
      ext(static_cast<std::size_t>(n * 7));
  unsigned threads = o.threads > 0 ? static_cast<unsigned>(o.threads) : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::int64_t>(threads, n));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (std::int64_t i = t; i < n; i += threads) {
        const auto ui = static_cast<std::size_t>(i);
        generate_sample(city, slots[order[ui]], volume, s, mix_seed(o.seed, salt, static_cast<std::uint64_t>(i) + 1),
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
  write_file_atomically(meta_path, meta);
}

}  // namespace fufi::data
