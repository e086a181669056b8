#pragma once
// Where a step's time goes, by operator: the ATen operators that the dispatcher records (at::RecordFunction,
// the mechanism torch.profiler uses too), each with its *self* time (its own time minus the operators it
// called), summed over the profiled steps. Used by `fufi bench train|infer --profile` to name the kernel that
// holds a model back and its share of the step (docs/PERFORMANCE.md, issue #17).
//
// Times are wall clock on the thread that called the operator: an operator's intra-op parallel region counts
// once, in the operator that opened it. Observation costs about a microsecond per operator; the profiled
// steps are timed separately from the benchmark's own.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fufi::bench {

struct OpShare {
  std::string name;     // "aten::mkldnn_convolution", "autograd::engine::evaluate_function: ConvolutionBackward0", ...
  double self_ms = 0;   // per profiled step
  std::int64_t calls = 0;  // per profiled step (rounded)
  double share = 0;     // self_ms / the step's wall time
};

class OpProfile {
 public:
  // Starts observing every operator on every thread (a global RecordFunction callback).
  OpProfile();
  ~OpProfile();  // stops observing
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  // The operators by self time, largest first, `top` of them; `steps` profiled steps took `step_ms` each
  // (wall clock): self_ms and calls are per step, share is self_ms / step_ms.
  std::vector<OpShare> top(std::size_t top, std::int64_t steps, double step_ms) const;

  // Called by the callbacks (public for them; not for users).
  void add(const std::string& name, double self_us);

 private:
  std::uint64_t handle_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<double, std::int64_t>> self_us_;  // name -> (self microseconds, calls)
};

// A Markdown table of `shares` (operator, self ms per step, share of the step, calls per step), and the share
// of the step that no recorded operator accounts for (framework overhead outside operators).
std::string to_table(const std::vector<OpShare>& shares, double step_ms);

}  // namespace fufi::bench
