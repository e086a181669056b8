#include "fufi/worker/checkpoint.h"

#include <filesystem>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fufi/core/atomic_file.h"
#include "fufi/core/error.h"
#include "fufi/core/version.h"
#include "fufi/model/registry.h"

namespace fufi::worker {

namespace {

constexpr const char* kMetaKey = "fufi_meta";
constexpr const char* kFormat = "fufi-checkpoint-1";

nlohmann::json config_json(const Config& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : c.items()) j[k] = v;
  return j;
}

Config config_from_json(const nlohmann::json& j) {
  Config c;
  for (auto it = j.begin(); it != j.end(); ++it) c.set(it.key(), it.value().get<std::string>());
  return c;
}

std::string meta_to_json(const CheckpointMeta& m) {
  const auto& s = m.spec;
  nlohmann::json j{{"format", kFormat},
                   {"model", m.model},
                   {"model_config", config_json(m.model_config)},
                   {"job_config", config_json(m.job_config)},
                   {"spec",
                    {{"channels", s.flow_channels},
                     {"coarse_h", s.coarse_h},
                     {"coarse_w", s.coarse_w},
                     {"upscale", s.upscale},
                     {"ext_dim", s.ext_dim},
                     {"scaler_ratio", s.scaler_ratio},
                     {"hour_offset", s.hour_offset},
                     {"hour_slots", s.hour_slots}}},
                   {"scaler_x", m.scaler_x},
                   {"scaler_y", m.scaler_y},
                   {"epoch", m.epoch},
                   {"best_epoch", m.best_epoch},
                   {"best_valid_mse", m.best_valid_mse},
                   {"epochs_since_best", m.epochs_since_best},
                   {"train_seconds", m.train_seconds},
                   {"lowest_train_loss", m.lowest_train_loss},
                   {"fufi_version", m.fufi_version}};
  return j.dump();
}

CheckpointMeta meta_from_json(const std::string& text, const std::string& path) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || j.value("format", "") != kFormat)
    FUFI_THROW(InputError, "{}: not a fufi checkpoint (metadata missing or of another format)", path);
  try {
    CheckpointMeta m;
    m.model = j.at("model").get<std::string>();
    m.model_config = config_from_json(j.at("model_config"));
    m.job_config = config_from_json(j.at("job_config"));
    const auto& s = j.at("spec");
    m.spec.flow_channels = s.at("channels");
    m.spec.coarse_h = s.at("coarse_h");
    m.spec.coarse_w = s.at("coarse_w");
    m.spec.upscale = s.at("upscale");
    m.spec.ext_dim = s.at("ext_dim");
    m.spec.scaler_ratio = s.at("scaler_ratio");
    m.spec.hour_offset = s.at("hour_offset");
    m.spec.hour_slots = s.at("hour_slots");
    m.scaler_x = j.at("scaler_x");
    m.scaler_y = j.at("scaler_y");
    m.epoch = j.at("epoch");
    m.best_epoch = j.at("best_epoch");
    m.best_valid_mse = j.at("best_valid_mse");
    m.epochs_since_best = j.at("epochs_since_best");
    m.train_seconds = j.at("train_seconds");
    m.lowest_train_loss = j.value("lowest_train_loss", 0.0);  // absent in checkpoints of older builds
    m.fufi_version = j.at("fufi_version");
    return m;
  } catch (const nlohmann::json::exception& e) {
    FUFI_THROW(InputError, "{}: corrupt checkpoint metadata: {}", path, e.what());
  }
}

torch::serialize::InputArchive open_archive(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) FUFI_THROW(InputError, "{}: checkpoint does not exist", path);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    FUFI_THROW(InputError, "{}: not a readable checkpoint ({})", path,
               std::string(e.what()).substr(0, std::string(e.what()).find('\n')));
  }
  return archive;
}

}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const CheckpointMeta& meta) {
  torch::serialize::OutputArchive archive;
  CheckpointMeta m = meta;
  m.fufi_version = version();
  archive.write(kMetaKey, c10::IValue(meta_to_json(m)));
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    // Dropout masks come from torch's CPU generator: resuming must continue its stream.
    archive.write("rng_cpu", at::detail::getDefaultCPUGenerator().get_state());
  }
  // Serialized in memory, then written by the one atomic writer: torch's file writer throws from its
  // destructor when the disk is full, which ends the process (std::terminate) instead of failing the job.
  std::ostringstream bytes(std::ios::binary);
  archive.save_to(bytes);
  write_file_atomically(path, bytes.str());
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  auto archive = open_archive(path);
  c10::IValue meta;
  if (!archive.try_read(kMetaKey, meta) || !meta.isString())
    FUFI_THROW(InputError, "{}: not a fufi checkpoint (no metadata)", path);
  return meta_from_json(meta.toStringRef(), path);
}

void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  auto archive = open_archive(path);
  torch::serialize::InputArchive model_archive;
  if (!archive.try_read("model", model_archive)) FUFI_THROW(InputError, "{}: checkpoint has no model weights", path);
  try {
    model.load(model_archive);
    if (optimizer) {
      torch::serialize::InputArchive optimizer_archive;
      if (!archive.try_read("optimizer", optimizer_archive))
        FUFI_THROW(InputError, "{}: checkpoint has no optimizer state (an inference-only checkpoint?)", path);
      optimizer->load(optimizer_archive);
      torch::Tensor rng;
      if (archive.try_read("rng_cpu", rng)) {
        at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle to the global generator
        std::lock_guard<std::mutex> lock(generator.mutex());
        generator.set_state(rng);
      }
    }
  } catch (const c10::Error& e) {
    FUFI_THROW(InputError, "{}: checkpoint does not match the model ({})", path,
               std::string(e.what()).substr(0, std::string(e.what()).find('\n')));
  }
}

std::shared_ptr<model::FufiModel> load_model_from_checkpoint(const std::string& path, CheckpointMeta* meta_out) {
  CheckpointMeta meta = read_checkpoint_meta(path);
  // The resolved "model" key is the model's identity (train_config.cpp): for a TorchScript model it pins the
  // file's SHA-256, so a file changed since training is an error naming it, not a silently different model.
  const std::string identity = meta.job_config.get_string("model", meta.model);
  auto m = model::ModelRegistry::instance().create(identity, meta.spec, meta.model_config);
  load_checkpoint(path, *m, nullptr);
  if (meta_out) *meta_out = meta;
  return m;
}

}  // namespace fufi::worker
