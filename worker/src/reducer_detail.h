#pragma once
// Internal to the reducer backends (reducer.cpp, reducer_nccl.cpp).
#include <torch/torch.h>

#include "fufi/worker/reducer.h"

namespace fufi::worker::detail {

// Keeps `buffer` alive until the process exits: an abandoned collective (its PendingReduction destroyed
// before wait(), e.g. while an exception unwinds) may still write into it, so it must never be freed.
void keep_alive_forever(torch::Tensor buffer);

// A reduction that completed when it was started (one rank, or nothing to reduce).
class CompletedReduction : public PendingReduction {
 public:
  void wait() override {}
  bool test() override { return true; }
};

}  // namespace fufi::worker::detail
