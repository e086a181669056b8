#pragma once
// The setup steps of worker::train_job (engine.cpp), private to the engine: threads, the job's data as
// tensors, the model/loss/optimizer, resuming from last.ckpt, and the memory format. Each is a named step so
// that train_job reads as the sequence it is (issue #13).
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "fufi/core/config.h"
#include "fufi/model/losses.h"
#include "fufi/model/model.h"
#include "fufi/worker/checkpoint.h"
#include "fufi/worker/communicator.h"
#include "fufi/worker/engine.h"
#include "fufi/worker/tensors.h"
#include "fufi/worker/train_config.h"

namespace fufi::worker::engine_detail {

// "key 'lr': 0.0003 in the checkpoint, 0.1 now; ..." for every key whose value differs.
std::string config_differences(const Config& saved, const Config& now);

// torch's CPU threads: `threads`, or the node's cores shared by the ranks on it.
void configure_threads(const TrainConfig& cfg);

// Validated, re-split when asked (split=7:1:2), scaled (fixed scalers, or fitted on the training split), and
// resident on the device. Fitted scalers are written back into `cfg`. InputError (bad_data) for bad files;
// the loader's warnings (ext columns outside 0..1, ...) go to *warnings, and job.strict_data refuses them.
TensorDataset load_split_tensors(const TrainJob& job, TrainConfig& cfg, const torch::Device& device,
                                 std::vector<std::string>* warnings);

// Models with one output head per training hour (CUFAR, UNO): InputError (bad_data) naming the split's file
// for a sample of any split whose hour lies outside the training split's hours.
void check_hours_against_heads(const TensorDataset& dataset, const model::DataSpec& spec, const model::FufiModel& m,
                               const TrainJob& job, const TrainConfig& cfg);

// Model, loss and optimizer, identical on every rank (same seed; rank 0's values are broadcast later).
struct Training {
  std::shared_ptr<model::FufiModel> model;
  std::shared_ptr<model::Loss> loss;  // null: the model's own objective (loss=model)
  std::vector<torch::Tensor> params;  // what the optimizer trains
  std::unique_ptr<torch::optim::Adam> optimizer;  // null: nothing to train (parameter-free or fitted)
};

Training build_training(const TrainJob& job, const JobSettings& settings, const model::DataSpec& spec,
                        const torch::Device& device);

// The checkpoint metadata of a job that starts from scratch.
CheckpointMeta fresh_meta(const TrainJob& job, const JobSettings& settings, const model::DataSpec& spec);

// Continues from RUN_DIR/last.ckpt when asked and present (refusing another configuration; an unreadable one
// is reported and not trusted): returns the checkpoint's state and sets *resumed. Local to each rank.
CheckpointMeta load_if_resuming(const TrainJob& job, const JobSettings& settings, const model::DataSpec& spec,
                                Training& t, bool* resumed);

// channels_last=auto: rank 0 measures (or finds in the cache) the faster memory format; every rank of the
// group uses its answer. Converts the model and records the choice in `result`.
void resolve_memory_format(const TrainJob& job, JobSettings& settings, const TensorDataset& dataset, Training& t,
                           Communicator& comm, RunResult& result);

}  // namespace fufi::worker::engine_detail
