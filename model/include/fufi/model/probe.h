#pragma once
// Diagnostics of a forward pass (`fufi train --diagnose FILE`, docs/FIDELITY.md): layers and models report
// named statistics (activation scales, the share of zero units before N2, the smallest block sums N2 divides
// by, attention entropies) to the probe active on this thread. With no probe active nothing is computed, so
// the statistics cost nothing in normal training. A probe reads values back to the host: it synchronises
// with the device, which is why only diagnosis turns it on.
#include <torch/torch.h>

#include <map>
#include <string>

namespace fufi::model {

class Probe {
 public:
  // name -> value; a name recorded twice in one pass keeps the extreme the statistic asks for (see below).
  const std::map<std::string, double>& values() const { return values_; }
  void clear() { values_.clear(); }
  void set(const std::string& name, double value) { values_[name] = value; }
  void keep_min(const std::string& name, double value);
  void keep_max(const std::string& name, double value);

 private:
  std::map<std::string, double> values_;
};

// Makes `probe` the active probe of this thread for the scope's lifetime (nesting restores the previous one).
class ProbeScope {
 public:
  explicit ProbeScope(Probe& probe);
  ~ProbeScope();
  ProbeScope(const ProbeScope&) = delete;
  ProbeScope& operator=(const ProbeScope&) = delete;

 private:
  Probe* previous_;
};

// The active probe, or null.
Probe* active_probe();

// Recording helpers; each is a no-op without an active probe. `prefix` names the site ("n2", "plgf.block0").
// Root mean square of a tensor: the scale of an activation.
void probe_scale(const std::string& name, const torch::Tensor& x);
// What N2 normalisation divides by: the share of zero cells of the raw (non-negative) map, and the smallest
// block sum (min over blocks, kept over several calls in one pass). `raw` (B,C,H,W).
void probe_n2_input(const torch::Tensor& raw, std::int64_t upscale);
// Mean entropy (nats) of attention weights whose last dimension is a distribution; also its maximum, log(keys).
void probe_attention(const std::string& name, const torch::Tensor& weights);

}  // namespace fufi::model
