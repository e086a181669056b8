#include "fufi/bench/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fufi/core/error.h"
#include "fufi/model/layers.h"
#include "fufi/model/losses.h"
#include "fufi/model/registry.h"
#include "fufi/worker/grad_overlap.h"
#include "fufi/worker/reducer.h"

namespace fufi::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::int64_t peak_rss_bytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
}

int resolve_threads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Realistic inputs: zero-inflated integer fine maps, their exact block sums, valid ext rows.
model::ModelInput make_input(const model::DataSpec& s, std::int64_t batch, torch::Tensor* fine_out, bool channels_last) {
  auto rate = torch::rand({batch, s.channels, s.fine_h(), s.fine_w()}).pow(3) * 20.0;
  auto fine = torch::poisson(rate);
  auto coarse = model::block_sum(fine, s.upscale);
  if (channels_last) coarse = coarse.contiguous(torch::MemoryFormat::ChannelsLast);
  torch::Tensor ext;
  if (s.ext_dim > 0) {
    ext = torch::rand({batch, 7});
    ext.select(1, 2).copy_((torch::rand({batch}) < 0.05).to(torch::kFloat32));
    ext.select(1, 3).copy_((torch::rand({batch}) < 0.3).to(torch::kFloat32));
    ext.select(1, 4).copy_(torch::randint(1, 8, {batch}).to(torch::kFloat32));
    ext.select(1, 5).copy_(torch::randint(s.hour_offset, s.hour_offset + s.hour_slots, {batch}).to(torch::kFloat32));
    ext.select(1, 6).copy_(torch::randint(1, 18, {batch}).to(torch::kFloat32));
  }
  *fine_out = fine;
  return {coarse, ext};
}

void to_channels_last(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

nlohmann::json timing_json(const Timing& t, const std::string& prefix) {
  return {{prefix + "_median", t.median_ms}, {prefix + "_min", t.min_ms}, {prefix + "_max", t.max_ms}};
}

}  // namespace

Timing summarize(std::vector<double> samples) {
  Timing t;
  t.repetitions = static_cast<std::int64_t>(samples.size());
  if (samples.empty()) return t;
  std::sort(samples.begin(), samples.end());
  const auto n = samples.size();
  t.median_ms = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  t.min_ms = samples.front();
  t.max_ms = samples.back();
  return t;
}

namespace {

struct TrainSetup {
  std::shared_ptr<model::FufiModel> model;
  std::shared_ptr<model::Loss> loss;
  bool channels_last = true;
};

// The model and loss of a training benchmark from the `--set` keys (model keys, loss, loss_*, channels_last).
TrainSetup make_train_setup(const TrainBenchOptions& o) {
  Config model_keys, loss_keys;
  std::string loss_name = "dualfocal";
  TrainSetup t;
  for (const auto& [k, v] : o.settings.items()) {
    if (k == "loss") loss_name = v;
    else if (k == "channels_last") t.channels_last = o.settings.get_bool(k);
    else if (k.rfind("loss_", 0) == 0) loss_keys.set(k, v, o.settings.source_of(k));
    else model_keys.set(k, v, o.settings.source_of(k));
  }
  t.model = model::ModelRegistry::instance().create(o.model, o.spec, model_keys);
  if (t.channels_last) to_channels_last(*t.model);
  FUFI_CHECK(t.model->trainable(), UsageError, "model '{}' has nothing to train; use fufi bench infer", o.model);
  t.loss = model::make_loss(loss_name, loss_keys, 1.0);
  return t;
}

}  // namespace

TrainBenchResult bench_train(const TrainBenchOptions& o) {
  FUFI_CHECK(o.batch > 0 && o.steps > 0 && o.warmup >= 0, UsageError, "--batch and --steps must be positive");
  const int threads = resolve_threads(o.threads);
  torch::set_num_threads(threads);
  torch::manual_seed(o.seed);
  auto setup = make_train_setup(o);
  auto& model = setup.model;
  auto& loss = setup.loss;
  const bool channels_last = setup.channels_last;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(3e-4));
  torch::Tensor fine;
  auto input = make_input(o.spec, o.batch, &fine, channels_last);
  model->train();

  std::vector<double> times;
  for (std::int64_t i = 0; i < o.warmup + o.steps; ++i) {
    const auto t0 = Clock::now();
    optimizer.zero_grad();
    auto out = model->forward(input);
    loss->forward(out.fine, fine).backward();
    optimizer.step();
    if (i >= o.warmup) times.push_back(ms_since(t0));
  }
  TrainBenchResult r;
  r.model = o.model;
  r.parameters = model::count_parameters(*model);
  r.batch = o.batch;
  r.threads = threads;
  r.channels_last = channels_last;
  r.step = summarize(times);
  r.samples_per_second = 1000.0 * static_cast<double>(o.batch) / r.step.median_ms;
  r.peak_memory_bytes = peak_rss_bytes();
  return r;
}

DpTrainBenchResult bench_train_dp(const TrainBenchOptions& o, const std::vector<std::string>& modes,
                                  double bucket_mb) {
  FUFI_CHECK(o.batch > 0 && o.steps > 0 && o.warmup >= 0, UsageError, "--batch and --steps must be positive");
  FUFI_CHECK(bucket_mb > 0, UsageError, "--bucket-mb: must be positive, got {}", bucket_mb);
  FUFI_CHECK(!modes.empty(), UsageError, "--dp: name at least one of overlap, after, none");
  for (const auto& m : modes)
    FUFI_CHECK(m == "overlap" || m == "after" || m == "none", UsageError,
               "--dp: unknown mode '{}' (overlap, after, none)", m);
  const auto world = worker::mpi_world();
  FUFI_CHECK(o.batch >= world.size, UsageError, "--batch {}: fewer samples than the {} ranks", o.batch, world.size);
  // As training does: the node's cores shared by the ranks on it, unless set.
  const int threads = o.threads > 0 ? o.threads : std::max(1, resolve_threads(0) / std::max(1, world.local_size));
  torch::set_num_threads(threads);
  torch::manual_seed(o.seed);
  auto setup = make_train_setup(o);
  auto& model = setup.model;
  auto reducer = worker::make_mpi_reducer(MPI_COMM_WORLD);
  std::vector<torch::Tensor> params, state;
  for (auto& p : model->parameters())
    if (p.requires_grad()) params.push_back(p);
  for (auto& p : model->parameters()) state.push_back(p.data());
  reducer->broadcast(state);
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(3e-4));
  const auto bucket_bytes = static_cast<std::size_t>(bucket_mb * 1024.0 * 1024.0);
  std::size_t buckets = 0;
  // This rank's share of the global batch, with its own samples.
  const std::int64_t share = o.batch * (world.rank + 1) / world.size - o.batch * world.rank / world.size;
  torch::manual_seed(o.seed + 1 + static_cast<std::uint64_t>(world.rank));
  torch::Tensor fine;
  auto input = make_input(o.spec, share, &fine, setup.channels_last);
  model->train();

  // The hooks exist only during `overlap` steps (set up and removed outside the timed region): in the other
  // modes backward must run without them.
  std::vector<std::vector<double>> times(modes.size());
  for (std::int64_t i = 0; i < o.warmup + o.steps; ++i) {
    for (std::size_t m = 0; m < modes.size(); ++m) {
      std::unique_ptr<worker::OverlappedGradReducer> overlap;
      if (modes[m] == "overlap") {
        overlap = std::make_unique<worker::OverlappedGradReducer>(params, *reducer, bucket_bytes);
        buckets = overlap->buckets().size();
      }
      reducer->barrier();
      const auto t0 = Clock::now();
      optimizer.zero_grad();
      auto out = model->forward(input);
      setup.loss->forward(out.fine, fine).backward();
      if (overlap) {
        overlap->finish();
      } else {
        for (auto& p : params)
          if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
        if (modes[m] == "after") {
          std::vector<torch::Tensor> grads;
          for (auto& p : params) grads.push_back(p.grad());
          reducer->allreduce_sum(grads);
        }
      }
      optimizer.step();
      if (i >= o.warmup) times[m].push_back(ms_since(t0));
    }
  }
  DpTrainBenchResult r;
  r.model = o.model;
  r.parameters = model::count_parameters(*model);
  r.batch = o.batch;
  r.ranks = world.size;
  r.threads = threads;
  r.bucket_mb = bucket_mb;
  r.buckets = buckets;
  std::map<std::string, double> median;
  for (std::size_t m = 0; m < modes.size(); ++m) {
    DpModeTiming t{modes[m], summarize(times[m])};
    // The slowest rank defines the step.
    std::vector<double> v{t.step.median_ms, t.step.min_ms, t.step.max_ms};
    MPI_Allreduce(MPI_IN_PLACE, v.data(), 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    t.step.median_ms = v[0];
    t.step.min_ms = v[1];
    t.step.max_ms = v[2];
    median[modes[m]] = v[0];
    r.modes.push_back(t);
  }
  r.hidden_fraction = std::nan("");
  if (median.count("overlap") && median.count("after") && median.count("none") &&
      median["after"] - median["none"] > 1e-6)
    r.hidden_fraction = (median["after"] - median["overlap"]) / (median["after"] - median["none"]);
  return r;
}

InferBenchResult bench_infer(const TrainBenchOptions& o, const std::vector<std::int64_t>& batches) {
  const int threads = resolve_threads(o.threads);
  torch::set_num_threads(threads);
  torch::manual_seed(o.seed);
  Config model_keys;
  bool channels_last = true;
  for (const auto& [k, v] : o.settings.items()) {
    if (k == "channels_last") channels_last = o.settings.get_bool(k);
    else if (k != "loss" && k.rfind("loss_", 0) != 0) model_keys.set(k, v, o.settings.source_of(k));
  }
  auto model = model::ModelRegistry::instance().create(o.model, o.spec, model_keys);
  if (channels_last) to_channels_last(*model);
  model->eval();
  InferBenchResult r;
  r.model = o.model;
  r.parameters = model::count_parameters(*model);
  r.threads = threads;
  c10::InferenceMode guard;
  for (auto b : batches) {
    FUFI_CHECK(b > 0, UsageError, "--batches: batch sizes must be positive, got {}", b);
    torch::Tensor fine;
    auto input = make_input(o.spec, b, &fine, channels_last);
    std::vector<double> times;
    for (std::int64_t i = 0; i < o.warmup + o.steps; ++i) {
      const auto t0 = Clock::now();
      auto out = model->forward(input);
      (void)out;
      if (i >= o.warmup) times.push_back(ms_since(t0));
    }
    InferBenchPoint p;
    p.batch = b;
    p.batch_time = summarize(times);
    p.maps_per_second = 1000.0 * static_cast<double>(b) / p.batch_time.median_ms;
    r.points.push_back(p);
  }
  return r;
}

AllreduceResult bench_allreduce(const std::string& backend, const std::vector<std::int64_t>& sizes,
                                std::int64_t iterations, std::int64_t warmup) {
  const auto world = worker::mpi_world();
  std::unique_ptr<worker::Reducer> reducer;
  torch::Device device = torch::kCPU;
  if (backend == "mpi") {
    reducer = worker::make_mpi_reducer(MPI_COMM_WORLD, static_cast<std::size_t>(1) << 62);  // one bucket per call
  } else if (backend == "nccl") {
    reducer = worker::make_nccl_reducer(MPI_COMM_WORLD, world.local_rank, static_cast<std::size_t>(1) << 62);
    device = torch::Device(torch::kCUDA, world.local_rank);
  } else {
    FUFI_THROW(UsageError, "--backend: unknown backend '{}' (mpi, nccl)", backend);
  }
  AllreduceResult r;
  r.backend = backend;
  r.ranks = world.size;
  for (auto bytes : sizes) {
    FUFI_CHECK(bytes >= 4, UsageError, "--bytes: sizes must be at least 4 bytes, got {}", bytes);
    std::vector<torch::Tensor> t{torch::ones({bytes / 4}, torch::TensorOptions().dtype(torch::kFloat32).device(device))};
    std::vector<double> times;
    for (std::int64_t i = 0; i < warmup + iterations; ++i) {
      reducer->barrier();
      const auto t0 = Clock::now();
      reducer->allreduce_sum(t);
      if (device.is_cuda()) t[0].cpu();  // wait for the collective
      if (i >= warmup) times.push_back(ms_since(t0));
    }
    // The slowest rank defines the collective's time.
    std::vector<double> worst{0};
    AllreducePoint p;
    p.bytes = bytes;
    p.time = summarize(times);
    worst[0] = p.time.median_ms;
    MPI_Allreduce(MPI_IN_PLACE, worst.data(), 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    p.time.median_ms = worst[0];
    p.algbw_gbps = static_cast<double>(bytes) / (p.time.median_ms * 1e-3) / 1e9;
    p.busbw_gbps = p.algbw_gbps * 2.0 * (world.size - 1) / std::max(1, world.size);
    r.points.push_back(p);
  }
  return r;
}

std::string to_json(const TrainBenchResult& r) {
  nlohmann::json j{{"model", r.model},
                   {"parameters", r.parameters},
                   {"batch", r.batch},
                   {"threads", r.threads},
                   {"channels_last", r.channels_last},
                   {"repetitions", r.step.repetitions},
                   {"samples_per_second", r.samples_per_second},
                   {"peak_memory_bytes", r.peak_memory_bytes}};
  j.update(timing_json(r.step, "step_ms"));
  return j.dump(2) + "\n";
}

std::string to_json(const InferBenchResult& r) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : r.points) {
    nlohmann::json j{{"batch", p.batch}, {"maps_per_second", p.maps_per_second}};
    j.update(timing_json(p.batch_time, "batch_ms"));
    points.push_back(j);
  }
  return nlohmann::json{{"model", r.model}, {"parameters", r.parameters}, {"threads", r.threads}, {"points", points}}
             .dump(2) + "\n";
}

std::string to_json(const AllreduceResult& r) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : r.points) {
    nlohmann::json j{{"bytes", p.bytes}, {"algbw_gbps", p.algbw_gbps}, {"busbw_gbps", p.busbw_gbps}};
    j.update(timing_json(p.time, "time_ms"));
    points.push_back(j);
  }
  return nlohmann::json{{"backend", r.backend}, {"ranks", r.ranks}, {"points", points}}.dump(2) + "\n";
}

std::string to_table(const TrainBenchResult& r) {
  return fmt::format(
      "{}: {} parameters, batch {}, {} threads, channels_last {}\n"
      "  train step  median {:.1f} ms  min {:.1f}  max {:.1f}  ({} steps)  {:.1f} samples/s  peak RSS {:.0f} MB\n",
      r.model, r.parameters, r.batch, r.threads, r.channels_last ? "on" : "off", r.step.median_ms, r.step.min_ms,
      r.step.max_ms, r.step.repetitions, r.samples_per_second, static_cast<double>(r.peak_memory_bytes) / 1e6);
}

std::string to_json(const DpTrainBenchResult& r) {
  nlohmann::json modes = nlohmann::json::array();
  for (const auto& m : r.modes) {
    nlohmann::json j{{"mode", m.mode}, {"repetitions", m.step.repetitions}};
    j.update(timing_json(m.step, "step_ms"));
    modes.push_back(j);
  }
  nlohmann::json j{{"model", r.model},         {"parameters", r.parameters}, {"batch", r.batch},
                   {"ranks", r.ranks},         {"threads", r.threads},       {"bucket_mb", r.bucket_mb},
                   {"buckets", r.buckets},     {"modes", modes}};
  j["hidden_fraction"] = std::isnan(r.hidden_fraction) ? nlohmann::json(nullptr) : nlohmann::json(r.hidden_fraction);
  return j.dump(2) + "\n";
}

std::string to_table(const DpTrainBenchResult& r) {
  std::string out = fmt::format(
      "{}: {} parameters, global batch {}, {} ranks x {} threads, {} gradient buckets of <= {} MB\n", r.model,
      r.parameters, r.batch, r.ranks, r.threads, r.buckets, r.bucket_mb);
  for (const auto& m : r.modes)
    out += fmt::format("  {:<8} step median {:>9.2f} ms  min {:>9.2f}  max {:>9.2f}  ({} steps)\n", m.mode,
                       m.step.median_ms, m.step.min_ms, m.step.max_ms, m.step.repetitions);
  if (!std::isnan(r.hidden_fraction))
    out += fmt::format("  hidden: {:.0f}% of the all-reduce time ((after - overlap) / (after - none))\n",
                       100.0 * r.hidden_fraction);
  return out;
}

std::string to_table(const InferBenchResult& r) {
  std::string out = fmt::format("{}: {} parameters, {} threads, inference\n", r.model, r.parameters, r.threads);
  for (const auto& p : r.points)
    out += fmt::format("  batch {:>4}  median {:>9.2f} ms  min {:>9.2f}  max {:>9.2f}  {:>9.1f} maps/s\n", p.batch,
                       p.batch_time.median_ms, p.batch_time.min_ms, p.batch_time.max_ms, p.maps_per_second);
  return out;
}

std::string to_table(const AllreduceResult& r) {
  std::string out = fmt::format("all-reduce ({}, {} ranks)\n  {:>12} {:>12} {:>12} {:>12}\n", r.backend, r.ranks, "bytes",
                                "time ms", "algbw GB/s", "busbw GB/s");
  for (const auto& p : r.points)
    out += fmt::format("  {:>12} {:>12.3f} {:>12.3f} {:>12.3f}\n", p.bytes, p.time.median_ms, p.algbw_gbps, p.busbw_gbps);
  return out;
}

std::int64_t parse_bytes(const std::string& text, const std::string& option) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  FUFI_CHECK(i > 0 && i <= 15, UsageError, "{}: '{}' is not a size such as 4096, 64k or 16MB", option, text);
  std::int64_t value = std::stoll(text.substr(0, i));
  std::string unit;
  for (char c : text.substr(i)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "b") return value;
  if (unit == "k" || unit == "kb") return value << 10;
  if (unit == "m" || unit == "mb") return value << 20;
  if (unit == "g" || unit == "gb") return value << 30;
  FUFI_THROW(UsageError, "{}: unknown unit in '{}' (B, KB, MB, GB)", option, text);
}

}  // namespace fufi::bench
