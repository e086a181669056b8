#include "engine_setup.h"

#include <filesystem>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/data/dataset.h"
#include "fufi/model/registry.h"
#include "fufi/worker/autotune.h"
#include "fufi/worker/device.h"
#include "fufi/worker/failure.h"

namespace fufi::worker::engine_detail {

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

// The node's cores shared by the ranks on it, unless `threads` is set.
void configure_threads(const TrainConfig& cfg) {
  int threads = static_cast<int>(cfg.threads);
  if (threads == 0) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int local = mpi_launched() ? std::max(1, mpi_world().local_size) : 1;
    threads = std::max(1, cores / local);
  }
  torch::set_num_threads(threads);
  set_flush_denormal(cfg.flush_denormal);
}

// Validated, re-split when asked (split=7:1:2), scaled (fixed scalers, or fitted on the training split), and
// resident on the device for the whole job (TaxiBJ's largest task is ~0.3 GB). Fitted scalers are written back
// into `cfg`, where the loss and the checkpoint read them.
TensorDataset load_split_tensors(const TrainJob& job, TrainConfig& cfg, const torch::Device& device,
                                 std::vector<std::string>* warnings) {
  data::LoadOptions load_options;
  load_options.strict = job.strict_data;
  auto dir = data::resolve_task_dir(job.data_dir, job.task);
  data::FufiData data = data::load_fufi_data(dir, load_options);
  *warnings = data.warnings;
  if (cfg.split == "7:1:2") data::resplit_chronological(data, 7, 1, 2);
  if (cfg.scaling == "train_max") {
    const auto& train = data.split("train");
    auto largest = [](const std::vector<float>& v) {
      float m = 0;
      for (float x : v) m = std::max(m, x);
      return static_cast<double>(m);
    };
    // An all-zero split keeps 1: dividing by 0 would not scale anything.
    const double x_max = largest(train.X.values), y_max = largest(train.Y.values);
    cfg.scaler_x = x_max > 0 ? x_max : 1.0;
    cfg.scaler_y = y_max > 0 ? y_max : 1.0;
  }
  TensorDataset dataset = to_tensors(std::move(data), Scalers{cfg.scaler_x, cfg.scaler_y});
  if (device.is_cuda()) {
    for (auto& [name, split] : dataset.splits) {
      split.X = split.X.to(device);
      split.Y = split.Y.to(device);
      if (split.ext.defined()) split.ext = split.ext.to(device);
    }
  }
  return dataset;
}

// A model with one output head per training hour (CUFAR, UNO) cannot predict a sample of another hour: every
// split is checked against the training split's hours before the first epoch, so that such data fails at
// load time as bad_data naming the split's file, not after training as a runtime error of the model.
void check_hours_against_heads(const TensorDataset& dataset, const model::DataSpec& spec, const model::FufiModel& m,
                               const TrainJob& job, const TrainConfig& cfg) {
  if (!m.has_hour_heads()) return;
  const std::int64_t lo = spec.hour_offset, hi = spec.hour_offset + spec.hour_slots - 1;
  for (const auto& name : data::split_names()) {
    auto it = dataset.splits.find(name);
    if (it == dataset.splits.end() || !it->second.ext.defined()) continue;
    auto hours = it->second.ext.select(1, model::ext_col::kHour).to(torch::kCPU).contiguous();
    const float* h = hours.data_ptr<float>();
    for (std::int64_t i = 0; i < hours.size(0); ++i) {
      const auto hour = static_cast<std::int64_t>(h[i]);
      if (hour >= lo && hour <= hi) continue;
      const std::string where =
          cfg.split == "release" ? dataset.dir + "/" + name + "/ext.npy"
                                 : fmt::format("{}: the {} split of the {} re-split", dataset.dir, name, cfg.split);
      FUFI_THROW(InputError,
                 "{}: sample {} has hour {}, outside the training split's hours {}..{} ({} has one output head per "
                 "training hour)",
                 where, i, hour, lo, hi, job.model);
    }
  }
}

Training build_training(const TrainJob& job, const JobSettings& settings, const model::DataSpec& spec,
                        const torch::Device& device) {
  const TrainConfig& cfg = settings.train;
  Training t;
  torch::manual_seed(job.seed);
  t.model = model::ModelRegistry::instance().create(job.model, spec, settings.model);
  t.model->to(device);
  if (cfg.channels_last) to_channels_last(*t.model);
  if (cfg.loss == "model") {
    FUFI_CHECK(t.model->has_model_loss(), UsageError, "loss=model: model '{}' has no loss of its own", job.model);
  } else {
    t.loss = model::make_loss(cfg.loss, settings.loss, cfg.scaler_y);
  }
  for (auto& p : t.model->parameters())
    if (p.requires_grad()) t.params.push_back(p);
  if (t.model->trainable() && !t.params.empty()) {
    t.optimizer = std::make_unique<torch::optim::Adam>(
        t.params,
        torch::optim::AdamOptions(cfg.lr).betas({cfg.adam_beta1, cfg.adam_beta2}).weight_decay(cfg.weight_decay));
  }
  return t;
}

CheckpointMeta fresh_meta(const TrainJob& job, const JobSettings& settings, const model::DataSpec& spec) {
  CheckpointMeta meta;
  meta.model = job.model;
  meta.model_config = settings.model;
  meta.job_config = settings.resolved;
  meta.spec = spec;
  meta.scaler_x = settings.train.scaler_x;
  meta.scaler_y = settings.train.scaler_y;
  return meta;
}

// Continues from RUN_DIR/last.ckpt when asked and present (refusing another configuration): returns the
// checkpoint's state and sets *resumed. Local to each rank; the caller agrees on failures.
CheckpointMeta load_if_resuming(const TrainJob& job, const JobSettings& settings, const model::DataSpec& spec,
                                Training& t, bool* resumed) {
  const std::string last_path = job.run_dir + "/last.ckpt";
  *resumed = false;
  if (!job.resume || !std::filesystem::exists(last_path)) return fresh_meta(job, settings, spec);
  CheckpointMeta saved;
  try {
    saved = read_checkpoint_meta(last_path);
  } catch (const InputError& e) {
    // Never trusted: a checkpoint that does not read (0 bytes or torn, left by a full disk before every
    // write went through the atomic writer, or damaged since) is not the job's state. There is no older
    // complete state to go back to (best.ckpt has no optimizer state), so the job starts fresh; the first
    // epoch replaces the file, and the run directory's records past -1 are dropped (RecordSink::begin).
    fmt::print(stderr, "fufi: warning: {}; not resuming from it: training {} from the start\n", e.message(),
               job.run_dir);
    return fresh_meta(job, settings, spec);
  }
  // Execution-only keys (threads, device, ...) may differ: the job is the same, only where and how fast
  // it runs changed.
  const std::string changed =
      config_differences(checkpoint_identity(saved.job_config), checkpoint_identity(settings.resolved));
  FUFI_CHECK(changed.empty(), UsageError,
             "{}: the checkpoint was written by another configuration ({}); use a new run directory", last_path,
             changed);
  load_checkpoint(last_path, *t.model, t.optimizer.get());
  if (settings.train.channels_last) to_channels_last(*t.model);
  saved.job_config = settings.resolved;  // provenance of what runs now
  *resumed = true;
  return saved;
}

// channels_last=auto: rank 0 measures (or finds in the cache) which memory format is faster for this model and
// shape here; every rank of the group uses its answer, so the ranks run the same kernels.
void resolve_memory_format(const TrainJob& job, JobSettings& settings, const TensorDataset& dataset, Training& t,
                           Communicator& comm, RunResult& result) {
  TrainConfig& cfg = settings.train;
  result.memory_format_source = "set";
  if (cfg.channels_last_auto && t.optimizer) {
    std::string decision;
    run_agreed(comm, [&] {
      if (comm.rank() != 0) return;
      const TensorSplit& train = dataset.split("train");
      const auto n = std::min<std::int64_t>(cfg.batch_size, train.size());
      const auto x = train.X.slice(0, 0, n), y = train.Y.slice(0, 0, n);
      const auto ext = train.ext.defined() ? train.ext.slice(0, 0, n) : torch::Tensor();
      const auto key = memory_format_key(job.model, settings.model.canonical(), x, ext.defined(), cfg.loss, cfg.bf16,
                                         x.device());
      const auto choice = choose_memory_format(*t.model, t.loss, x, y, ext, cfg.bf16, key);
      decision = fmt::format("{} {} {} {}", choice.channels_last ? 1 : 0, choice.source, choice.contiguous_ms,
                             choice.channels_last_ms);
    });
    comm.broadcast_text(decision, 0);
    std::istringstream in(decision);
    int channels_last = 1;
    in >> channels_last >> result.memory_format_source >> result.contiguous_ms >> result.channels_last_ms;
    cfg.channels_last = channels_last != 0;
  }
  if (cfg.channels_last) to_channels_last(*t.model);
  else {
    torch::NoGradGuard no_grad;
    for (auto& p : t.model->parameters())
      if (p.dim() == 4) p.set_data(p.data().clone(torch::MemoryFormat::Contiguous));
  }
  result.memory_format = cfg.channels_last ? "channels_last" : "contiguous";
}

}  // namespace fufi::worker::engine_detail
