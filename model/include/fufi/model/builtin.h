#pragma once
// One registration function per model family; register_builtin_models() calls them in this order,
// which is also the order `fufi models` lists them.
#include "fufi/model/registry.h"

namespace fufi::model {

void register_naive_models(ModelRegistry& registry);  // uniform (historical: baselines issue)

}  // namespace fufi::model
