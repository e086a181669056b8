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

}  // namespace fufi::orchestrator
