#include "fufi/worker/adam.h"

#include <cmath>
#include <sstream>
#include <type_traits>
#include <vector>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"

namespace fufi::worker {

AdamImpl parse_adam_impl(const std::string& text, const std::string& key) {
  if (text == "for_loop") return AdamImpl::ForLoop;
  if (text == "foreach") return AdamImpl::Foreach;
  if (text == "fused") return AdamImpl::Fused;
  FUFI_THROW(UsageError, "key '{}': unknown Adam implementation '{}'{} (for_loop, foreach, fused)", key, text,
             did_you_mean(text, {"for_loop", "foreach", "fused"}));
}

const char* to_string(AdamImpl impl) {
  switch (impl) {
    case AdamImpl::ForLoop: return "for_loop";
    case AdamImpl::Foreach: return "foreach";
    case AdamImpl::Fused: return "fused";
  }
  return "?";
}

namespace {

// LibTorch keys an optimizer's per-parameter state by the parameter's TensorImpl: as its address printed to
// a string up to 1.13, as the pointer itself from 2.0 on. Both spellings, chosen by the map's key type.
template <typename Key>
Key state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream os;  // what c10::guts::to_string(ptr) produces
    os << static_cast<const void*>(p.unsafeGetTensorImpl());
    return os.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

// The parameter's Adam state, created as LibTorch's Adam::step creates it on first use.
torch::optim::AdamParamState& state_of(torch::optim::Adam& optimizer, const torch::Tensor& p) {
  auto& states = optimizer.state();
  using Key = typename std::decay_t<decltype(states)>::key_type;
  const Key key = state_key<Key>(p);
  auto it = states.find(key);
  if (it == states.end()) {
    auto state = std::make_unique<torch::optim::AdamParamState>();
    state->step(0);
    state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    it = states.emplace(key, std::move(state)).first;
  }
  return static_cast<torch::optim::AdamParamState&>(*it->second);
}

// The parameters of one group that take part in this step, grouped by their step count (equal for all in
// practice; a parameter that missed steps while it had no gradient keeps its own bias correction).
struct StepGroup {
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs;
  std::vector<torch::optim::AdamParamState*> states;
};

std::map<std::int64_t, StepGroup> collect(torch::optim::Adam& optimizer, torch::optim::OptimizerParamGroup& group) {
  const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
  FUFI_CHECK(!options.amsgrad(), UsageError, "adam_impl: amsgrad is only supported by for_loop");
  std::map<std::int64_t, StepGroup> by_step;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    auto& state = state_of(optimizer, p);
    auto& g = by_step[state.step()];
    g.params.push_back(p);
    g.grads.push_back(p.grad());
    g.exp_avgs.push_back(state.exp_avg());
    g.exp_avg_sqs.push_back(state.exp_avg_sq());
    g.states.push_back(&state);
  }
  return by_step;
}

}  // namespace

void AdamStepper::step(torch::optim::Adam& optimizer) {
  switch (impl_) {
    case AdamImpl::ForLoop: optimizer.step(); return;
    case AdamImpl::Foreach: foreach_step(optimizer); return;
    case AdamImpl::Fused: fused_step(optimizer); return;
  }
}

void AdamStepper::foreach_step(torch::optim::Adam& optimizer) {
  torch::NoGradGuard no_grad;
  for (auto& group : optimizer.param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    const double beta1 = std::get<0>(options.betas()), beta2 = std::get<1>(options.betas());
    for (auto& [previous_step, g] : collect(optimizer, group)) {
      const std::int64_t step = previous_step + 1;
      for (auto* s : g.states) s->step(step);
      // Exactly LibTorch's Adam::step, op for op (torch/csrc/api/src/optim/adam.cpp).
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
      std::vector<torch::Tensor> grads = g.grads;
      if (options.weight_decay() != 0) grads = at::_foreach_add(grads, g.params, options.weight_decay());
      at::_foreach_mul_(g.exp_avgs, beta1);
      at::_foreach_add_(g.exp_avgs, grads, 1 - beta1);
      at::_foreach_mul_(g.exp_avg_sqs, beta2);
      at::_foreach_addcmul_(g.exp_avg_sqs, grads, grads, 1 - beta2);
      auto denom = at::_foreach_sqrt(g.exp_avg_sqs);
      at::_foreach_div_(denom, std::sqrt(bias_correction2));
      at::_foreach_add_(denom, options.eps());
      at::_foreach_addcdiv_(g.params, g.exp_avgs, denom, -options.lr() / bias_correction1);
    }
  }
}

void AdamStepper::fused_step(torch::optim::Adam& optimizer) {
#if TORCH_VERSION_MAJOR >= 2
  torch::NoGradGuard no_grad;
  for (auto& group : optimizer.param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    for (auto& [previous_step, g] : collect(optimizer, group)) {
      std::vector<torch::Tensor> steps;
      for (std::size_t i = 0; i < g.params.size(); ++i) {
        FUFI_CHECK(g.params[i].is_cuda(), UsageError, "adam_impl=fused: needs CUDA parameters (device=cuda)");
        auto& d = device_steps_[g.params[i].unsafeGetTensorImpl()];
        // (Re)made from the optimizer's own count: first use, or after a checkpoint was loaded into it.
        if (!d.count.defined() || d.host != previous_step)
          d.count = torch::full({}, static_cast<double>(previous_step),
                                torch::TensorOptions().dtype(torch::kFloat32).device(g.params[i].device()));
        d.host = previous_step + 1;
        auto& t = d.count;
        steps.push_back(t);
        g.states[i]->step(previous_step + 1);
      }
      at::_foreach_add_(steps, 1.0);  // the kernel reads the incremented count, as torch.optim.Adam does
      at::_fused_adam_(g.params, g.grads, g.exp_avgs, g.exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, options.lr(),
                       std::get<0>(options.betas()), std::get<1>(options.betas()), options.weight_decay(),
                       options.eps(), /*amsgrad=*/false, /*maximize=*/false);
    }
  }
#else
  (void)optimizer;
  FUFI_THROW(UsageError, "adam_impl=fused: needs a LibTorch >= 2.0 with CUDA (this one is {}.{})",
             TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR);
#endif
}

}  // namespace fufi::worker
