#include "fufi/worker/train_config.h"

#include <cmath>
#include <thread>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/model/losses.h"
#include "fufi/worker/adam.h"
#include "fufi/worker/device.h"

namespace fufi::worker {

const std::vector<model::ParamSpec>& train_param_specs() {
  static const std::vector<model::ParamSpec> specs{
      {"epochs", "100", "training epochs (paper: 100)"},
      {"batch_size", "20", "global batch size, split across data-parallel ranks (paper: 20)"},
      {"eval_batch_size", "32", "batch size for validation, test and inference"},
      {"lr", "0.0003", "Adam learning rate (paper: 3e-4)"},
      {"lr_halve_every", "8", "halve the learning rate every N epochs (paper: 8); 0 = constant"},
      {"lr_schedule", "halving", "halving, or uno (UNO's reference schedule)"},
      {"adam_beta1", "0.9", "Adam beta1"},
      {"adam_beta2", "0.999", "Adam beta2"},
      {"weight_decay", "0", "Adam weight decay"},
      {"grad_clip", "0", "clip the global gradient L2 norm; 0 = off"},
      {"diverge_factor", "1000",
       "fail as diverged when a step's training loss exceeds this multiple of the lowest epoch mean so far; 0 = "
       "only non-finite losses"},
      {"sync_batchnorm", "auto",
       "data-parallel: auto = BatchNorm batch statistics over all ranks of the group (SyncBatchNorm) when it has > 1 "
       "rank; off = each rank's own share"},
      {"loss", "dualfocal", "training loss (dualfocal, l1, mse, smooth_l1, ...) or model (the model's own)"},
      {"patience", "10", "early stopping: epochs without a better validation MSE; 0 = never stop early"},
      {"scaler_x", "1", "divide coarse maps by this before the model"},
      {"scaler_y", "1", "divide fine maps by this before the model; metrics are de-scaled"},
      {"scaling", "fixed",
       "fixed: divide by scaler_x/scaler_y (1 = raw counts); train_max: scalers fitted on the training split "
       "(its largest coarse and fine value); metrics are always de-scaled"},
      {"split", "release",
       "release: the dataset's train/valid/test as given; 7:1:2: the three concatenated in time order and re-split "
       "70/10/20 (the paper's protocol)"},
      {"threads", "0", "torch CPU threads; 0 = cores of the node / ranks on the node"},
      {"device", "cpu", "cpu, cuda or cuda:K"},
      {"bf16", "false", "bf16 autocast with fp32 master weights (CUDA only)"},
      {"channels_last", "auto",
       "channels-last (NHWC) memory format for activations and conv weights: true, false, or auto (measured at "
       "job start on this machine for this model and shape, cached; worker/autotune.h)"},
      {"adam_impl", "foreach",
       "Adam's implementation: for_loop, foreach (multi-tensor kernels; bitwise equal to for_loop on the CPU) or "
       "fused (CUDA, LibTorch >= 2.0)"},
      {"cuda_graph", "false", "CUDA: capture forward + backward once and replay it as a CUDA graph"},
      {"flush_denormal", "true",
       "CPU: flush subnormal floats (|x| < 1.2e-38) to zero, ~100x faster arithmetic where they occur (UrbanODE)"},
      {"grad_overlap", "true", "data-parallel: all-reduce gradient buckets while backward runs (false: after it)"},
      {"grad_bucket_mb", "4", "data-parallel: gradient bucket size in MB for the overlapped all-reduce"},
      {"recipe", "", "apply the model's named recipe (e.g. reference) under the user's keys"},
  };
  return specs;
}

namespace {

bool is_train_key(const std::string& key) {
  for (const auto& s : train_param_specs())
    if (s.key == key) return true;
  return false;
}

TrainConfig parse_train(const Config& c, std::uint64_t seed) {
  TrainConfig t;
  t.epochs = c.get_int("epochs", t.epochs);
  t.batch_size = c.get_int("batch_size", t.batch_size);
  t.eval_batch_size = c.get_int("eval_batch_size", t.eval_batch_size);
  t.lr = c.get_double("lr", t.lr);
  t.lr_halve_every = c.get_int("lr_halve_every", t.lr_halve_every);
  t.lr_schedule = c.get_string("lr_schedule", t.lr_schedule);
  t.adam_beta1 = c.get_double("adam_beta1", t.adam_beta1);
  t.adam_beta2 = c.get_double("adam_beta2", t.adam_beta2);
  t.weight_decay = c.get_double("weight_decay", t.weight_decay);
  t.grad_clip = c.get_double("grad_clip", t.grad_clip);
  t.diverge_factor = c.get_double("diverge_factor", t.diverge_factor);
  t.sync_batchnorm = c.get_string("sync_batchnorm", t.sync_batchnorm);
  t.loss = c.get_string("loss", t.loss);
  t.patience = c.get_int("patience", t.patience);
  t.scaler_x = c.get_double("scaler_x", t.scaler_x);
  t.scaler_y = c.get_double("scaler_y", t.scaler_y);
  t.scaling = c.get_string("scaling", t.scaling);
  t.split = c.get_string("split", t.split);
  t.threads = c.get_int("threads", t.threads);
  t.device = c.get_string("device", t.device);
  t.bf16 = c.get_bool("bf16", t.bf16);
  if (c.has("channels_last") && c.get_string("channels_last") != "auto") {
    t.channels_last = c.get_bool("channels_last");
    t.channels_last_auto = false;
  }
  t.adam_impl = c.get_string("adam_impl", t.adam_impl);
  t.cuda_graph = c.get_bool("cuda_graph", t.cuda_graph);
  t.flush_denormal = c.get_bool("flush_denormal", t.flush_denormal);
  t.grad_overlap = c.get_bool("grad_overlap", t.grad_overlap);
  t.grad_bucket_mb = c.get_double("grad_bucket_mb", t.grad_bucket_mb);
  t.recipe = c.get_string("recipe", t.recipe);
  t.seed = seed;

  auto positive = [](std::int64_t v, const char* key) {
    FUFI_CHECK(v > 0, UsageError, "key '{}': must be positive, got {}", key, v);
  };
  FUFI_CHECK(t.epochs >= 0, UsageError, "key 'epochs': must be >= 0, got {}", t.epochs);
  positive(t.batch_size, "batch_size");
  positive(t.eval_batch_size, "eval_batch_size");
  FUFI_CHECK(t.lr > 0, UsageError, "key 'lr': must be positive, got {}", t.lr);
  FUFI_CHECK(t.lr_halve_every >= 0, UsageError, "key 'lr_halve_every': must be >= 0");
  FUFI_CHECK(t.lr_schedule == "halving" || t.lr_schedule == "uno", UsageError,
             "key 'lr_schedule': unknown schedule '{}'{} (halving, uno)", t.lr_schedule,
             did_you_mean(t.lr_schedule, {"halving", "uno"}));
  FUFI_CHECK(t.adam_beta1 >= 0 && t.adam_beta1 < 1 && t.adam_beta2 >= 0 && t.adam_beta2 < 1, UsageError,
             "keys 'adam_beta1'/'adam_beta2': must be in [0, 1)");
  FUFI_CHECK(t.patience >= 0, UsageError, "key 'patience': must be >= 0");
  FUFI_CHECK(t.scaler_x > 0 && t.scaler_y > 0, UsageError, "keys 'scaler_x'/'scaler_y': must be positive");
  FUFI_CHECK(t.scaling == "fixed" || t.scaling == "train_max", UsageError,
             "key 'scaling': unknown scaling '{}'{} (fixed, train_max)", t.scaling,
             did_you_mean(t.scaling, {"fixed", "train_max"}));
  FUFI_CHECK(t.scaling == "fixed" || (!c.has("scaler_x") && !c.has("scaler_y")), UsageError,
             "key 'scaling': train_max fits scaler_x and scaler_y itself; do not set them as well");
  FUFI_CHECK(t.split == "release" || t.split == "7:1:2", UsageError, "key 'split': unknown split '{}' (release, 7:1:2)",
             t.split);
  // More threads than cores x 4 only oversubscribes the machine (threads=100000 hung creating them); the
  // limit is this machine's, where the plan and the run are checked.
  const std::int64_t max_threads = 4 * static_cast<std::int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  FUFI_CHECK(t.threads >= 0 && t.threads <= max_threads, UsageError,
             "key 'threads': must be in [0, {}] (0: all cores; at most 4 x this machine's cores), got {}", max_threads,
             t.threads);
  FUFI_CHECK(t.diverge_factor >= 0, UsageError,
             "key 'diverge_factor': must be >= 0 (0: off), got {}", t.diverge_factor);
  FUFI_CHECK(t.sync_batchnorm == "auto" || t.sync_batchnorm == "off", UsageError,
             "key 'sync_batchnorm': unknown value '{}'{} (auto, off)", t.sync_batchnorm,
             did_you_mean(t.sync_batchnorm, {"auto", "off"}));
  FUFI_CHECK(t.grad_bucket_mb > 0 && t.grad_bucket_mb <= 4096, UsageError,
             "key 'grad_bucket_mb': must be in (0, 4096], got {}", t.grad_bucket_mb);
  FUFI_CHECK(t.grad_clip >= 0 && t.weight_decay >= 0, UsageError, "keys 'grad_clip'/'weight_decay': must be >= 0");
  cuda_index_of(t.device);  // validates cpu | cuda | cuda:K with K an index
  const bool cuda = is_cuda_device_name(t.device);
  FUFI_CHECK(!t.bf16 || cuda, UsageError, "key 'bf16': bf16 autocast needs device=cuda");
  FUFI_CHECK(!t.cuda_graph || cuda, UsageError, "key 'cuda_graph': CUDA graphs need device=cuda");
  const AdamImpl adam = parse_adam_impl(t.adam_impl);
  FUFI_CHECK(adam != AdamImpl::Fused || cuda, UsageError, "key 'adam_impl': fused needs device=cuda");
  return t;
}

}  // namespace

const std::vector<std::string>& execution_only_keys() {
  // Not here on purpose: batch_size (the optimisation itself), bf16 and channels_last (other kernels and,
  // for bf16, other precision: they change the numbers beyond rounding order).
  // adam_impl and cuda_graph run the same arithmetic with other kernels (foreach is bitwise for_loop on the
  // CPU; tests/worker/test_adam.cpp), so they are how a job runs, like the thread count.
  // sync_batchnorm makes a group of ranks compute what one rank does (the rank count is how a job runs);
  // diverge_factor only decides when a run is given up, never what a finished run computed.
  // flush_denormal changes only values below float's normal range (|x| < 1.2e-38), which Adam's eps makes
  // irrelevant to every update: how fast a job runs, not what it learns.
  static const std::vector<std::string> keys{"threads",    "device",         "grad_overlap",  "grad_bucket_mb",
                                             "eval_batch_size", "adam_impl", "cuda_graph", "sync_batchnorm",
                                             "diverge_factor", "flush_denormal"};
  return keys;
}

bool is_execution_only_key(const std::string& key) {
  for (const auto& k : execution_only_keys())
    if (k == key) return true;
  return false;
}

Config checkpoint_identity(const Config& resolved) {
  Config out;
  for (const auto& [k, v] : resolved.items())
    if (!is_execution_only_key(k)) out.set(k, v, resolved.source_of(k));
  return out;
}

// The name of the recipe that holds a model's own defaults for engine keys (ModelInfo::recipes).
constexpr const char* kModelDefaultsRecipe = "defaults";

JobSettings resolve_job_settings(const std::string& model_name, const Config& user, std::uint64_t seed) {
  const auto& info = model::ModelRegistry::instance().get(model_name);

  // Layers, lowest first: the engine defaults; the model's own defaults for engine keys (its recipe named
  // "defaults": choices the paper leaves open, made by measurement on validation data, docs/FIDELITY.md); the
  // named recipe; the user's keys.
  Config merged;
  if (auto own = info.recipes.find(kModelDefaultsRecipe); own != info.recipes.end()) {
    merged = own->second;
    // Fixed scalers set above this layer mean fixed scaling: the model's default scaling yields to them.
    const Config& named = user.has("recipe") && info.recipes.count(user.get_string("recipe"))
                              ? info.recipes.at(user.get_string("recipe"))
                              : Config{};
    const auto sets = [&](const std::string& k) { return user.has(k) || named.has(k); };
    if ((sets("scaler_x") || sets("scaler_y")) && !sets("scaling")) merged.erase("scaling");
  }
  const std::string recipe = user.get_string("recipe", "");
  if (!recipe.empty()) {
    auto it = info.recipes.find(recipe);
    if (it == info.recipes.end()) {
      std::vector<std::string> names;
      for (const auto& [n, c] : info.recipes) names.push_back(n);
      FUFI_THROW(UsageError, "key 'recipe': model '{}' has no recipe '{}'{}; its recipes: {}", model_name, recipe,
                 did_you_mean(recipe, names), names.empty() ? "none" : join(names, ", "));
    }
    merged = merged.merged_with(it->second);
  }
  merged = merged.merged_with(user);

  Config train_keys, loss_keys, model_keys;
  for (const auto& [key, value] : merged.items()) {
    const auto source = merged.source_of(key);
    if (is_train_key(key)) {
      train_keys.set(key, value, source);
    } else if (key.rfind("loss_", 0) == 0) {
      loss_keys.set(key, value, source);
    } else {
      model_keys.set(key, value, source);
    }
  }
  // Unknown keys: neither the engine's, a loss's nor the model's. Name all three sets in the error.
  std::vector<std::string> known = info.keys();
  for (const auto& s : train_param_specs()) known.push_back(s.key);
  model_keys.check_known(known, "model '" + model_name + "' or training");

  JobSettings s;
  s.train = parse_train(train_keys, seed);
  s.model = model::ModelRegistry::instance().resolve(model_name, model_keys);
  s.loss = loss_keys;
  if (s.train.loss != "model") {
    // Validates the loss name and its keys now, before any data is loaded.
    model::make_loss(s.train.loss, s.loss, s.train.scaler_y);
  } else {
    FUFI_CHECK(s.loss.empty(), UsageError, "loss=model takes no loss_* keys (got {})", s.loss.canonical());
  }

  // The resolved configuration: every engine key with its value, the model's keys, the loss keys, the seed.
  Config resolved;
  for (const auto& spec : train_param_specs()) resolved.set(spec.key, train_keys.get_string(spec.key, spec.default_value));
  for (const auto& [k, v] : s.model.items()) resolved.set(k, v);
  for (const auto& [k, v] : s.loss.items()) resolved.set(k, v);
  // The model's identity, not only its name: for a TorchScript model it names the file's SHA-256, so a changed
  // file is another job (sweep ids hash this) and its checkpoints are not resumed (resume_or_init compares it).
  resolved.set("model", model::ModelRegistry::instance().identity(model_name));
  resolved.set("seed", std::to_string(seed));
  s.resolved = resolved;
  return s;
}

double learning_rate_at(const TrainConfig& c, std::int64_t epoch) {
  if (c.lr_schedule == "uno") {
    // UNO's reference: StepLR-like halvings applied at epochs 0, 20 and 40, then x0.8 per epoch from 50.
    double lr = c.lr * 0.5;
    if (epoch >= 20) lr *= 0.5;
    if (epoch >= 40) lr *= 0.5;
    if (epoch >= 50) lr *= std::pow(0.8, static_cast<double>(epoch - 49));
    return lr;
  }
  if (c.lr_halve_every <= 0) return c.lr;
  return c.lr * std::pow(0.5, static_cast<double>(epoch / c.lr_halve_every));
}

}  // namespace fufi::worker
