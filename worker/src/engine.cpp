#include "fufi/worker/engine.h"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <thread>

#include <ATen/autocast_mode.h>

#include "fufi/core/build_info.h"
#include "fufi/core/error.h"
#include "fufi/data/dataset.h"
#include "fufi/data/random.h"
#include "fufi/model/losses.h"
#include "fufi/model/registry.h"
#include "fufi/worker/checkpoint.h"
#include "fufi/worker/grad_overlap.h"
#include "fufi/worker/tensors.h"
#include "fufi/worker/train_config.h"

#if FUFI_CUDA_ENABLED
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace fufi::worker {

namespace {

using Clock = std::chrono::steady_clock;

// A failure whose class the engine knows better than the exception type says.
struct ClassifiedFailure : RuntimeError {
  ClassifiedFailure(std::string cls, std::string message, const char* file, int line)
      : RuntimeError(std::move(message), file, line), error_class(std::move(cls)) {}
  std::string error_class;
};
#define FUFI_FAIL(cls, ...) throw ClassifiedFailure(cls, ::fmt::format(__VA_ARGS__), __FILE__, __LINE__)

bool is_cuda(const std::string& device) { return device.rfind("cuda", 0) == 0; }

// "key 'lr': 0.0003 in the checkpoint, 0.1 now; ..." for every key whose value differs.
std::string config_differences(const Config& saved, const Config& now) {
  std::string out;
  auto note = [&](const std::string& key, const std::string& a, const std::string& b) {
    out += fmt::format("{}key '{}': {} in the checkpoint, {} now", out.empty() ? "" : "; ", key, a, b);
  };
  for (const auto& [k, v] : saved.items()) {
    auto it = now.items().find(k);
    if (it == now.items().end()) note(k, v, "unset");
    else if (it->second != v) note(k, v, it->second);
  }
  for (const auto& [k, v] : now.items())
    if (!saved.items().count(k)) note(k, "unset", v);
  return out;
}

torch::Device parse_device(const std::string& name) {
  if (!is_cuda(name)) return torch::kCPU;
#if FUFI_CUDA_ENABLED
  FUFI_CHECK(torch::cuda::is_available(), RuntimeError, "device={}: no CUDA device is visible", name);
  return torch::Device(name);
#else
  FUFI_THROW(UsageError, "device={}: this fufi was built against a LibTorch without CUDA", name);
#endif
}

void set_bf16_autocast(bool on) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(at::kCUDA, on);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
#else
  at::autocast::set_enabled(on);
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
  if (!on) at::autocast::clear_cache();
}

struct AutocastScope {
  explicit AutocastScope(bool on) : on_(on) {
    if (on_) set_bf16_autocast(true);
  }
  ~AutocastScope() {
    if (on_) set_bf16_autocast(false);
  }
  bool on_;
};

std::int64_t peak_memory_bytes(const torch::Device& device) {
#if FUFI_CUDA_ENABLED
  if (device.is_cuda()) {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
    return stats.allocated_bytes[0].peak;
  }
#endif
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
}

// The model's parameters and buffers in a fixed order: what rank 0 broadcasts.
std::vector<torch::Tensor> state_tensors(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters()) out.push_back(p.data());
  for (auto& b : m.buffers())
    if (b.is_floating_point()) out.push_back(b);
  return out;
}

void to_channels_last(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

struct Batch {
  torch::Tensor X, Y, ext;
};

Batch gather(const TensorSplit& split, const torch::Tensor& index, const torch::Device& device, bool channels_last) {
  Batch b;
  b.X = split.X.index_select(0, index).to(device, /*non_blocking=*/true);
  b.Y = split.Y.index_select(0, index).to(device, true);
  if (split.ext.defined()) b.ext = split.ext.index_select(0, index).to(device, true);
  if (channels_last) b.X = b.X.contiguous(torch::MemoryFormat::ChannelsLast);
  return b;
}

// Metrics of `split` on raw counts; each rank evaluates a contiguous share, sums are reduced.
data::FlowMetrics evaluate(model::FufiModel& model, const TensorSplit& split, const TrainConfig& cfg,
                           const torch::Device& device, Reducer& reducer) {
  model.eval();
  c10::InferenceMode guard;
  AutocastScope autocast(cfg.bf16);
  const std::int64_t n = split.size();
  const std::int64_t begin = n * reducer.rank() / reducer.size(), end = n * (reducer.rank() + 1) / reducer.size();
  data::MetricAccumulator acc;
  for (std::int64_t s = begin; s < end; s += cfg.eval_batch_size) {
    auto index = torch::arange(s, std::min(end, s + cfg.eval_batch_size), torch::kLong);
    auto b = gather(split, index, device, cfg.channels_last);
    auto out = model.forward({b.X, b.ext});
    accumulate_metrics(acc, out.fine.to(torch::kFloat32), b.Y, cfg.scaler_y);
  }
  std::vector<double> sums{acc.sum_squared(), acc.sum_absolute(), acc.sum_percentage(), static_cast<double>(acc.count())};
  reducer.allreduce_sum(sums);
  return data::MetricAccumulator::from_sums(sums[0], sums[1], sums[2], static_cast<std::uint64_t>(sums[3])).result();
}

std::vector<std::int64_t> epoch_permutation(std::int64_t n, std::uint64_t seed, std::int64_t epoch) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  data::Rng rng(data::mix_seed(seed, 0xE90C4ull, static_cast<std::uint64_t>(epoch)));
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

std::string classify(const std::exception& e, std::string* message) {
  *message = e.what();
  if (auto* c = dynamic_cast<const ClassifiedFailure*>(&e)) {
    *message = c->message();
    return c->error_class;
  }
  if (auto* f = dynamic_cast<const Error*>(&e)) {
    *message = f->message();
    if (f->kind() == ErrorKind::Input) return "bad_data";
    if (f->kind() == ErrorKind::Usage) return "bad_config";
    return "runtime";
  }
  if (dynamic_cast<const std::bad_alloc*>(&e) || message->find("out of memory") != std::string::npos ||
      message->find("Out of memory") != std::string::npos)
    return "out_of_memory";
  auto nl = message->find('\n');
  if (nl != std::string::npos) message->resize(nl);
  return "runtime";
}

RunResult train_job(const TrainJob& job, RecordSink& sink, Reducer& reducer, const EngineCallbacks& callbacks,
                    RunResult& result) {
  const bool lead = reducer.rank() == 0;
  const JobSettings settings = resolve_job_settings(job.model, job.settings, job.seed);
  const TrainConfig& cfg = settings.train;
  const torch::Device device = parse_device(cfg.device);
  result.device = device.str();
  result.ranks = reducer.size();

  // Threads: the node's cores shared by the ranks on it, unless set.
  int threads = static_cast<int>(cfg.threads);
  if (threads == 0) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int local = mpi_launched() ? std::max(1, mpi_world().local_size) : 1;
    threads = std::max(1, cores / local);
  }
  torch::set_num_threads(threads);

  // Data: validated, scaled, resident on the device.
  data::LoadOptions load_options;
  auto dir = data::resolve_task_dir(job.data_dir, job.task);
  TensorDataset dataset = to_tensors(data::load_fufi_data(dir, load_options), Scalers{cfg.scaler_x, cfg.scaler_y});
  if (device.is_cuda()) {
    for (auto& [name, split] : dataset.splits) {
      split.X = split.X.to(device);
      split.Y = split.Y.to(device);
      if (split.ext.defined()) split.ext = split.ext.to(device);
    }
  }
  const TensorSplit& train = dataset.split("train");
  const model::DataSpec spec = dataset.spec();

  // Model and optimizer, identical on every rank: same seed, then rank 0's values broadcast.
  torch::manual_seed(job.seed);
  auto model = model::ModelRegistry::instance().create(job.model, spec, settings.model);
  model->to(device);
  if (cfg.channels_last) to_channels_last(*model);
  result.parameters = model::count_parameters(*model);
  std::shared_ptr<model::Loss> loss_fn;
  if (cfg.loss == "model") {
    FUFI_CHECK(model->has_model_loss(), UsageError, "loss=model: model '{}' has no loss of its own", job.model);
  } else {
    loss_fn = model::make_loss(cfg.loss, settings.loss, cfg.scaler_y);
  }

  std::vector<torch::Tensor> params;
  for (auto& p : model->parameters())
    if (p.requires_grad()) params.push_back(p);
  std::unique_ptr<torch::optim::Adam> optimizer;
  if (model->trainable() && !params.empty()) {
    optimizer = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(cfg.lr).betas({cfg.adam_beta1, cfg.adam_beta2}).weight_decay(cfg.weight_decay));
  }

  const std::string last_path = job.run_dir + "/last.ckpt", best_path = job.run_dir + "/best.ckpt";
  CheckpointMeta meta;
  meta.model = job.model;
  meta.model_config = settings.model;
  meta.job_config = settings.resolved;
  meta.spec = spec;
  meta.scaler_x = cfg.scaler_x;
  meta.scaler_y = cfg.scaler_y;

  bool resumed = false;
  if (job.resume && std::filesystem::exists(last_path)) {
    CheckpointMeta saved = read_checkpoint_meta(last_path);
    // Execution-only keys (threads, device, ...) may differ: the job is the same, only where and how fast
    // it runs changed.
    const std::string changed =
        config_differences(checkpoint_identity(saved.job_config), checkpoint_identity(settings.resolved));
    FUFI_CHECK(changed.empty(), UsageError,
               "{}: the checkpoint was written by another configuration ({}); use a new run directory", last_path,
               changed);
    load_checkpoint(last_path, *model, optimizer.get());
    if (cfg.channels_last) to_channels_last(*model);
    meta = saved;
    meta.job_config = settings.resolved;  // provenance of what runs now
    resumed = true;
  } else {
    reducer.broadcast(state_tensors(*model));
    if (model->needs_fit()) {
      model->fit(train.X, train.Y);
    }
  }
  if (lead) sink.begin(meta.epoch);

  // Parameter-free and fitted models: nothing to train; their "best" checkpoint is the model itself.
  if (!optimizer) {
    if (lead) {
      meta.best_epoch = -1;
      save_checkpoint(best_path, *model, nullptr, meta);
      save_checkpoint(last_path, *model, nullptr, meta);
    }
    reducer.barrier();
    result.best_valid = evaluate(*model, dataset.split("valid"), cfg, device, reducer);
    result.test = evaluate(*model, dataset.split("test"), cfg, device, reducer);
    result.peak_memory_bytes = peak_memory_bytes(device);
    return result;
  }

  const std::int64_t n = train.size();
  const std::int64_t steps = (n + cfg.batch_size - 1) / cfg.batch_size;
  // Several ranks: gradient buckets are all-reduced from hooks while backward still runs (grad_overlap),
  // else all at once after it. Both sum the same values; only when the communication happens differs.
  std::unique_ptr<OverlappedGradReducer> overlap;
  if (reducer.size() > 1 && cfg.grad_overlap)
    overlap = std::make_unique<OverlappedGradReducer>(
        params, reducer, static_cast<std::size_t>(cfg.grad_bucket_mb * 1024.0 * 1024.0));
  std::int64_t epochs_this_call = 0;
  bool stopped_early = false;
  for (std::int64_t epoch = meta.epoch + 1; epoch < cfg.epochs; ++epoch) {
    if (cfg.patience > 0 && meta.best_epoch >= 0 && meta.epochs_since_best >= cfg.patience) {
      stopped_early = true;
      break;
    }
    if (job.stop_after_epochs >= 0 && epochs_this_call >= job.stop_after_epochs) {
      result.status = "interrupted";
      return result;
    }
    const auto t0 = Clock::now();
    const double lr = learning_rate_at(cfg, epoch);
    for (auto& group : optimizer->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    model->train();
    const auto order = epoch_permutation(n, job.seed, epoch);
    auto order_t = torch::tensor(order, torch::kLong);
    double loss_sum = 0;  // sum over this rank's samples of the per-sample mean loss
    for (std::int64_t step = 0; step < steps; ++step) {
      if (callbacks.heartbeat) callbacks.heartbeat();
      // This step's global batch, split evenly (by count) across the ranks.
      const std::int64_t g0 = step * cfg.batch_size, g1 = std::min(n, g0 + cfg.batch_size), global_n = g1 - g0;
      const std::int64_t r0 = g0 + global_n * reducer.rank() / reducer.size();
      const std::int64_t r1 = g0 + global_n * (reducer.rank() + 1) / reducer.size();
      optimizer->zero_grad();
      double local_loss = 0;
      bool finite = true;
      if (r1 > r0) {
        auto b = gather(train, order_t.slice(0, r0, r1), device, cfg.channels_last);
        torch::Tensor loss;
        {
          AutocastScope autocast(cfg.bf16);
          auto out = model->forward({b.X, b.ext});
          loss = loss_fn ? loss_fn->forward(out.fine.to(torch::kFloat32), b.Y) : model->model_loss(out, b.Y);
        }
        // Each rank's mean is weighted by its share of the global batch; summing the gradients across
        // ranks then gives exactly the gradient of the global batch's mean.
        (loss * (static_cast<double>(r1 - r0) / static_cast<double>(global_n))).backward();
        local_loss = loss.item<double>();
        finite = std::isfinite(local_loss);
        loss_sum += local_loss * static_cast<double>(r1 - r0);
      }
      // Before any other collective: a rank without samples this step (no backward) launches its buckets
      // here, so every rank issues the same collectives in the same order.
      if (overlap) overlap->finish();
      std::vector<double> flags{finite ? 0.0 : 1.0};
      reducer.allreduce_sum(flags);
      if (flags[0] > 0)
        FUFI_FAIL("diverged", "non-finite training loss at epoch {}, step {} (lr {:.3g}); lower lr or set grad_clip",
                  epoch, step, lr);
      if (reducer.size() > 1 && !overlap) {
        std::vector<torch::Tensor> grads;
        for (auto& p : params) {
          if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
          grads.push_back(p.grad());
        }
        reducer.allreduce_sum(grads);
      }
      if (cfg.grad_clip > 0) torch::nn::utils::clip_grad_norm_(params, cfg.grad_clip);
      optimizer->step();
    }
    std::vector<double> loss_totals{loss_sum};
    reducer.allreduce_sum(loss_totals);

    EpochRecord record;
    record.epoch = epoch;
    record.train_loss = loss_totals[0] / static_cast<double>(n);
    record.lr = lr;
    record.valid = evaluate(*model, dataset.split("valid"), cfg, device, reducer);
    record.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    record.samples_per_second = static_cast<double>(n) / std::max(record.seconds, 1e-9);
    if (!std::isfinite(record.valid.mse))
      FUFI_FAIL("diverged", "non-finite validation MSE after epoch {}", epoch);
    record.best = meta.best_epoch < 0 || record.valid.mse < meta.best_valid_mse;
    meta.epoch = epoch;
    meta.train_seconds += record.seconds;
    if (record.best) {
      meta.best_epoch = epoch;
      meta.best_valid_mse = record.valid.mse;
      meta.epochs_since_best = 0;
    } else {
      ++meta.epochs_since_best;
    }
    if (lead) {
      sink.epoch(record);
      if (record.best) save_checkpoint(best_path, *model, nullptr, meta);
      save_checkpoint(last_path, *model, optimizer.get(), meta);  // last: a resume never goes past a best
      if (callbacks.on_epoch) callbacks.on_epoch(record);
    }
    reducer.barrier();
    ++epochs_this_call;
  }
  (void)resumed;

  // Test the best-validation checkpoint.
  result.early_stopped = stopped_early;
  result.epochs_run = meta.epoch + 1;
  result.best_epoch = meta.best_epoch;
  result.mean_epoch_seconds = result.epochs_run > 0 ? meta.train_seconds / static_cast<double>(result.epochs_run) : 0;
  FUFI_CHECK(meta.best_epoch >= 0, UsageError, "epochs=0: nothing was trained, so there is no checkpoint to test");
  load_checkpoint(best_path, *model, nullptr);
  if (cfg.channels_last) to_channels_last(*model);
  result.best_valid = evaluate(*model, dataset.split("valid"), cfg, device, reducer);
  result.test = evaluate(*model, dataset.split("test"), cfg, device, reducer);
  result.peak_memory_bytes = peak_memory_bytes(device);
  return result;
}

}  // namespace

RunResult run_training(const TrainJob& job, RecordSink& sink, Reducer& reducer, const EngineCallbacks& callbacks) {
  RunResult result;
  try {
    std::error_code ec;
    std::filesystem::create_directories(job.run_dir, ec);
    if (ec) FUFI_THROW(InputError, "{}: cannot create run directory: {}", job.run_dir, ec.message());
    train_job(job, sink, reducer, callbacks, result);
  } catch (const std::exception& e) {
    result.status = "failed";
    result.error_class = classify(e, &result.error);
  }
  if (reducer.rank() == 0 && result.status != "interrupted") sink.result(result);
  return result;
}

int exit_code_for(const RunResult& r) {
  if (r.status == "done" || r.status == "interrupted") return 0;
  if (r.error_class == "bad_data" || r.error_class == "bad_config") return 2;
  return 1;
}

}  // namespace fufi::worker
