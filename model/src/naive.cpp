// Naive reference models that every table should carry: they set the floor a learned model must beat.
#include "fufi/model/builtin.h"
#include "fufi/model/layers.h"

namespace fufi::model {
namespace {

// Each coarse cell spread evenly over its N×N block. No parameters, nothing to train.
class UniformModel : public FufiModel {
 public:
  explicit UniformModel(const DataSpec& spec) : spec_(spec) {}
  ModelOutput forward(const ModelInput& input) override {
    auto n = spec_.upscale;
    auto fine = input.coarse.repeat_interleave(n, 2).repeat_interleave(n, 3) *
                (spec_.coarse_to_fine_scale / static_cast<double>(n * n));
    return {fine, {}, {}};
  }
  bool trainable() const override { return false; }

 private:
  DataSpec spec_;
};

}  // namespace

void register_naive_models(ModelRegistry& registry) {
  ModelInfo uniform;
  uniform.name = "uniform";
  uniform.description = "each coarse cell spread evenly over its N x N block (no parameters)";
  uniform.create = [](const DataSpec& spec, const Config&) { return std::make_shared<UniformModel>(spec); };
  registry.add(std::move(uniform));
}

}  // namespace fufi::model
