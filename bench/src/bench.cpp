#include "fufi/bench/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <thread>

#include <ATen/Context.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fufi/core/error.h"
#include "fufi/model/layers.h"
#include "fufi/model/losses.h"
#include "fufi/model/registry.h"
#include "fufi/worker/autotune.h"
#include "fufi/worker/device.h"
#include "fufi/worker/communicator.h"
#include "fufi/worker/train_config.h"
#include "fufi/worker/training_step.h"

namespace fufi::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

int resolve_threads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Realistic inputs: zero-inflated integer fine maps, their exact block sums, valid ext rows (on the CPU).
model::ModelInput make_input(const model::DataSpec& s, std::int64_t batch, torch::Tensor* fine_out) {
  auto rate = torch::rand({batch, s.flow_channels, s.fine_h(), s.fine_w()}).pow(3) * 20.0;
  auto fine = torch::poisson(rate);
  auto coarse = model::block_sum(fine, s.upscale);
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

// Batches of the benchmark: a few distinct ones taken in turn, so that no step reads what the previous one
// left in a cache. Resident on the device, or on the host (pinned for CUDA) and copied every step.
class InputPool {
 public:
  InputPool(const model::DataSpec& spec, std::int64_t batch, const torch::Device& device, bool host_data,
            bool channels_last, int count = 4)
      : device_(device), host_data_(host_data), channels_last_(channels_last) {
    for (int i = 0; i < count; ++i) {
      torch::Tensor fine;
      auto in = make_input(spec, batch, &fine);
      worker::StepInput s{in.coarse, fine, in.ext};
      if (host_data_ && device.is_cuda()) {
        s.X = s.X.pin_memory();
        s.Y = s.Y.pin_memory();
        if (s.ext.defined()) s.ext = s.ext.pin_memory();
      } else {
        s = on_device(s);
      }
      inputs_.push_back(s);
    }
  }
  // The i-th batch on the device, first `n` samples (n <= batch).
  worker::StepInput get(std::int64_t i, std::int64_t n) const {
    const auto& s = inputs_[static_cast<std::size_t>(i) % inputs_.size()];
    worker::StepInput out{s.X.slice(0, 0, n), s.Y.slice(0, 0, n), s.ext.defined() ? s.ext.slice(0, 0, n) : s.ext};
    return host_data_ ? on_device(out) : out;
  }

 private:
  worker::StepInput on_device(worker::StepInput s) const {
    s.X = s.X.to(device_, /*non_blocking=*/true);
    if (channels_last_) s.X = s.X.contiguous(torch::MemoryFormat::ChannelsLast);
    s.Y = s.Y.to(device_, true);
    if (s.ext.defined()) s.ext = s.ext.to(device_, true);
    return s;
  }
  torch::Device device_;
  bool host_data_, channels_last_;
  std::vector<worker::StepInput> inputs_;
};

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

// What a benchmark trains: the job's settings resolved and validated as `fufi train` does it, the model on
// its device in its memory format, the loss, and an Adam over the trainable parameters.
struct TrainSetup {
  worker::JobSettings settings;
  torch::Device device = torch::kCPU;
  std::shared_ptr<model::FufiModel> model;
  std::shared_ptr<model::Loss> loss;  // null: the model's own objective
  std::unique_ptr<torch::optim::Adam> optimizer;
};

TrainSetup make_train_setup(const TrainBenchOptions& o, const std::string& device) {
  Config keys = o.settings;
  FUFI_CHECK(!keys.has("device"), UsageError, "--set device=...: use --device");
  keys.set("device", device, "--device");
  TrainSetup t;
  t.settings = worker::resolve_job_settings(o.model, keys, o.seed);
  const auto& cfg = t.settings.train;
  t.device = worker::parse_device(cfg.device);
  torch::manual_seed(o.seed);
  t.model = model::ModelRegistry::instance().create(o.model, o.spec, t.settings.model);
  t.model->to(t.device);
  if (cfg.channels_last) worker::to_channels_last(*t.model);
  if (cfg.loss != "model") t.loss = model::make_loss(cfg.loss, t.settings.loss, cfg.scaler_y);
  std::vector<torch::Tensor> params;
  for (auto& p : t.model->parameters())
    if (p.requires_grad()) params.push_back(p);
  FUFI_CHECK(t.model->trainable() && !params.empty(), UsageError,
             "model '{}' has nothing to train; use fufi bench infer", o.model);
  t.optimizer = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(cfg.lr));
  return t;
}

constexpr std::size_t kProfileRows = 15;  // operators listed by --profile

// Whole epochs of o.epoch_samples samples (batches of o.batch, a short last one), o.steps of them after one
// warm-up epoch that also warms the short batch, one synchronisation per epoch as training runs them.
Timing time_epochs(const TrainBenchOptions& o, worker::TrainingStep& step, const InputPool& pool,
                   const torch::Device& device) {
  const std::int64_t steps_per_epoch = (o.epoch_samples + o.batch - 1) / o.batch;
  std::vector<double> epochs;
  for (std::int64_t e = 0; e < o.steps + 1; ++e) {
    const auto e0 = Clock::now();
    for (std::int64_t s = 0; s < steps_per_epoch; ++s) {
      const std::int64_t n = std::min(o.batch, o.epoch_samples - s * o.batch);
      step.run(pool.get(s, n), n);
    }
    worker::synchronize(device);
    if (e > 0) epochs.push_back(ms_since(e0));
  }
  return summarize(epochs);
}

void check_counts(const TrainBenchOptions& o) {
  FUFI_CHECK(o.batch > 0 && o.steps > 0 && o.warmup >= 0, UsageError,
             "--batch and --steps must be positive and --warmup >= 0");
  FUFI_CHECK(o.epoch_samples >= 0, UsageError, "--epoch-samples must be >= 0, got {}", o.epoch_samples);
}

}  // namespace

TrainBenchResult bench_train(const TrainBenchOptions& o) {
  check_counts(o);
  const int threads = resolve_threads(o.threads);
  torch::set_num_threads(threads);
  auto setup = make_train_setup(o, o.device);
  auto& cfg = setup.settings.train;
  const torch::Device device = setup.device;
  worker::set_flush_denormal(cfg.flush_denormal);  // as the engine runs a job
  std::string format_source = "set";
  if (cfg.channels_last_auto) {
    // As the engine does at job start (worker/autotune.h), on a batch of this benchmark's shape. Drawn with the
    // torch RNG put back afterwards, so that the timed batches are the same ones every side of a comparison
    // gets: UrbanODE's step took 47 s instead of 21 s on other random inputs (data-dependent arithmetic).
    torch::Tensor fine;
    auto generator = at::globalContext().defaultGenerator(torch::kCPU);
    const auto rng_state = generator.get_state();
    const auto in = make_input(o.spec, o.batch, &fine);
    generator.set_state(rng_state);
    const auto x = in.coarse.to(device), y = fine.to(device);
    const auto ext = in.ext.defined() ? in.ext.to(device) : torch::Tensor();
    const auto key = worker::memory_format_key(o.model, setup.settings.model.canonical(), x, ext.defined(), cfg.loss,
                                               cfg.bf16, device);
    const auto choice = worker::choose_memory_format(*setup.model, setup.loss, x, y, ext, cfg.bf16, key);
    cfg.channels_last = choice.channels_last;
    format_source = choice.source;
  }
  auto local = worker::make_local_communicator();
  worker::TrainingStep step(*setup.model, setup.loss, *setup.optimizer, *local, worker::step_options_from(cfg));
  const InputPool pool(o.spec, o.batch, device, o.host_data, cfg.channels_last);
  setup.model->train();

  for (std::int64_t i = 0; i < o.warmup; ++i) step.run(pool.get(i, o.batch), o.batch);
  worker::synchronize(device);
  worker::reset_peak_memory(device);
  // Each step on its own: the device drains after every step, as when the host reads the loss each step.
  std::vector<double> times;
  for (std::int64_t i = 0; i < o.steps; ++i) {
    const auto t0 = Clock::now();
    step.run(pool.get(i, o.batch), o.batch);
    worker::synchronize(device);
    times.push_back(ms_since(t0));
  }
  // Back to back, as the engine runs an epoch: the host queues the next step while the device works.
  const auto t0 = Clock::now();
  for (std::int64_t i = 0; i < o.steps; ++i) step.run(pool.get(i, o.batch), o.batch);
  worker::synchronize(device);
  const double pipelined = ms_since(t0) / static_cast<double>(o.steps);

  TrainBenchResult r;
  if (o.epoch_samples > 0) {
    r.epoch_samples = o.epoch_samples;
    r.epoch = time_epochs(o, step, pool, device);
  }
  r.model = o.model;
  r.parameters = model::count_parameters(*setup.model);
  r.batch = o.batch;
  r.threads = threads;
  r.device = device.str();
  r.device_name = worker::device_description(device);
  r.channels_last = cfg.channels_last;
  r.memory_format_source = format_source;
  r.bf16 = cfg.bf16;
  r.adam_impl = cfg.adam_impl;
  r.host_data = o.host_data;
  r.cuda_graph = step.graph_status();
  r.step = summarize(times);
  r.pipelined_step_ms = pipelined;
  r.samples_per_second = 1000.0 * static_cast<double>(o.batch) / pipelined;
  r.peak_memory_bytes = worker::peak_memory_bytes(device);
  if (o.profile_steps > 0) {
    OpProfile profile;
    const auto p0 = Clock::now();
    for (std::int64_t i = 0; i < o.profile_steps; ++i) step.run(pool.get(i, o.batch), o.batch);
    worker::synchronize(device);
    r.profile_step_ms = ms_since(p0) / static_cast<double>(o.profile_steps);
    r.profile = profile.top(kProfileRows, o.profile_steps, r.profile_step_ms);
  }
  return r;
}

DpTrainBenchResult bench_train_dp(const TrainBenchOptions& o, const std::vector<std::string>& modes,
                                  double bucket_mb) {
  check_counts(o);
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
  // Each rank its own GPU (cuda:local_rank), as the sweep places a job's ranks.
  const bool cuda = worker::is_cuda_device_name(o.device);
  const std::string device = cuda ? fmt::format("cuda:{}", world.local_rank) : o.device;
  auto setup = make_train_setup(o, device);
  const auto& cfg = setup.settings.train;
  std::unique_ptr<worker::Communicator> comm = cuda ? worker::make_nccl_communicator(MPI_COMM_WORLD, world.local_rank)
                                                  : worker::make_mpi_communicator(MPI_COMM_WORLD);
  auto none = worker::make_local_communicator();
  std::vector<torch::Tensor> state;
  for (auto& p : setup.model->parameters()) state.push_back(p.data());
  comm->broadcast(state);
  // This rank's share of the global batch, with its own samples.
  const std::int64_t share = o.batch * (world.rank + 1) / world.size - o.batch * world.rank / world.size;
  torch::manual_seed(o.seed + 1 + static_cast<std::uint64_t>(world.rank));
  const InputPool pool(o.spec, share, setup.device, o.host_data, cfg.channels_last);
  setup.model->train();

  // One TrainingStep per mode and repetition, made outside the timed region: the overlap mode's gradient
  // hooks must not exist while the other modes run.
  std::size_t buckets = 0;
  std::vector<std::vector<double>> times(modes.size());
  for (std::int64_t i = 0; i < o.warmup + o.steps; ++i) {
    for (std::size_t m = 0; m < modes.size(); ++m) {
      auto options = worker::step_options_from(cfg);
      options.grad_overlap = modes[m] == "overlap";
      options.grad_bucket_mb = bucket_mb;
      worker::TrainingStep step(*setup.model, setup.loss, *setup.optimizer, modes[m] == "none" ? *none : *comm,
                                options);
      buckets = std::max(buckets, step.gradient_buckets());
      worker::synchronize(setup.device);
      comm->barrier();
      const auto t0 = Clock::now();
      step.run(pool.get(i, share), o.batch);
      worker::synchronize(setup.device);
      if (i >= o.warmup) times[m].push_back(ms_since(t0));
    }
  }
  DpTrainBenchResult r;
  r.model = o.model;
  r.parameters = model::count_parameters(*setup.model);
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
  FUFI_CHECK(o.steps > 0 && o.warmup >= 0, UsageError, "--steps must be positive and --warmup >= 0");
  const int threads = resolve_threads(o.threads);
  torch::set_num_threads(threads);
  Config keys = o.settings;
  FUFI_CHECK(!keys.has("device"), UsageError, "--set device=...: use --device");
  keys.set("device", o.device, "--device");
  const auto settings = worker::resolve_job_settings(o.model, keys, o.seed);
  const auto& cfg = settings.train;
  const torch::Device device = worker::parse_device(cfg.device);
  worker::set_flush_denormal(cfg.flush_denormal);
  torch::manual_seed(o.seed);
  auto model = model::ModelRegistry::instance().create(o.model, o.spec, settings.model);
  model->to(device);
  // `fufi infer` runs NCHW; channels_last=auto (the training default, decided per job) therefore benchmarks
  // what `fufi infer` does, and channels_last=true the NHWC forward.
  const bool nhwc = cfg.channels_last && !cfg.channels_last_auto;
  if (nhwc) worker::to_channels_last(*model);
  model->eval();
  InferBenchResult r;
  r.model = o.model;
  r.parameters = model::count_parameters(*model);
  r.threads = threads;
  r.device = device.str();
  r.bf16 = cfg.bf16;
  r.grad_mode = o.grad_mode;
  FUFI_CHECK(o.grad_mode == "inference" || o.grad_mode == "no_grad" || o.grad_mode == "grad", UsageError,
             "--grad-mode: unknown mode '{}' (inference, no_grad, grad)", o.grad_mode);
  std::optional<c10::InferenceMode> inference_mode;
  std::optional<torch::NoGradGuard> no_grad;
  if (o.grad_mode == "inference") inference_mode.emplace();
  if (o.grad_mode == "no_grad") no_grad.emplace();
  worker::AutocastScope autocast(cfg.bf16);
  for (auto b : batches) {
    FUFI_CHECK(b > 0, UsageError, "--batches: batch sizes must be positive, got {}", b);
    const InputPool pool(o.spec, b, device, o.host_data, nhwc);
    std::vector<double> times;
    for (std::int64_t i = 0; i < o.warmup + o.steps; ++i) {
      const auto in = pool.get(i, b);
      const auto t0 = Clock::now();
      auto out = model->forward({in.X, in.ext});
      worker::synchronize(device);
      (void)out;
      if (i >= o.warmup) times.push_back(ms_since(t0));
    }
    InferBenchPoint p;
    p.batch = b;
    p.batch_time = summarize(times);
    p.maps_per_second = 1000.0 * static_cast<double>(b) / p.batch_time.median_ms;
    r.points.push_back(p);
    if (o.profile_steps > 0 && r.profile.empty()) {
      OpProfile profile;
      const auto p0 = Clock::now();
      for (std::int64_t i = 0; i < o.profile_steps; ++i) {
        const auto in = pool.get(i, b);
        auto out = model->forward({in.X, in.ext});
        worker::synchronize(device);
      }
      r.profile_step_ms = ms_since(p0) / static_cast<double>(o.profile_steps);
      r.profile = profile.top(kProfileRows, o.profile_steps, r.profile_step_ms);
    }
  }
  return r;
}

}  // namespace fufi::bench
