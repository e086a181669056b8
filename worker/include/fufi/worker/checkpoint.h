#pragma once
// Checkpoints: everything needed to resume a job to the same result it would have reached
// uninterrupted (model, optimizer, torch RNG, epoch, early-stopping state), and to apply a model with
// `fufi infer` (model name, config, data shape, scalers) without any other argument.
// Written atomically (fufi/core/atomic_file.h: temporary file, fsync, rename, fsync of the directory): a kill
// or a crash leaves the previous checkpoint intact.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "fufi/core/config.h"
#include "fufi/model/model.h"

namespace fufi::worker {

struct CheckpointMeta {
  std::string model;         // registry name
  Config model_config;       // the model's resolved keys
  Config job_config;         // the whole resolved job configuration (for provenance)
  model::DataSpec spec;      // the data shape the model was built for
  double scaler_x = 1.0, scaler_y = 1.0;
  std::int64_t epoch = -1;   // last finished epoch; -1: before training (fitted or untrained models)
  std::int64_t best_epoch = -1;
  double best_valid_mse = 0;  // valid only when best_epoch >= 0
  std::int64_t epochs_since_best = 0;
  double train_seconds = 0;  // summed epoch times so far (mean epoch time survives a resume)
  double lowest_train_loss = 0;  // the lowest epoch mean training loss so far; 0: none yet (diverge_factor)
  std::string fufi_version;
};

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const CheckpointMeta& meta);

// Reads only the metadata. InputError naming the file when it is not a fufi checkpoint.
CheckpointMeta read_checkpoint_meta(const std::string& path);

// Loads weights (and optimizer state and the torch CPU RNG state when `optimizer` is given) into
// modules built from the checkpoint's metadata.
void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer);

// Builds the model described by the checkpoint's metadata and loads its weights (for inference).
std::shared_ptr<model::FufiModel> load_model_from_checkpoint(const std::string& path, CheckpointMeta* meta = nullptr);

}  // namespace fufi::worker
