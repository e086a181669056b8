#include "fufi/worker/sync_batch_norm.h"

#include <cmath>
#include <vector>

#include "fufi/core/error.h"
#include "fufi/model/batch_norm.h"

namespace fufi::worker {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct SyncBatchNorm::State {
  Communicator* group = nullptr;
  bool contributing = true;
};

namespace {

// Per-channel sums over (N, H, W) of a (N,C,H,W) tensor, as float64 host values.
std::vector<double> channel_sums(const torch::Tensor& t) {
  auto sums = t.to(torch::kFloat64).sum({0, 2, 3}).cpu().contiguous();
  return std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel());
}

// (C) float64 host values -> (1,C,1,1) tensor of `like`'s dtype and device.
torch::Tensor per_channel(const std::vector<double>& v, std::size_t offset, std::int64_t C, const torch::Tensor& like) {
  auto t = torch::from_blob(const_cast<double*>(v.data() + offset), {C}, torch::kFloat64).clone();
  return t.to(like.device(), like.scalar_type()).view({1, C, 1, 1});
}

// y = (x - mean) * invstd * weight + bias with mean and invstd of the group's batch. The state pointer travels
// as an integer because autograd's saved data holds IValues; the State outlives every step (it is owned by the
// SyncBatchNorm the engine keeps for the whole job).
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input, const torch::Tensor& weight,
                               const torch::Tensor& bias, model::BatchNorm2dImpl* layer, SyncBatchNorm::State* state) {
    FUFI_CHECK(input.dim() == 4, RuntimeError, "SyncBatchNorm: expected a (N,C,H,W) input, got {} dimensions",
               input.dim());
    const std::int64_t C = input.size(1);
    const bool contributing = state->contributing;
    // [sum (C), sum of squares (C), count]: one all-reduce.
    std::vector<double> stats(static_cast<std::size_t>(2 * C + 1), 0.0);
    if (contributing) {
      const auto x = input.detach();
      const auto s = channel_sums(x), q = channel_sums(x.to(torch::kFloat64) * x.to(torch::kFloat64));
      std::copy(s.begin(), s.end(), stats.begin());
      std::copy(q.begin(), q.end(), stats.begin() + C);
      stats.back() = static_cast<double>(input.numel() / std::max<std::int64_t>(C, 1));
    }
    state->group->allreduce_sum(stats);
    const double count = stats.back();
    FUFI_CHECK(count > 1, RuntimeError,
               "SyncBatchNorm: expected more than 1 value per channel in the group's batch, got {}", count);
    std::vector<double> mean_invstd(static_cast<std::size_t>(2 * C));
    const double eps = layer->options.eps();
    for (std::int64_t c = 0; c < C; ++c) {
      const double mean = stats[static_cast<std::size_t>(c)] / count;
      const double var = std::max(0.0, stats[static_cast<std::size_t>(C + c)] / count - mean * mean);
      mean_invstd[static_cast<std::size_t>(c)] = mean;
      mean_invstd[static_cast<std::size_t>(C + c)] = 1.0 / std::sqrt(var + eps);
      // From here on: the mean and the biased variance, what the running statistics are updated with.
      stats[static_cast<std::size_t>(c)] = mean;
      stats[static_cast<std::size_t>(C + c)] = var;
    }
    update_running_stats(*layer, stats, C, count);

    const auto mean = per_channel(mean_invstd, 0, C, input), invstd = per_channel(mean_invstd, C, C, input);
    auto out = (input - mean) * invstd;
    if (weight.defined()) out = out * weight.view({1, C, 1, 1}) + bias.view({1, C, 1, 1});
    ctx->save_for_backward({input, weight, mean, invstd});
    ctx->saved_data["count"] = count;
    ctx->saved_data["contributing"] = contributing;
    ctx->saved_data["state"] = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(state));
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &input = saved[0], weight = saved[1], mean = saved[2], invstd = saved[3];
    const double count = ctx->saved_data["count"].toDouble();
    auto* state = reinterpret_cast<SyncBatchNorm::State*>(static_cast<std::intptr_t>(ctx->saved_data["state"].toInt()));
    const auto dy = grad_outputs[0];
    const std::int64_t C = input.size(1);
    const auto xmu = input - mean;
    // This rank's sums; the weight and bias gradients stay local (the gradient all-reduce sums them).
    auto sums = channel_sums(dy);
    const auto sums_xmu = channel_sums(dy * xmu);
    sums.insert(sums.end(), sums_xmu.begin(), sums_xmu.end());
    const auto sum_dy = per_channel(sums, 0, C, input), sum_dy_xmu = per_channel(sums, C, C, input);
    torch::Tensor grad_weight, grad_bias;
    if (weight.defined()) {
      grad_weight = (sum_dy_xmu * invstd).view({C});
      grad_bias = sum_dy.view({C});
    }
    state->group->allreduce_sum(sums);
    const auto mean_dy = per_channel(sums, 0, C, input) / count;
    const auto mean_dy_xmu = per_channel(sums, C, C, input) / count;
    auto grad_input = (dy - mean_dy - xmu * invstd * invstd * mean_dy_xmu) * invstd;
    if (weight.defined()) grad_input = grad_input * weight.view({1, C, 1, 1});
    // A stand-in sample is not part of the batch: the other ranks' terms must not flow back through it (its own
    // dy is zero, but the mean terms are not).
    if (!ctx->saved_data["contributing"].toBool()) grad_input = torch::zeros_like(input);
    return {grad_input, grad_weight, grad_bias, torch::Tensor(), torch::Tensor()};
  }

  // As torch's BatchNorm: num_batches_tracked + 1; running = (1 - m) running + m batch, with m = momentum or
  // 1 / num_batches_tracked; the variance unbiased (count / (count - 1)), as PyTorch's SyncBatchNorm does.
  // `stats`: [mean (C), biased variance (C), ...] of the group's batch.
  static void update_running_stats(model::BatchNorm2dImpl& layer, const std::vector<double>& stats, std::int64_t C,
                                   double count) {
    if (!layer.options.track_running_stats() || !layer.running_mean.defined()) return;
    torch::NoGradGuard no_grad;
    double m = layer.options.momentum().value_or(0.0);
    if (layer.num_batches_tracked.defined()) {
      layer.num_batches_tracked += 1;
      if (!layer.options.momentum()) m = 1.0 / layer.num_batches_tracked.item<double>();
    }
    std::vector<double> unbiased(stats.begin() + C, stats.begin() + 2 * C);
    for (auto& v : unbiased) v *= count / (count - 1);
    const auto batch_mean = per_channel(stats, 0, C, layer.running_mean).view({C});
    const auto batch_var = per_channel(unbiased, 0, C, layer.running_var).view({C});
    layer.running_mean.mul_(1 - m).add_(batch_mean, m);
    layer.running_var.mul_(1 - m).add_(batch_var, m);
  }
};

class SyncOverride : public model::BatchNormOverride {
 public:
  explicit SyncOverride(std::shared_ptr<SyncBatchNorm::State> state) : state_(std::move(state)) {}
  torch::Tensor forward(model::BatchNorm2dImpl& layer, const torch::Tensor& input) override {
    return SyncBatchNormFunction::apply(input, layer.weight, layer.bias, &layer, state_.get());
  }

 private:
  std::shared_ptr<SyncBatchNorm::State> state_;
};

// `model` and every module below it. modules(include_self=true) would need `model` held by a shared_ptr.
template <typename Visit>
void for_each_module(torch::nn::Module& model, Visit&& visit) {
  visit(model);
  for (auto& m : model.modules(/*include_self=*/false)) visit(*m);
}

}  // namespace

std::size_t count_batch_norm_layers(torch::nn::Module& model) {
  std::size_t n = 0;
  for_each_module(model, [&](torch::nn::Module& m) {
    if (m.as<model::BatchNorm2dImpl>() || m.as<torch::nn::BatchNorm1dImpl>() || m.as<torch::nn::BatchNorm2dImpl>() ||
        m.as<torch::nn::BatchNorm3dImpl>())
      ++n;
  });
  return n;
}

SyncBatchNorm::SyncBatchNorm(torch::nn::Module& model, Communicator& group)
    : model_(model), state_(std::make_shared<State>()) {
  state_->group = &group;
  auto override_forward = std::make_shared<SyncOverride>(state_);
  for_each_module(model, [&](torch::nn::Module& m) {
    if (auto* bn = dynamic_cast<model::BatchNorm2dImpl*>(&m)) {
      bn->set_override(override_forward);
      ++layers_;
    }
  });
  const std::size_t all = count_batch_norm_layers(model);
  FUFI_CHECK(all == layers_, RuntimeError,
             "sync_batchnorm: {} of the model's {} BatchNorm layers are torch's own, not fufi::model::BatchNorm2d, "
             "and cannot be synchronised; build them as model::BatchNorm2d (or set sync_batchnorm=off)",
             all - layers_, all);
}

SyncBatchNorm::~SyncBatchNorm() {
  for_each_module(model_, [](torch::nn::Module& m) {
    if (auto* bn = dynamic_cast<model::BatchNorm2dImpl*>(&m)) bn->set_override(nullptr);
  });
}

void SyncBatchNorm::set_contributing(bool contributing) { state_->contributing = contributing; }

std::unique_ptr<SyncBatchNorm> make_sync_batch_norm(torch::nn::Module& model, Communicator& group,
                                                    const std::string& mode) {
  if (mode == "off" || group.size() <= 1 || count_batch_norm_layers(model) == 0) return nullptr;
  FUFI_CHECK(mode == "auto", UsageError, "key 'sync_batchnorm': unknown value '{}' (auto, off)", mode);
  return std::make_unique<SyncBatchNorm>(model, group);
}

}  // namespace fufi::worker
