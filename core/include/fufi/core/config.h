#pragma once
// Config: an ordered set of key=value settings with strict typed access.
//
// The same key names are used everywhere (`--set channels=64` on the CLI, `channels = 64` in a sweep
// file, the `config` column of the database). Values are stored as text and parsed on access so that
// errors can name the key, the bad value and where it came from.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fufi {

class Config {
 public:
  Config() = default;

  // Parses "key=value" items (as given to --set). `source` names where they came from for errors.
  static Config from_assignments(const std::vector<std::string>& items, std::string_view source = "--set");

  void set(const std::string& key, const std::string& value, std::string_view source = "");
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  void erase(const std::string& key) { values_.erase(key); }
  bool empty() const { return values_.empty(); }
  std::vector<std::string> keys() const;
  const std::map<std::string, std::string>& items() const { return values_; }

  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::int64_t get_int(const std::string& key) const;
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  double get_double(const std::string& key) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key) const;
  bool get_bool(const std::string& key, bool fallback) const;

  // Values of `overrides` replace ours; keys only in `overrides` are added.
  Config merged_with(const Config& overrides) const;
  // Keys that are not in `known`; throws UsageError naming the first with a suggestion.
  void check_known(const std::vector<std::string>& known, std::string_view context) const;
  // Sorted "k=v" lines joined by `sep`: stable text for hashing and display.
  std::string canonical(std::string_view sep = ",") const;

  // Where a key was set ("--set", "sweep.toml:12"), for error messages; "" when unknown.
  std::string source_of(const std::string& key) const;

 private:
  [[noreturn]] void bad_value(const std::string& key, std::string_view expected) const;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> sources_;
};

// Strict number parsing shared with the sweep parser: the whole text must be the number.
bool parse_int(std::string_view text, std::int64_t& out);
bool parse_double(std::string_view text, double& out);
bool parse_bool(std::string_view text, bool& out);
// Canonical text of a number: integers without a point, others in shortest round-trip form.
std::string canonical_number(double value);

}  // namespace fufi
