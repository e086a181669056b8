#include "fufi/model/builtin.h"

namespace fufi::model {

void register_builtin_models(ModelRegistry& registry) {
  register_naive_models(registry);
}

}  // namespace fufi::model
