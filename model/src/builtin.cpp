#include "fufi/model/builtin.h"
#include "fufi/model/torchscript.h"

namespace fufi::model {

void register_builtin_models(ModelRegistry& registry) {
  register_naive_models(registry);
  register_urbanfm_family_models(registry);
  register_cufar_models(registry);
  register_uno_models(registry);
  register_sr_baseline_models(registry);
  register_plgf_models(registry);
  register_torchscript_family(registry);
}

}  // namespace fufi::model
