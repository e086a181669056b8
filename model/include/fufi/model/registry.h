#pragma once
// One registry creates every model by name + key/value config. Models register explicitly in
// register_builtin_models() (registry.cpp): static-initialiser registration is dropped by the
// linker for static libraries. Besides named models, a family answers every name "PREFIX:ARGUMENT"
// (torchscript:PATH.pt, a TorchScript module from a file: torchscript.h, docs/BYO_MODEL.md).
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
  // What identifies the model beyond its name, for job ids and provenance; null: the name itself. A
  // family member's identity names its content (torchscript: "torchscript:/abs/m.pt@sha256:HEX").
  std::function<std::string()> identity;

  Config defaults() const;
  std::vector<std::string> keys() const;
};

// Models named "<prefix>:<argument>". The registry makes a ModelInfo per member on first use, with the
// family's description, keys and recipes and `create`/`identity` bound to the argument.
struct ModelFamily {
  std::string prefix;  // "torchscript": members are "torchscript:ARGUMENT"
  std::string description;
  std::string argument_help;  // "PATH.pt", for messages
  std::vector<ParamSpec> params;
  std::map<std::string, Config> recipes;
  std::function<std::shared_ptr<FufiModel>(const std::string& argument, const DataSpec&, const Config&)> create;
  std::function<std::string(const std::string& argument)> identity;  // null: the member's name
};

class ModelRegistry {
 public:
  // The process-wide registry with every built-in model registered.
  static ModelRegistry& instance();

  void add(ModelInfo info);
  void add_family(ModelFamily family);
  // True for a registered name and for any "PREFIX:ARGUMENT" of a family (ARGUMENT not empty).
  bool contains(const std::string& name) const;
  // Throws UsageError naming the model and the nearest registered name. A family member's info lives as
  // long as the registry.
  const ModelInfo& get(const std::string& name) const;
  std::vector<std::string> names() const;  // the named models, in registration order (no family members)
  const std::vector<ModelFamily>& families() const { return families_; }
  // ModelInfo::identity of `name`, or `name` itself: the "model" key of a job's resolved configuration.
  std::string identity(const std::string& name) const;

  // Defaults merged with `overrides`; unknown keys are a UsageError naming the key.
  Config resolve(const std::string& name, const Config& overrides) const;
  std::shared_ptr<FufiModel> create(const std::string& name, const DataSpec& spec, const Config& overrides) const;

 private:
  const ModelFamily* family_of(const std::string& name) const;

  std::vector<ModelInfo> models_;
  std::vector<ModelFamily> families_;
  // Members made on first use; std::map keeps references to its elements valid across insertions.
  mutable std::map<std::string, ModelInfo> members_;
  mutable std::mutex members_mutex_;
};

// Adds every built-in model to `registry` (called once by instance()).
void register_builtin_models(ModelRegistry& registry);

}  // namespace fufi::model
