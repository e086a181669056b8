#pragma once
// The keys a sweep job may set, with the kinds of value each takes (private to fufi_orchestrator): the
// engine's training keys, every loss's and every registered model's keys. Kinds are read from the text of
// each key's default value; a key several models share may take more than one kind.
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fufi::orchestrator {

enum class ValueKind { Bool, Int, Number, String };

// "true or false", "an integer", ...: for messages.
const char* kind_name(ValueKind kind);

struct KnownKeys {
  std::map<std::string, std::set<ValueKind>> kinds;
  std::vector<std::string> names;   // every key, sorted
  std::vector<std::string> models;  // registered model names
  std::vector<std::string> losses;  // valid values of `loss`
};

const KnownKeys& known_keys();

// The one spelling of `value` for `key` (issue #20): a boolean as true/false (the engine reads yes, on and 1
// as true too), an integer in decimal, a number as canonical_number, a string as given; so that
// `safe_n2=true`, `yes` and `1` make one job id. Parsed by the engine's own parsers (fufi/core/config.h), so
// a value the plan accepts is one the run accepts. UsageError naming `where`, the key, the value and the
// kinds the key takes when the value is none of them (`--set depth=abc`). `key` must be known.
std::string canonical_value(const std::string& key, const std::string& value, const std::string& where);

}  // namespace fufi::orchestrator
