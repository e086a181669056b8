#pragma once
// Training settings of one job and how a flat key=value config is split between the engine, the loss
// (`loss_*` keys) and the model. Precedence: engine defaults < the model's named recipe (`recipe=NAME`)
// < the user's settings. Every key is validated; an unknown one is a UsageError naming it.
#include <cstdint>
#include <string>
#include <vector>

#include "fufi/core/config.h"
#include "fufi/model/registry.h"

namespace fufi::worker {

struct TrainConfig {
  std::int64_t epochs = 100;
  std::int64_t batch_size = 20;       // the global batch: split across the ranks of a data-parallel group
  std::int64_t eval_batch_size = 32;
  double lr = 3e-4;
  std::int64_t lr_halve_every = 8;    // 0: constant learning rate
  std::string lr_schedule = "halving";  // halving | uno
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double weight_decay = 0.0;
  double grad_clip = 0.0;             // max global L2 norm; 0: off
  // A step whose training loss exceeds this multiple of the lowest epoch mean so far fails the job as
  // `diverged` (as a non-finite loss does); 0: only non-finite losses.
  double diverge_factor = 1000.0;
  std::string sync_batchnorm = "auto";  // auto: BatchNorm statistics over the whole group when it has > 1 rank; off
  std::string loss = "dualfocal";     // a registered loss, or `model` (the model's own objective)
  std::int64_t patience = 10;         // epochs without a better validation MSE before stopping; 0: never
  double scaler_x = 1.0;              // X is divided by it before the model sees it
  double scaler_y = 1.0;              // Y likewise; metrics are always on raw counts
  std::string scaling = "fixed";      // fixed: scaler_x/scaler_y as given; train_max: fitted (max of train X, Y)
  std::string split = "release";      // release: the files' splits; 7:1:2: chronological re-split (paper §5.1)
  std::int64_t threads = 0;           // torch threads; 0: the node's cores / ranks on the node
  std::string device = "cpu";         // cpu | cuda | cuda:K
  bool bf16 = false;                  // CUDA only: bf16 autocast, fp32 master weights
  bool channels_last = true;          // NHWC activations and conv weights; resolved by measurement when auto
  bool channels_last_auto = true;     // channels_last=auto (the default): autotune.h decides per model and machine
  std::string adam_impl = "foreach";  // for_loop | foreach | fused (CUDA, LibTorch >= 2): adam.h
  bool cuda_graph = false;            // CUDA: replay forward + backward as a CUDA graph (training_step.h)
  bool flush_denormal = true;         // CPU: subnormal floats flushed to zero (device.h: set_flush_denormal)
  bool grad_overlap = true;           // several ranks: all-reduce gradient buckets during backward
  double grad_bucket_mb = 4.0;        // gradient bucket size of the overlapped all-reduce
  std::string recipe;                 // a named recipe of the model ("reference"), applied below user keys
  std::uint64_t seed = 0;
};

// The engine's own keys with defaults and help (what `fufi train --help-keys` prints).
const std::vector<model::ParamSpec>& train_param_specs();

struct JobSettings {
  TrainConfig train;
  Config model;     // the model's resolved keys (defaults included)
  Config loss;      // `loss_*` keys given by the user or the recipe
  Config resolved;  // everything, canonical: what identifies the job
};

// Keys that change how a job runs but not what it computes: threads, device, grad_overlap, grad_bucket_mb, adam_impl,
// cuda_graph, eval_batch_size, sync_batchnorm, diverge_factor, flush_denormal. A checkpoint resumes under other
// values of these (a run interrupted on one machine may continue on another). What they may change is float
// rounding (flush_denormal: values below 1.2e-38), as any other thread count or device does.
const std::vector<std::string>& execution_only_keys();
bool is_execution_only_key(const std::string& key);

// `resolved` without the execution-only keys: what must match for a checkpoint to be resumed.
Config checkpoint_identity(const Config& resolved);

// Splits and validates `user` for `model_name`; `seed` is the job's seed.
JobSettings resolve_job_settings(const std::string& model_name, const Config& user, std::uint64_t seed);

// Learning rate of `epoch` (0-based) under the configured schedule.
double learning_rate_at(const TrainConfig& config, std::int64_t epoch);

}  // namespace fufi::worker
