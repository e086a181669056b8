#pragma once
// SyncBatchNorm for data-parallel jobs: the BatchNorm layers of a model (model::BatchNorm2d) normalise their
// training batches with the statistics of the whole group's global batch, as PyTorch's SyncBatchNorm does under
// DDP, so that R ranks x 1/R of each batch train what one rank with the whole batch trains.
//
// Forward all-reduces each channel's sum, sum of squares and count (float64) through the group's Communicator;
// backward all-reduces the two gradient sums (sum of dy and of dy * (x - mean)) that every rank's input gradient
// needs. Running statistics are updated from the global mean and the unbiased global variance (momentum, or
// the cumulative average without one), identically on every rank. Eval mode uses the running statistics and
// communicates nothing.
//
// Collectives: every rank must run the same forward and backward (the same layers in the same order). A rank
// without samples in a step runs a stand-in sample with set_contributing(false): its layers join the
// collectives and add nothing (training_step.h's StepInput::stand_in). A rank that throws inside forward
// between two BatchNorm layers leaves the others in that layer's all-reduce: data checks that may fail on one
// rank belong at load time (the engine checks the hours of every split before training).
#include <cstddef>
#include <memory>
#include <string>

#include "fufi/worker/communicator.h"

namespace fufi::model {
class FufiModel;
}

namespace fufi::worker {

class SyncBatchNorm {
 public:
  // Installs itself on every model::BatchNorm2d of `model` (removed again by the destructor). RuntimeError
  // when `model` holds a torch::nn::BatchNorm2d that is not a model::BatchNorm2d (it could not be synced).
  SyncBatchNorm(torch::nn::Module& model, Communicator& group);
  ~SyncBatchNorm();
  SyncBatchNorm(const SyncBatchNorm&) = delete;
  SyncBatchNorm& operator=(const SyncBatchNorm&) = delete;

  std::size_t layers() const { return layers_; }
  // false: this rank's forward passes add nothing to the statistics (a stand-in sample); true by default.
  void set_contributing(bool contributing);

  struct State;

 private:
  torch::nn::Module& model_;
  std::shared_ptr<State> state_;
  std::size_t layers_ = 0;
};

// BatchNorm layers of `model`: model::BatchNorm2d and plain torch BatchNorm{1,2,3}d alike.
std::size_t count_batch_norm_layers(torch::nn::Module& model);

// `mode` is the training key sync_batchnorm: "auto" gives a SyncBatchNorm when the group has more than one rank
// and the model has BatchNorm layers; "off", or nothing to sync, gives null.
std::unique_ptr<SyncBatchNorm> make_sync_batch_norm(torch::nn::Module& model, Communicator& group,
                                                    const std::string& mode);

}  // namespace fufi::worker
