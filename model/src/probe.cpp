#include "fufi/model/probe.h"

#include <algorithm>
#include <cmath>

#include "fufi/model/layers.h"

namespace fufi::model {

namespace {
thread_local Probe* g_active = nullptr;
}  // namespace

void Probe::keep_min(const std::string& name, double value) {
  auto it = values_.find(name);
  if (it == values_.end() || value < it->second) values_[name] = value;
}

void Probe::keep_max(const std::string& name, double value) {
  auto it = values_.find(name);
  if (it == values_.end() || value > it->second) values_[name] = value;
}

ProbeScope::ProbeScope(Probe& probe) : previous_(g_active) { g_active = &probe; }
ProbeScope::~ProbeScope() { g_active = previous_; }

Probe* active_probe() { return g_active; }

void probe_scale(const std::string& name, const torch::Tensor& x) {
  if (!g_active) return;
  torch::NoGradGuard no_grad;
  g_active->set(name + ".rms", x.detach().to(torch::kFloat64).square().mean().sqrt().item<double>());
}

void probe_n2_input(const torch::Tensor& raw, std::int64_t upscale) {
  if (!g_active) return;
  torch::NoGradGuard no_grad;
  auto r = raw.detach().to(torch::kFloat64);
  g_active->keep_max("n2.zero_fraction", r.le(0).to(torch::kFloat64).mean().item<double>());
  auto sums = block_sum(r, upscale);
  g_active->keep_min("n2.min_block_sum", sums.min().item<double>());
  // Blocks N2 divides by (nearly) nothing: their cells are pure smoothing, or blow up without it.
  g_active->keep_max("n2.blocks_below_1e-3", sums.lt(1e-3).to(torch::kFloat64).mean().item<double>());
}

void probe_attention(const std::string& name, const torch::Tensor& weights) {
  if (!g_active) return;
  torch::NoGradGuard no_grad;
  auto w = weights.detach().to(torch::kFloat64).clamp_min(1e-30);
  const double entropy = (-(w * w.log()).sum(-1)).mean().item<double>();
  g_active->set(name + ".entropy", entropy);
  g_active->set(name + ".max_entropy", std::log(static_cast<double>(weights.size(-1))));
}

}  // namespace fufi::model
