#include "fufi/orchestrator/runner.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "fufi/core/build_info.h"
#include "fufi/core/error.h"
#include "fufi/core/version.h"
#include "fufi/model/registry.h"
#include "fufi/orchestrator/sweep.h"

#if FUFI_NCCL_ENABLED && __has_include(<nccl.h>)
#include <nccl.h>
#define FUFI_HAVE_NCCL_HEADER 1
#endif
#if (FUFI_CUDA_ENABLED || FUFI_NCCL_ENABLED) && __has_include(<cuda_runtime_api.h>)
#include <cuda_runtime_api.h>
#define FUFI_HAVE_CUDART_HEADER 1
#endif

namespace fufi::orchestrator {

using json = nlohmann::json;

std::string to_json(const JobTicket& t) {
  json settings = json::object();
  for (const auto& [k, v] : t.settings.items()) settings[k] = v;
  json j{{"id", t.id},         {"model", t.model},       {"task", t.task},         {"variant", t.variant},
         {"seed", t.seed},     {"attempt", t.attempt},   {"settings", settings},   {"data_dir", t.data_dir},
         {"run_dir", t.run_dir}, {"synthetic", t.synthetic}};
  if (t.synthetic) {
    j["synth"] = {{"preset", t.synth.preset},
                  {"seed", t.synth.seed},
                  {"coarse_size", t.synth.coarse_size},
                  {"upscale", t.synth.upscale},
                  {"samples_per_task", t.synth.samples_per_task}};
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

JobTicket ticket_from_json(const std::string& text) {
  const json j = json::parse(text);
  JobTicket t;
  t.id = j.at("id").get<std::string>();
  t.model = j.at("model").get<std::string>();
  t.task = j.at("task").get<std::string>();
  t.variant = j.at("variant").get<std::string>();
  t.seed = j.at("seed").get<std::uint64_t>();
  t.attempt = j.at("attempt").get<int>();
  for (const auto& [k, v] : j.at("settings").items()) t.settings.set(k, v.get<std::string>(), "sweep");
  t.data_dir = j.at("data_dir").get<std::string>();
  t.run_dir = j.at("run_dir").get<std::string>();
  t.synthetic = j.at("synthetic").get<bool>();
  if (t.synthetic) {
    const auto& s = j.at("synth");
    t.synth.preset = s.at("preset").get<std::string>();
    t.synth.seed = s.at("seed").get<std::uint64_t>();
    t.synth.coarse_size = s.at("coarse_size").get<std::int64_t>();
    t.synth.upscale = s.at("upscale").get<std::int64_t>();
    t.synth.samples_per_task = s.at("samples_per_task").get<std::int64_t>();
  }
  return t;
}

worker::RunResult TrainingRunner::run(const JobTicket& ticket, worker::RecordSink& sink, worker::Reducer& reducer,
                                      const worker::EngineCallbacks& callbacks) {
  worker::TrainJob job;
  job.model = ticket.model;
  job.task = ticket.task;
  job.data_dir = ticket.data_dir;
  job.settings = ticket.settings;
  job.seed = ticket.seed;
  job.run_dir = ticket.run_dir;
  job.resume = true;
  auto failed = [](const char* error_class, const std::exception& e) {
    worker::RunResult r;
    r.status = "failed";
    r.error_class = error_class;
    const auto* fe = dynamic_cast<const Error*>(&e);
    r.error = fe ? fe->message() : e.what();
    return r;
  };
  try {
    // Torch threads for a job that leaves them to fufi (threads=0): the cores this rank may use, decided by the
    // worker (the engine's own default would count the coordinator among the node's ranks). `threads` is an
    // execution-only key, so a job resumed elsewhere, with another count, continues its checkpoint.
    if (ticket.worker_threads > 0 && job.settings.get_int("threads", 0) == 0)
      job.settings.set("threads", std::to_string(ticket.worker_threads), "sweep worker");
  } catch (const std::exception& e) {
    return failed("runtime", e);
  }
  try {
    // A worker on another node than the coordinator generates the same synthetic bytes locally.
    if (ticket.synthetic) ensure_synthetic_task(ticket.data_dir, ticket.synth, ticket.task);
  } catch (const std::exception& e) {
    return failed("bad_data", e);
  }
  return worker::run_training(job, sink, reducer, callbacks);
}

worker::RunResult NoopRunner::run(const JobTicket&, worker::RecordSink&, worker::Reducer& reducer,
                                  const worker::EngineCallbacks&) {
  worker::RunResult result;
  result.device = "noop";
  result.ranks = reducer.size();
  return result;
}

namespace {

// SplitMix64: a well-mixed 64-bit stream from the job id's leading hex digits (the id is a SHA-256).
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The model's parameter count at the job's data shape, from the registry (models are built once per
// configuration: the paper's sweeps have a few dozen); a hashed count when the model cannot be built.
std::int64_t fixture_parameters(const JobTicket& t, std::uint64_t hash) {
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
    // A configuration only the constructor rejects: keep the hashed count (fixture numbers are not real).
  }
  cache.emplace(key, count);
  return count;
}

}  // namespace

worker::RunResult FixtureRunner::run(const JobTicket& ticket, worker::RecordSink& sink, worker::Reducer& reducer,
                                     const worker::EngineCallbacks&) {
  std::uint64_t hash = 0;
  for (std::size_t i = 0; i < ticket.id.size() && i < 16; ++i) {
    const char c = ticket.id[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
    hash = hash * 16 + static_cast<std::uint64_t>(digit);
  }
  auto uniform = [&](std::uint64_t k) { return static_cast<double>(splitmix64(hash + k) >> 11) * 0x1.0p-53; };
  auto metrics = [&](std::uint64_t k, double scale) {
    data::FlowMetrics m;
    m.mse = scale * (5.0 + 20.0 * uniform(k));
    m.rmse = std::sqrt(m.mse);
    m.mae = scale * (1.0 + 2.0 * uniform(k + 1));
    m.mape = scale * (0.2 + 0.6 * uniform(k + 2));
    return m;
  };
  worker::RunResult result;
  result.device = "fixture";
  result.ranks = reducer.size();
  result.parameters = fixture_parameters(ticket, hash);
  const std::int64_t epochs = std::clamp<std::int64_t>(ticket.settings.get_int("epochs", 3), 1, 3);
  sink.begin(-1);
  double seconds = 0;
  for (std::int64_t e = 0; e < epochs; ++e) {
    worker::EpochRecord r;
    r.epoch = e;
    // Later epochs are better, so the last one is the best-validation epoch.
    r.valid = metrics(10, 1.0 + 0.1 * static_cast<double>(epochs - 1 - e));
    r.train_loss = r.valid.mae;
    r.lr = 1e-3;
    r.seconds = 0.5 + 20.0 * uniform(20) * (1.0 + 0.02 * static_cast<double>(e));
    r.samples_per_second = 1000.0 / r.seconds;
    r.best = true;
    seconds += r.seconds;
    sink.epoch(r);
    result.best_valid = r.valid;
  }
  result.test = metrics(0, 1.0);
  result.epochs_run = epochs;
  result.best_epoch = epochs - 1;
  result.mean_epoch_seconds = seconds / static_cast<double>(epochs);
  sink.result(result);
  return result;
}

results::Provenance local_provenance() {
  results::Provenance p;
  p.fufi_version = version();
  p.git_commit = git_commit();
  p.torch_version = FUFI_TORCH_VERSION;
  p.cuda = built_with_cuda() ? "on" : "off";
  p.nccl = built_with_nccl() ? "on" : "off";
#ifdef FUFI_HAVE_CUDART_HEADER
  int runtime = 0;
  if (built_with_cuda() && cudaRuntimeGetVersion(&runtime) == cudaSuccess && runtime > 0)
    p.cuda = fmt::format("{}.{}", runtime / 1000, (runtime % 1000) / 10);
#endif
#ifdef FUFI_HAVE_NCCL_HEADER
  int nccl = 0;
  if (ncclGetVersion(&nccl) == ncclSuccess && nccl > 0)
    p.nccl = fmt::format("{}.{}.{}", nccl / 10000, (nccl % 10000) / 100, nccl % 100);
#endif
  // MPI_Get_library_version may be called before MPI_Init; its first line names the library and version.
  char library[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int length = 0;
  if (MPI_Get_library_version(library, &length) == MPI_SUCCESS) {
    std::string text(library, static_cast<std::size_t>(std::max(0, length)));
    auto cut = text.find_first_of("\n,");
    p.mpi_library = text.substr(0, cut);
    while (!p.mpi_library.empty() && (p.mpi_library.back() == ' ' || p.mpi_library.back() == '\0')) p.mpi_library.pop_back();
  }
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) == 0) p.host = host;
  p.blas = blas_library();
  p.malloc_library = malloc_library();
  return p;
}

std::vector<results::EpochRow> read_epoch_log(const std::string& run_dir) {
  std::vector<results::EpochRow> rows;
  std::ifstream in(run_dir + "/epochs.jsonl");
  std::string line;
  auto number = [](const json& j, const char* key) {
    return j.contains(key) && j.at(key).is_number() ? j.at(key).get<double>() : std::nan("");
  };
  while (std::getline(in, line)) {
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("epoch") || !j.contains("valid")) continue;
    results::EpochRow r;
    r.epoch = j.at("epoch").get<std::int64_t>();
    r.train_loss = number(j, "train_loss");
    const json& v = j.at("valid");
    r.valid = {number(v, "mse"), number(v, "rmse"), number(v, "mae"), number(v, "mape")};
    r.lr = number(j, "lr");
    r.seconds = number(j, "seconds");
    r.samples_per_second = number(j, "samples_per_second");
    r.best = j.value("best", false);
    rows.push_back(r);
  }
  return rows;
}

results::EpochRow epoch_row(const worker::EpochRecord& r) {
  results::EpochRow row;
  row.epoch = r.epoch;
  row.train_loss = r.train_loss;
  row.valid = {r.valid.mse, r.valid.rmse, r.valid.mae, r.valid.mape};
  row.lr = r.lr;
  row.seconds = r.seconds;
  row.samples_per_second = r.samples_per_second;
  row.best = r.best;
  return row;
}

results::Outcome outcome_of(const worker::RunResult& r, double wall_seconds, const results::Provenance& provenance) {
  results::Outcome o;
  o.status = r.status;
  o.error_class = r.error_class;
  o.error = r.error;
  o.test = {r.test.mse, r.test.rmse, r.test.mae, r.test.mape};
  o.valid = {r.best_valid.mse, r.best_valid.rmse, r.best_valid.mae, r.best_valid.mape};
  o.parameters = r.parameters;
  o.epochs_run = r.epochs_run;
  o.best_epoch = r.best_epoch;
  o.peak_memory_bytes = r.peak_memory_bytes;
  o.early_stopped = r.early_stopped;
  o.mean_epoch_seconds = r.mean_epoch_seconds;
  o.wall_seconds = wall_seconds;
  o.provenance = provenance;
  o.provenance.device = r.device;
  o.provenance.ranks = r.ranks;
  return o;
}

}  // namespace fufi::orchestrator
