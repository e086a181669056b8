#include "sweep_keys.h"

#include <cstdint>

#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/model/losses.h"
#include "fufi/model/registry.h"
#include "fufi/worker/train_config.h"

namespace fufi::orchestrator {

namespace {

ValueKind kind_of_default(const std::string& value) {
  std::int64_t i = 0;
  double d = 0;
  if (value == "true" || value == "false") return ValueKind::Bool;
  if (parse_int(value, i)) return ValueKind::Int;
  if (parse_double(value, d)) return ValueKind::Number;
  return ValueKind::String;
}

KnownKeys collect_keys() {
  KnownKeys k;
  auto add = [&](const std::string& key, const std::string& default_value) {
    k.kinds[key].insert(kind_of_default(default_value));
    // "auto" (decided by measurement, e.g. channels_last) stands for a boolean the job resolves: both spellings.
    if (default_value == "auto") k.kinds[key].insert(ValueKind::Bool);
  };
  for (const auto& s : worker::train_param_specs()) add(s.key, s.default_value);
  k.kinds["recipe"] = {ValueKind::String};
  for (const auto& loss : model::loss_infos()) {
    k.losses.push_back(loss.name);
    for (const auto& p : loss.params) add(p.key, p.default_value);
  }
  k.losses.push_back("model");
  const auto& registry = model::ModelRegistry::instance();
  k.models = registry.names();
  for (const auto& name : k.models)
    for (const auto& p : registry.get(name).params) add(p.key, p.default_value);
  for (const auto& family : registry.families())  // e.g. torchscript:PATH models' keys
    for (const auto& p : family.params) add(p.key, p.default_value);
  for (const auto& [key, kinds] : k.kinds) k.names.push_back(key);
  return k;
}

}  // namespace

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::Bool: return "true or false";
    case ValueKind::Int: return "an integer";
    case ValueKind::Number: return "a number";
    case ValueKind::String: return "a string";
  }
  return "";
}

const KnownKeys& known_keys() {
  static const KnownKeys keys = collect_keys();
  return keys;
}

std::string canonical_value(const std::string& key, const std::string& value, const std::string& where) {
  const auto& kinds = known_keys().kinds.at(key);
  bool b = false;
  std::int64_t i = 0;
  double d = 0;
  // A key several models share may take several kinds: the strictest reading that fits wins.
  if (kinds.count(ValueKind::Bool) && parse_bool(value, b)) return b ? "true" : "false";
  if (kinds.count(ValueKind::Int) && parse_int(value, i)) return std::to_string(i);
  if (kinds.count(ValueKind::Number) && parse_double(value, d)) return canonical_number(d);
  if (kinds.count(ValueKind::String)) return value;
  std::vector<std::string> expected;
  for (auto k : kinds) expected.emplace_back(kind_name(k));
  FUFI_THROW(UsageError, "{}: key '{}': expected {}, got '{}'", where, key, join(expected, " or "), value);
}

}  // namespace fufi::orchestrator
