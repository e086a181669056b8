// FakeMetricsRunner (`fufi sweep --runner fixture`): made-up, deterministic results, so the report's tables
// and figures can be produced from the paper's sweep files in seconds. Its numbers are never measurements:
// its device is "fixture", which the report prints as such.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "fufi/data/random.h"
#include "fufi/model/registry.h"
#include "fufi/orchestrator/runner.h"

namespace fufi::orchestrator {

namespace {

// The model's parameter count at the job's data shape, from the registry (models are built once per
// configuration: the paper's sweeps have a few dozen); a hashed count when the model cannot be built.
std::int64_t fake_parameters(const JobTicket& t, std::uint64_t hash) {
  static std::map<std::string, std::int64_t> cache;
  const auto& registry = model::ModelRegistry::instance();
  if (!registry.contains(t.model)) return static_cast<std::int64_t>(hash % 10000000);
  model::DataSpec spec;  // TaxiBJ: 32x32 -> 128x128, 7 external factors
  spec.ext_dim = model::ext_col::kCount;
  if (t.synthetic) {
    spec.coarse_h = spec.coarse_w = t.synth.coarse_size;
    spec.upscale = t.synth.upscale;
  }
  Config keys;
  const auto& info = registry.get(t.model);
  const auto accepted = info.keys();
  for (const auto& [k, v] : t.settings.items())
    if (std::find(accepted.begin(), accepted.end(), k) != accepted.end()) keys.set(k, v, "sweep");
  const std::string key = fmt::format("{} {}x{} x{} {}", t.model, spec.coarse_h, spec.coarse_w, spec.upscale, keys.canonical(" "));
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::int64_t count = static_cast<std::int64_t>(hash % 10000000);
  try {
    count = model::count_parameters(*registry.create(t.model, spec, keys));
  } catch (const std::exception&) {
    // A configuration only the constructor rejects: keep the hashed count (fake numbers are not real).
  }
  cache.emplace(key, count);
  return count;
}

// The job id's first 16 hex digits (the id is a SHA-256, so they are well mixed already).
std::uint64_t hash_of(const std::string& id) {
  std::uint64_t hash = 0;
  for (std::size_t i = 0; i < id.size() && i < 16; ++i) {
    const char c = id[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
    hash = hash * 16 + static_cast<std::uint64_t>(digit);
  }
  return hash;
}

// Deterministic pseudo-random numbers in [0, 1) and metrics of a given scale, from one job's hash.
class FakeNumbers {
 public:
  explicit FakeNumbers(std::uint64_t hash) : hash_(hash) {}
  // SplitMix64 of hash + k: the data layer's generator step (fufi/data/random.h), used as a hash.
  double uniform(std::uint64_t k) const {
    std::uint64_t state = hash_ + k;
    return static_cast<double>(data::splitmix64(state) >> 11) * 0x1.0p-53;
  }
  data::FlowMetrics metrics(std::uint64_t k, double scale) const {
    data::FlowMetrics m;
    m.mse = scale * (5.0 + 20.0 * uniform(k));
    m.rmse = std::sqrt(m.mse);
    m.mae = scale * (1.0 + 2.0 * uniform(k + 1));
    m.mape = scale * (0.2 + 0.6 * uniform(k + 2));
    return m;
  }

 private:
  std::uint64_t hash_;
};

}  // namespace

worker::RunResult FakeMetricsRunner::run(const JobTicket& ticket, worker::RecordSink& sink, worker::Communicator& comm,
                                         const worker::EngineCallbacks&) {
  const std::uint64_t hash = hash_of(ticket.id);
  const FakeNumbers fake(hash);
  worker::RunResult result;
  result.device = "fixture";
  result.ranks = comm.size();
  result.parameters = fake_parameters(ticket, hash);
  const std::int64_t epochs = std::clamp<std::int64_t>(ticket.settings.get_int("epochs", 3), 1, 3);
  sink.begin(-1);
  double seconds = 0;
  for (std::int64_t e = 0; e < epochs; ++e) {
    worker::EpochRecord r;
    r.epoch = e;
    // Later epochs are better, so the last one is the best-validation epoch.
    r.valid = fake.metrics(10, 1.0 + 0.1 * static_cast<double>(epochs - 1 - e));
    r.train_loss = r.valid.mae;
    r.lr = 1e-3;
    r.seconds = 0.5 + 20.0 * fake.uniform(20) * (1.0 + 0.02 * static_cast<double>(e));
    r.samples_per_second = 1000.0 / r.seconds;
    r.best = true;
    seconds += r.seconds;
    sink.epoch(r);
    result.best_valid = r.valid;
  }
  result.test = fake.metrics(0, 1.0);
  result.epochs_run = epochs;
  result.best_epoch = epochs - 1;
  result.mean_epoch_seconds = seconds / static_cast<double>(epochs);
  sink.result(result);
  return result;
}

}  // namespace fufi::orchestrator
