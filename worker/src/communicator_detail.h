#pragma once
// Internal to the communicator backends (communicator.cpp, communicator_nccl.cpp).
#include <mpi.h>
#include <torch/torch.h>

#include <string>

#include "fufi/worker/communicator.h"

namespace fufi::worker::detail {

// Keeps `buffer` alive until the process exits: an abandoned collective (its PendingReduction destroyed
// before wait(), e.g. while an exception unwinds) may still write into it, so it must never be freed.
void keep_alive_forever(torch::Tensor buffer);

// Rank `root`'s text on every rank of `comm` (length, then bytes).
void broadcast_text(MPI_Comm comm, std::string& text, int root);

// A reduction that completed when it was started (one rank, or nothing to reduce).
class CompletedReduction : public PendingReduction {
 public:
  void wait() override {}
  bool test() override { return true; }
};

}  // namespace fufi::worker::detail
