#include "fufi/model/registry.h"

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/model/builtin.h"

namespace fufi::model {

Config ModelInfo::defaults() const {
  Config c;
  for (const auto& p : params) c.set(p.key, p.default_value, "default of " + name);
  return c;
}

std::vector<std::string> ModelInfo::keys() const {
  std::vector<std::string> out;
  for (const auto& p : params) out.push_back(p.key);
  return out;
}

ModelRegistry& ModelRegistry::instance() {
  static ModelRegistry* registry = [] {
    auto* r = new ModelRegistry();
    register_builtin_models(*r);
    return r;
  }();
  return *registry;
}

void ModelRegistry::add(ModelInfo info) {
  FUFI_CHECK(!contains(info.name), RuntimeError, "model '{}' registered twice", info.name);
  FUFI_CHECK(static_cast<bool>(info.create), RuntimeError, "model '{}' has no factory", info.name);
  models_.push_back(std::move(info));
}

void ModelRegistry::add_family(ModelFamily family) {
  FUFI_CHECK(!family.prefix.empty() && family.prefix.find(':') == std::string::npos, RuntimeError,
             "model family prefix '{}' must be non-empty and without ':'", family.prefix);
  for (const auto& f : families_)
    FUFI_CHECK(f.prefix != family.prefix, RuntimeError, "model family '{}' registered twice", family.prefix);
  FUFI_CHECK(static_cast<bool>(family.create), RuntimeError, "model family '{}' has no factory", family.prefix);
  families_.push_back(std::move(family));
}

const ModelFamily* ModelRegistry::family_of(const std::string& name) const {
  const auto colon = name.find(':');
  if (colon == std::string::npos || colon + 1 == name.size()) return nullptr;
  for (const auto& f : families_)
    if (name.compare(0, colon, f.prefix) == 0 && f.prefix.size() == colon) return &f;
  return nullptr;
}

bool ModelRegistry::contains(const std::string& name) const {
  for (const auto& m : models_)
    if (m.name == name) return true;
  return family_of(name) != nullptr;
}

const ModelInfo& ModelRegistry::get(const std::string& name) const {
  for (const auto& m : models_)
    if (m.name == name) return m;
  if (const ModelFamily* family = family_of(name)) {
    std::lock_guard<std::mutex> lock(members_mutex_);
    auto it = members_.find(name);
    if (it != members_.end()) return it->second;
    const std::string argument = name.substr(family->prefix.size() + 1);
    ModelInfo info;
    info.name = name;
    info.description = family->description;
    info.params = family->params;
    info.recipes = family->recipes;
    info.create = [create = family->create, argument](const DataSpec& spec, const Config& config) {
      return create(argument, spec, config);
    };
    if (family->identity) info.identity = [identity = family->identity, argument] { return identity(argument); };
    return members_.emplace(name, std::move(info)).first->second;
  }
  std::string families;
  for (const auto& f : families_) families += fmt::format("; or {}:{} ({})", f.prefix, f.argument_help, f.description);
  FUFI_THROW(UsageError, "unknown model '{}'{}; registered models: {}{}", name, did_you_mean(name, names()),
             join(names(), ", "), families);
}

std::string ModelRegistry::identity(const std::string& name) const {
  const auto& info = get(name);
  return info.identity ? info.identity() : info.name;
}

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& m : models_) out.push_back(m.name);
  return out;
}

Config ModelRegistry::resolve(const std::string& name, const Config& overrides) const {
  const auto& info = get(name);
  overrides.check_known(info.keys(), "model '" + name + "'");
  return info.defaults().merged_with(overrides);
}

std::shared_ptr<FufiModel> ModelRegistry::create(const std::string& name, const DataSpec& spec,
                                                 const Config& overrides) const {
  const auto& info = get(name);
  const Config config = resolve(name, overrides);
  try {
    return info.create(spec, config);
  } catch (const Error& e) {
    // The user asked for `name`: a message from one of its building blocks (an upsampler, a pyramid) says
    // which model it belongs to.
    if (e.message().rfind(name + ":", 0) == 0) throw;
    const std::string message = name + ": " + e.message();
    switch (e.kind()) {
      case ErrorKind::Usage: throw UsageError(message, __FILE__, __LINE__);
      case ErrorKind::Input: throw InputError(message, __FILE__, __LINE__);
      case ErrorKind::Runtime: throw RuntimeError(message, __FILE__, __LINE__);
    }
    throw;
  }
}

torch::Tensor FufiModel::model_loss(const ModelOutput&, const torch::Tensor&) {
  FUFI_THROW(UsageError, "loss=model: this model has no loss of its own; choose a loss such as mse or dualfocal");
}

std::int64_t count_parameters(const torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters(/*recurse=*/true)) n += p.numel();
  return n;
}

}  // namespace fufi::model
