#pragma once
// Pieces shared by the UrbanFM-family baselines (urbanfm, urbanpy, deeplgr, fode, urbanode) and by their
// tests: input checks, the ODE step FODE/UrbanODE integrate with, UrbanPy's block-local linear layer and
// its density KL term. Their shared layers (UrbanInput, UrbanFMTrunk) are in baseline_blocks.h.
// Architectures: ../shared/reference/baselines.md §3; docs/models/urbanfm_family.md.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

#include "fufi/core/config.h"
#include "fufi/model/baseline_blocks.h"
#include "fufi/model/model.h"
#include "fufi/model/registry.h"

namespace fufi::model {

// One registration function per source file; register_urbanfm_family_models() (builtin.h) calls them.
void register_urbanfm_model(ModelRegistry& registry);   // urbanfm.cpp
void register_urbanpy_model(ModelRegistry& registry);   // urbanpy.cpp
void register_deeplgr_model(ModelRegistry& registry);   // deeplgr.cpp
void register_ode_models(ModelRegistry& registry);      // ode_models.cpp: fode, urbanode

// The ext subnet is on when the data has the 7 TaxiBJ columns and the config's `use_ext` allows it
// (the references' ext_flag). UsageError when the data has ext of another width, which these subnets
// cannot embed.
bool urban_ext_enabled(const DataSpec& spec, const Config& config, const std::string& model);

// UsageError (naming `model`) unless input.coarse is (B, spec.flow_channels, coarse_h, coarse_w) and, when
// `uses_ext`, input.ext is a defined (B, 7) tensor.
void check_urban_input(const ModelInput& input, const DataSpec& spec, bool uses_ext, const std::string& model);

// One explicit Runge–Kutta step with the 3/8 rule from t = 0 to t = dt of dy/dt = f(y) (f ignores t
// here, as the references' ODE functions do). torchdiffeq's `fixed_adams` on the grid [0, 1] — what
// FODE and UrbanODE call — takes exactly this step: Adams–Bashforth–Moulton warms up with rk4_alt and a
// one-interval grid never leaves the warm-up. Returns y(dt), which includes y0.
torch::Tensor rk4_three_eighths_step(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                                     const torch::Tensor& y0, double dt = 1.0);

// UrbanPy's LocalConv: the map is cut into blocks×blocks tiles of block×block cells and each tile has
// its own dense (block²·in × block²·out) matrix, so every coarse cell learns its own redistribution.
// Weight layout as the reference: (tiles, block²·in, block²·out), tile-vector order (row, col, channel).
struct LocalConvOptions {
  std::int64_t blocks_h = 32, blocks_w = 32;  // tiles per side (= the coarse grid)
  std::int64_t block = 2;                     // cells per tile side
  std::int64_t in_channels = 2, out_channels = 1;
};
class LocalConvImpl : public torch::nn::Module {
 public:
  explicit LocalConvImpl(LocalConvOptions options);
  torch::Tensor forward(const torch::Tensor& x);  // (B,in,bh·block,bw·block) -> (B,out,bh·block,bw·block)
  torch::Tensor weight;

 private:
  LocalConvOptions options_;
};
TORCH_MODULE(LocalConv);

// UrbanODE's pyramid attention (Mei et al. 2020, the reference's PyramidAttention with its defaults):
// every 3×3 patch of a 5-level nearest-resized pyramid of the input (scales 1, 0.9, …, 0.6) is a
// candidate; each position matches its own patch (1×1 conv + PReLU to C/2) against all candidates'
// (another 1×1 conv + PReLU, norms clamped >= 1e-4), takes softmax(10·score) over them and pastes the
// candidates' value patches (1×1 conv + PReLU to C) back with a transposed 3×3 conv, ÷ 4, plus the input.
class PyramidAttentionImpl : public torch::nn::Module {
 public:
  explicit PyramidAttentionImpl(std::int64_t channels);
  torch::Tensor forward(const torch::Tensor& input);

 private:
  torch::nn::Sequential match_base_{nullptr}, match_{nullptr}, assembly_{nullptr};
};
TORCH_MODULE(PyramidAttention);

// UrbanPy's density KL (`batch_kl` of the reference) at one scale. `predicted_density` and `target`
// are (B,C,H,W); the ground-truth density is target / (its own block×block sums + 1e-9) — the reference
// divides by the upsampled coarse input instead, which is the same map because the coarse input is the
// exact block sum of the target (data.md). Only blocks with a non-zero total count; per sample the sum
// over cells is divided by the number of such blocks, then averaged over the batch. A sample without
// any non-zero block contributes 0 (the reference divides 0 by 0 there).
torch::Tensor urbanpy_density_kl(const torch::Tensor& predicted_density, const torch::Tensor& target,
                                 std::int64_t block);

}  // namespace fufi::model
