#include "fufi/worker/engine.h"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <sstream>
#include <thread>

#include "fufi/core/build_info.h"
#include "fufi/core/error.h"
#include "fufi/core/file_lock.h"
#include "fufi/data/dataset.h"
#include "fufi/data/random.h"
#include "fufi/model/losses.h"
#include "fufi/model/registry.h"
#include "fufi/worker/autotune.h"
#include "fufi/worker/checkpoint.h"
#include "fufi/worker/device.h"
#include "fufi/worker/diagnosis.h"
#include "fufi/worker/failure.h"
#include "fufi/worker/sync_batch_norm.h"
#include "fufi/worker/tensors.h"
#include "fufi/worker/train_config.h"
#include "fufi/worker/training_step.h"
#include "engine_setup.h"


namespace fufi::worker {

namespace {

using Clock = std::chrono::steady_clock;
using namespace engine_detail;

// The model's parameters and buffers in a fixed order: what rank 0 broadcasts.
std::vector<torch::Tensor> state_tensors(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters()) out.push_back(p.data());
  for (auto& b : m.buffers())
    if (b.is_floating_point()) out.push_back(b);
  return out;
}

struct Batch {
  torch::Tensor X, Y, ext;
};

// The samples `index` of `split`, on `device` (a no-op move when the split is resident there already).
Batch gather(const TensorSplit& split, const torch::Tensor& index, const torch::Device& device, bool channels_last) {
  Batch b;
  b.X = split.X.index_select(0, index).to(device, /*non_blocking=*/true);
  b.Y = split.Y.index_select(0, index).to(device, true);
  if (split.ext.defined()) b.ext = split.ext.index_select(0, index).to(device, true);
  if (channels_last) b.X = b.X.contiguous(torch::MemoryFormat::ChannelsLast);
  return b;
}

data::FlowMetrics evaluate(model::FufiModel& model, const TensorSplit& split, const TrainConfig& cfg,
                           const torch::Device& device, Communicator& comm) {
  model.eval();
  c10::InferenceMode guard;
  AutocastScope autocast(cfg.bf16);
  const std::int64_t n = split.size();
  const std::int64_t begin = n * comm.rank() / comm.size(), end = n * (comm.rank() + 1) / comm.size();
  data::MetricAccumulator acc;
  // A model may reject this rank's share (e.g. an hour outside its heads): every rank fails alike.
  run_agreed(comm, [&] {
    for (std::int64_t s = begin; s < end; s += cfg.eval_batch_size) {
      auto index = torch::arange(s, std::min(end, s + cfg.eval_batch_size), split.X.options().dtype(torch::kLong));
      auto b = gather(split, index, device, cfg.channels_last);
      auto out = model.forward({b.X, b.ext});
      accumulate_metrics(acc, out.fine.to(torch::kFloat32), b.Y, cfg.scaler_y);
    }
  });
  std::vector<double> sums{acc.sum_squared(), acc.sum_absolute(), acc.sum_percentage(), static_cast<double>(acc.count())};
  comm.allreduce_sum(sums);
  return data::MetricAccumulator::from_sums(sums[0], sums[1], sums[2], static_cast<std::uint64_t>(sums[3])).result();
}

std::vector<std::int64_t> epoch_permutation(std::int64_t n, std::uint64_t seed, std::int64_t epoch) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  data::Rng rng(data::mix_seed(seed, 0xE90C4ull, static_cast<std::uint64_t>(epoch)));
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

// --- train_job, step by step --------------------------------------------------------------------------

// Parameter-free and fitted models: nothing to train; their "best" checkpoint is the model itself.
void finish_untrained(const TrainJob& job, const TrainConfig& cfg, const TensorDataset& dataset, Training& t,
                      CheckpointMeta& meta, const torch::Device& device, Communicator& comm, RunResult& result) {
  meta.best_epoch = -1;
  run_agreed(comm, [&] {
    if (comm.rank() != 0) return;
    save_checkpoint(job.run_dir + "/best.ckpt", *t.model, nullptr, meta);
    save_checkpoint(job.run_dir + "/last.ckpt", *t.model, nullptr, meta);
  });
  result.best_valid = evaluate(*t.model, dataset.split("valid"), cfg, device, comm);
  result.test = evaluate(*t.model, dataset.split("test"), cfg, device, comm);
  result.peak_memory_bytes = peak_memory_bytes(device);
}

// One pass over the training split in this epoch's order, each global batch split evenly (by count) across
// the ranks. Nothing waits for the device inside the epoch: each step's loss stays there, and one copy at
// the end judges divergence (naming the first non-finite step) and gives the epoch's mean loss.
double train_epoch(const TrainJob& job, const TrainConfig& cfg, const TensorSplit& train, TrainingStep& step,
                   std::int64_t epoch, double lr, const torch::Device& device, Communicator& comm,
                   const EngineCallbacks& callbacks, const torch::nn::Module& model, StepDiagnosis* diagnosis,
                   double lowest_train_loss, SyncBatchNorm* sync_bn) {
  const std::int64_t n = train.size();
  const std::int64_t steps = (n + cfg.batch_size - 1) / cfg.batch_size;
  const auto order = torch::tensor(epoch_permutation(n, job.seed, epoch), torch::kLong).to(device);
  auto step_loss_sums = torch::zeros({steps}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  for (std::int64_t s = 0; s < steps; ++s) {
    if (callbacks.heartbeat) callbacks.heartbeat();
    const std::int64_t g0 = s * cfg.batch_size, g1 = std::min(n, g0 + cfg.batch_size), global_n = g1 - g0;
    const std::int64_t r0 = g0 + global_n * comm.rank() / comm.size();
    const std::int64_t r1 = g0 + global_n * (comm.rank() + 1) / comm.size();
    StepInput input;
    if (r1 > r0) {
      auto b = gather(train, order.slice(0, r0, r1), device, cfg.channels_last);
      input = {b.X, b.Y, b.ext};
    } else if (sync_bn) {
      // No samples here this step, but SyncBatchNorm's collectives need this rank: the batch's first sample
      // carries it through forward and backward, weighing nothing.
      auto b = gather(train, order.slice(0, g0, g0 + 1), device, cfg.channels_last);
      input = {b.X, b.Y, b.ext, /*stand_in=*/true};
    }
    if (sync_bn) sync_bn->set_contributing(!input.stand_in);
    torch::Tensor loss;
    if (diagnosis) {
      {
        model::ProbeScope probing(diagnosis->probe());
        loss = step.run(input, global_n);
      }
      diagnosis->record(epoch, s, loss.item<double>(), lr, model);
    } else {
      loss = step.run(input, global_n);
    }
    // Summed over this rank's samples: the ranks' sums add up to the global batch's.
    step_loss_sums.select(0, s).copy_(loss.to(torch::kFloat64) * static_cast<double>(r1 - r0));
  }
  auto host = step_loss_sums.cpu().contiguous();
  std::vector<double> sums(host.data_ptr<double>(), host.data_ptr<double>() + steps);
  comm.allreduce_sum(sums);
  double total = 0;
  for (std::int64_t s = 0; s < steps; ++s) {
    const double sum = sums[static_cast<std::size_t>(s)];
    if (!std::isfinite(sum))
      FUFI_FAIL(ErrorClass::Diverged,
                "non-finite training loss at epoch {}, step {} (lr {:.3g}); lower lr, set grad_clip, or safe_n2=true "
                "for the paper-default N2 (docs/MODELS.md)",
                epoch, s, lr);
    // A finite loss can explode as well (the reference N2's blocks with a near-zero sum): judged against the
    // lowest epoch mean so far, so that the first epoch's steep descent never counts.
    const std::int64_t g0 = s * cfg.batch_size, global_n = std::min(n, g0 + cfg.batch_size) - g0;
    const double step_loss = sum / static_cast<double>(global_n);
    if (cfg.diverge_factor > 0 && lowest_train_loss > 0 && step_loss > cfg.diverge_factor * lowest_train_loss)
      FUFI_FAIL(ErrorClass::Diverged,
                "training loss exploded at epoch {}, step {}: {:.6g}, over diverge_factor {:g} x the lowest epoch mean "
                "so far {:.6g} (lr {:.3g}); lower lr, set grad_clip, or safe_n2=true for the paper-default N2 "
                "(docs/MODELS.md)",
                epoch, s, step_loss, cfg.diverge_factor, lowest_train_loss, lr);
    total += sum;
  }
  return total / static_cast<double>(n);
}

// Validation, best-so-far bookkeeping, the sink and the checkpoints after one epoch.
EpochRecord close_epoch(const TrainJob& job, const TrainConfig& cfg, const TensorDataset& dataset, Training& t,
                        CheckpointMeta& meta, std::int64_t epoch, double lr, double train_loss, Clock::time_point t0,
                        const torch::Device& device, Communicator& comm, RecordSink& sink,
                        const EngineCallbacks& callbacks) {
  EpochRecord record;
  record.epoch = epoch;
  record.train_loss = train_loss;
  record.lr = lr;
  record.valid = evaluate(*t.model, dataset.split("valid"), cfg, device, comm);
  record.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  record.samples_per_second = static_cast<double>(dataset.split("train").size()) / std::max(record.seconds, 1e-9);
  if (!std::isfinite(record.valid.mse)) FUFI_FAIL(ErrorClass::Diverged, "non-finite validation MSE after epoch {}", epoch);
  record.best = meta.best_epoch < 0 || record.valid.mse < meta.best_valid_mse;
  meta.epoch = epoch;
  meta.train_seconds += record.seconds;
  if (meta.lowest_train_loss <= 0 || train_loss < meta.lowest_train_loss) meta.lowest_train_loss = train_loss;
  if (record.best) {
    meta.best_epoch = epoch;
    meta.best_valid_mse = record.valid.mse;
    meta.epochs_since_best = 0;
  } else {
    ++meta.epochs_since_best;
  }
  // Rank 0 writes; a failure there (a full disk) fails the job on every rank instead of leaving the others
  // waiting at a barrier.
  run_agreed(comm, [&] {
    if (comm.rank() != 0) return;
    sink.epoch(record);
    if (record.best) save_checkpoint(job.run_dir + "/best.ckpt", *t.model, nullptr, meta);
    save_checkpoint(job.run_dir + "/last.ckpt", *t.model, t.optimizer.get(), meta);  // a resume never passes a best
    if (callbacks.on_epoch) callbacks.on_epoch(record);
  });
  return record;
}

// The best-validation checkpoint's metrics on valid and test.
void test_best(const TrainJob& job, const TrainConfig& cfg, const TensorDataset& dataset, Training& t,
               const CheckpointMeta& meta, const torch::Device& device, Communicator& comm, RunResult& result) {
  result.epochs_run = meta.epoch + 1;
  result.best_epoch = meta.best_epoch;
  result.mean_epoch_seconds = result.epochs_run > 0 ? meta.train_seconds / static_cast<double>(result.epochs_run) : 0;
  FUFI_CHECK(meta.best_epoch >= 0, UsageError, "epochs=0: nothing was trained, so there is no checkpoint to test");
  run_agreed(comm, [&] {
    load_checkpoint(job.run_dir + "/best.ckpt", *t.model, nullptr);
    if (cfg.channels_last) to_channels_last(*t.model);
  });
  result.best_valid = evaluate(*t.model, dataset.split("valid"), cfg, device, comm);
  result.test = evaluate(*t.model, dataset.split("test"), cfg, device, comm);
  result.peak_memory_bytes = peak_memory_bytes(device);
}

void train_job(const TrainJob& job, RecordSink& sink, Communicator& comm, const EngineCallbacks& callbacks,
               RunResult& result) {
  result.ranks = comm.size();
  // Everything before the first collective is local to each rank (one rank may fail to read its data or
  // checkpoint); the ranks agree on the outcome before the broadcast.
  JobSettings settings;
  torch::Device device = torch::kCPU;
  TensorDataset dataset;
  Training t;
  CheckpointMeta meta;
  bool resumed = false;
  std::vector<std::string> warnings;
  run_agreed(comm, [&] {
    settings = resolve_job_settings(job.model, job.settings, job.seed);
    device = parse_device(settings.train.device);
    result.device = device.str();
    configure_threads(settings.train);
    dataset = load_split_tensors(job, settings.train, device, &warnings);  // may fit settings.train's scalers
    t = build_training(job, settings, dataset.spec(), device);
    check_hours_against_heads(dataset, dataset.spec(), *t.model, job, settings.train);
    result.parameters = model::count_parameters(*t.model);
  });
  resolve_memory_format(job, settings, dataset, t, comm, result);
  run_agreed(comm, [&] { meta = load_if_resuming(job, settings, dataset.spec(), t, &resumed); });
  if (comm.rank() == 0 && callbacks.on_warning)
    for (const auto& w : warnings) callbacks.on_warning(w);
  const TrainConfig& cfg = settings.train;
  const TensorSplit& train = dataset.split("train");
  if (!resumed) {
    comm.broadcast(state_tensors(*t.model));
    if (t.model->needs_fit()) run_agreed(comm, [&] { t.model->fit(train.X, train.Y, train.ext); });
  }
  if (comm.rank() == 0) sink.begin(meta.epoch);
  if (!t.optimizer) {
    finish_untrained(job, cfg, dataset, t, meta, device, comm, result);
    return;
  }

  // With > 1 rank, BatchNorm layers normalise over the group's whole batch (sync_batchnorm=auto).
  std::unique_ptr<SyncBatchNorm> sync_bn;
  run_agreed(comm, [&] {
    sync_bn = make_sync_batch_norm(*t.model, comm, cfg.sync_batchnorm);
    FUFI_CHECK(!sync_bn || !cfg.cuda_graph, UsageError,
               "key 'cuda_graph': a captured step cannot run SyncBatchNorm's collectives; set sync_batchnorm=off");
  });
  TrainingStep step(*t.model, t.loss, *t.optimizer, comm, step_options_from(cfg));
  std::unique_ptr<StepDiagnosis> diagnosis;
  run_agreed(comm, [&] {
    if (!job.diagnose_path.empty() && comm.rank() == 0)
      diagnosis = std::make_unique<StepDiagnosis>(job.diagnose_path, job.diagnose_steps);
  });
  std::int64_t epochs_this_call = 0;
  for (std::int64_t epoch = meta.epoch + 1; epoch < cfg.epochs; ++epoch) {
    if (cfg.patience > 0 && meta.best_epoch >= 0 && meta.epochs_since_best >= cfg.patience) {
      result.early_stopped = true;
      break;
    }
    if (job.stop_after_epochs >= 0 && epochs_this_call >= job.stop_after_epochs) {
      result.status = to_string(JobStatus::Interrupted);
      return;
    }
    const auto t0 = Clock::now();
    const double lr = learning_rate_at(cfg, epoch);
    for (auto& group : t.optimizer->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    t.model->train();
    const double train_loss =
        train_epoch(job, cfg, train, step, epoch, lr, device, comm, callbacks, *t.model, diagnosis.get(),
                    meta.lowest_train_loss, sync_bn.get());
    close_epoch(job, cfg, dataset, t, meta, epoch, lr, train_loss, t0, device, comm, sink, callbacks);
    ++epochs_this_call;
  }
  test_best(job, cfg, dataset, t, meta, device, comm, result);
}

}  // namespace

RunResult run_training(const TrainJob& job, RecordSink& sink, Communicator& comm, const EngineCallbacks& callbacks) {
  RunResult result;
  // One writer per run directory (issue #20): rank 0 holds RUN_DIR/.lock for the whole run. Another process
  // that holds it fails this job with bad_data (exit 2) naming it, and this job then writes nothing there.
  std::unique_ptr<FileLock> lock;
  const auto fail = [&](const std::exception& e) {
    result.status = to_string(JobStatus::Failed);
    result.error_class = to_string(classify(e, &result.error));
  };
  try {
    run_agreed(comm, [&] {
      if (comm.rank() != 0) return;
      std::error_code ec;
      std::filesystem::create_directories(job.run_dir, ec);
      if (ec) FUFI_THROW(InputError, "{}: cannot create run directory: {}", job.run_dir, ec.message());
      lock = std::make_unique<FileLock>(job.run_dir + "/.lock");
      FUFI_CHECK(lock->held(), InputError,
                 "{}: another fufi process is writing this run directory ({}); wait for it to finish or use "
                 "another run directory",
                 job.run_dir, lock->holder());
      if (!job.resume) {
        // A fresh start that fails before its first checkpoint must not leave the old run's to be resumed.
        std::filesystem::remove(job.run_dir + "/last.ckpt", ec);
        std::filesystem::remove(job.run_dir + "/best.ckpt", ec);
      }
    });
    train_job(job, sink, comm, callbacks, result);
  } catch (const std::exception& e) {
    fail(e);
  }
  if (comm.rank() == 0 && lock && lock->held() && result.status != to_string(JobStatus::Interrupted)) {
    try {
      sink.result(result);
    } catch (const std::exception& e) {
      fail(e);  // a job whose metrics.json could not be written (a full disk) is not done
    }
  }
  return result;
}

int exit_code_for(const RunResult& r) {
  return exit_code(parse_job_status(r.status),
                   r.error_class.empty() ? ErrorClass::None : parse_error_class(r.error_class));
}

}  // namespace fufi::worker
