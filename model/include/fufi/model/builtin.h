#pragma once
// One registration function per model family; register_builtin_models() calls them in this order,
// which is also the order `fufi models` lists them.
#include "fufi/model/registry.h"

namespace fufi::model {

void register_naive_models(ModelRegistry& registry);  // uniform historical
void register_urbanfm_family_models(ModelRegistry& registry);  // urbanfm urbanpy deeplgr fode urbanode
void register_cufar_models(ModelRegistry& registry);  // cufar
void register_uno_models(ModelRegistry& registry);  // uno
void register_sr_baseline_models(ModelRegistry& registry);  // srcnn espcn vdsr deepsd srresnet
void register_plgf_models(ModelRegistry& registry);   // plgf

}  // namespace fufi::model
