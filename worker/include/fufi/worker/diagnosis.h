#pragma once
// `fufi train --diagnose FILE`: what happens inside the first steps of a run and inside any step whose loss
// jumps (docs/FIDELITY.md). One JSON object per selected step, appended to FILE:
//   {"epoch", "step", "global_step", "reason": "first"|"jump", "loss", "lr",
//    "grad_norm": {module: L2 norm of its parameters' gradients}, "probe": {statistic: value}}
// where the modules are the parameters' names cut after two components ("blocks.0", "context.attention"), and
// the probe holds what the model's layers report (model/probe.h): activation scales per stage, the share of
// zero units before N2, the smallest block sums N2 divides by, attention entropies.
// Diagnosis reads values back every step (host syncs) and runs attention twice for its weights: it is for
// understanding a run, not for timing it; the trained numbers are those of a run without it.
#include <cstdint>
#include <fstream>
#include <string>

#include <torch/torch.h>

#include "fufi/model/probe.h"

namespace fufi::worker {

class StepDiagnosis {
 public:
  // Records steps 0..first_steps-1 of the run and every later step whose loss exceeds jump_factor times the
  // moving average of the steps before it. InputError naming `path` when it cannot be opened.
  StepDiagnosis(const std::string& path, std::int64_t first_steps = 20, double jump_factor = 2.0);

  // Active around the step's forward pass.
  model::Probe& probe() { return probe_; }
  // After the step (gradients still in .grad): writes the line when the step is selected, then clears the probe.
  void record(std::int64_t epoch, std::int64_t step, double loss, double lr, const torch::nn::Module& model);
  std::int64_t lines_written() const { return lines_; }

 private:
  std::string path_;
  std::int64_t first_steps_;
  double jump_factor_;
  model::Probe probe_;
  std::int64_t global_step_ = 0, lines_ = 0;
  double average_ = 0;  // exponential moving average of the loss (factor 0.9)
};

}  // namespace fufi::worker
