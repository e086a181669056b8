#pragma once
// Training losses as plug-ins: any model can be trained with any of them (`loss=NAME` plus `loss_*`
// keys). DualFocal is the paper's (Eqs. 16-17); the others are the baselines' own recipes.
//
//   dualfocal          L = f(β·L_ds)^γ · L_ds,  L_ds = |ŷ−y| + λ·|log(1+ŷ) − log(1+y)|   (raw counts)
//   dualfocal_nolog    the same with λ = 0 (ablation "wo/ Logarithmic")
//   dualfocal_nofocal  plain L_ds, no focal factor (ablation "wo/ DualFocal" focusing)
//   l1, mse, smooth_l1 elementwise, on the scaled values the model outputs unless loss_units=raw
// Every loss is elementwise and returns the mean over all cells.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "fufi/core/config.h"
#include "fufi/model/registry.h"

namespace fufi::model {

class Loss {
 public:
  virtual ~Loss() = default;
  // prediction, target: (B,C,H,W) in scaled units (Y/scaler_y). Returns a scalar: the mean over all cells.
  virtual torch::Tensor forward(const torch::Tensor& prediction, const torch::Tensor& target) const = 0;
  virtual std::string name() const = 0;
};

struct LossInfo {
  std::string name;
  std::string description;
  std::vector<ParamSpec> params;
};

// Every loss with its `loss_*` keys and defaults.
const std::vector<LossInfo>& loss_infos();

// `config` may hold only `loss_*` keys (UsageError for unknown ones, naming the key). value_scale = scaler_y:
// losses defined on raw counts multiply prediction and target by it first (configurable by a loss_* key).
std::shared_ptr<Loss> make_loss(const std::string& name, const Config& config, double value_scale);

// The focusing function f of DualFocal: tanh(x), or the sigmoid-style 2σ(x) − 1 (= tanh(x/2)).
enum class FocalFunction { Tanh, Sigmoid };

// Where DualFocal's focal factor f(β·L_ds)^γ is computed. The paper (§4, "re-weight the contribution of
// each sample ... its L_ds value"; the abstract speaks of "hard-to-predict regions") leaves it open:
//   Cell    from each cell's own L_ds (fufi's default; docs/MODELS.md, docs/FIDELITY.md)
//   Sample  from the sample's mean L_ds over its cells, one factor per map
enum class FocalGranularity { Cell, Sample };

// The elementwise (unreduced) DualFocal terms on values already in the loss's units, exposed for
// tests and analysis. `focal` = false gives plain L_ds. Inputs (B,C,H,W); Sample granularity needs B first.
struct DualFocalParams {
  double lambda = 10.0;
  double beta = 0.2;
  double gamma = 1.0;
  FocalFunction focal_function = FocalFunction::Tanh;
  bool focal = true;
  FocalGranularity granularity = FocalGranularity::Cell;
  // The paper says the factor's "primary effect is on the gradient flow" without saying whether it is
  // differentiated: false (default) lets autograd through it, true treats it as a constant weight.
  bool detach_factor = false;
};
torch::Tensor dualfocal_elementwise(const torch::Tensor& prediction, const torch::Tensor& target,
                                    const DualFocalParams& params);

}  // namespace fufi::model
