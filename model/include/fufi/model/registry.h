#pragma once
// One registry creates every model by name + key/value config. Models register explicitly in
// register_builtin_models() (registry.cpp): static-initialiser registration is dropped by the
// linker for static libraries.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fufi/core/config.h"
#include "fufi/model/model.h"

namespace fufi::model {

struct ParamSpec {
  std::string key;
  std::string default_value;
  std::string help;
};

struct ModelInfo {
  std::string name;
  std::string description;
  std::vector<ParamSpec> params;  // every key the model accepts, with its default
  // Named training recipes (training keys such as lr, epochs, loss): "reference" is the model's own
  // published recipe; the paper's common recipe is the engine's default.
  std::map<std::string, Config> recipes;
  std::function<std::shared_ptr<FufiModel>(const DataSpec&, const Config&)> create;

  Config defaults() const;
  std::vector<std::string> keys() const;
};

class ModelRegistry {
 public:
  // The process-wide registry with every built-in model registered.
  static ModelRegistry& instance();

  void add(ModelInfo info);
  bool contains(const std::string& name) const;
  // Throws UsageError naming the model and the nearest registered name.
  const ModelInfo& get(const std::string& name) const;
  std::vector<std::string> names() const;  // in registration order

  // Defaults merged with `overrides`; unknown keys are a UsageError naming the key.
  Config resolve(const std::string& name, const Config& overrides) const;
  std::shared_ptr<FufiModel> create(const std::string& name, const DataSpec& spec, const Config& overrides) const;

 private:
  std::vector<ModelInfo> models_;
};

// Adds every built-in model to `registry` (called once by instance()).
void register_builtin_models(ModelRegistry& registry);

}  // namespace fufi::model
