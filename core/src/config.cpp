#include "fufi/core/config.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"

namespace fufi {

bool parse_int(std::string_view text, std::int64_t& out) {
  std::string t = trim(text);
  if (t.empty()) return false;
  const char* begin = t.data();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, t.data() + t.size(), out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

bool parse_double(std::string_view text, double& out) {
  std::string t = trim(text);
  if (t.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(v)) return false;
  out = v;
  return true;
}

bool parse_bool(std::string_view text, bool& out) {
  std::string t = to_lower(trim(text));
  if (t == "true" || t == "1" || t == "yes" || t == "on") {
    out = true;
    return true;
  }
  if (t == "false" || t == "0" || t == "no" || t == "off") {
    out = false;
    return true;
  }
  return false;
}

std::string canonical_number(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  return fmt::format("{}", value);  // fmt prints the shortest round-trip representation
}

Config Config::from_assignments(const std::vector<std::string>& items, std::string_view source) {
  Config c;
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos) FUFI_THROW(UsageError, "{}: '{}' is not of the form key=value", source, item);
    std::string key = trim(std::string_view(item).substr(0, eq));
    std::string value = trim(std::string_view(item).substr(eq + 1));
    if (key.empty()) FUFI_THROW(UsageError, "{}: '{}' has an empty key", source, item);
    c.set(key, value, source);
  }
  return c;
}

void Config::set(const std::string& key, const std::string& value, std::string_view source) {
  values_[key] = value;
  if (!source.empty()) sources_[key] = std::string(source);
}

std::vector<std::string> Config::keys() const {
  std::vector<std::string> out;
  for (const auto& kv : values_) out.push_back(kv.first);
  return out;
}

std::string Config::source_of(const std::string& key) const {
  auto it = sources_.find(key);
  return it == sources_.end() ? std::string() : it->second;
}

void Config::bad_value(const std::string& key, std::string_view expected) const {
  auto src = source_of(key);
  FUFI_THROW(UsageError, "{}key '{}': expected {}, got '{}'", src.empty() ? "" : src + ": ", key, expected,
             values_.at(key));
}

std::string Config::get_string(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) FUFI_THROW(UsageError, "missing required key '{}'", key);
  return it->second;
}
std::string Config::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}

std::int64_t Config::get_int(const std::string& key) const {
  std::int64_t v = 0;
  if (!parse_int(get_string(key), v)) bad_value(key, "an integer");
  return v;
}
std::int64_t Config::get_int(const std::string& key, std::int64_t fallback) const {
  return has(key) ? get_int(key) : fallback;
}

double Config::get_double(const std::string& key) const {
  double v = 0;
  if (!parse_double(get_string(key), v)) bad_value(key, "a finite number");
  return v;
}
double Config::get_double(const std::string& key, double fallback) const {
  return has(key) ? get_double(key) : fallback;
}

bool Config::get_bool(const std::string& key) const {
  bool v = false;
  if (!parse_bool(get_string(key), v)) bad_value(key, "true or false");
  return v;
}
bool Config::get_bool(const std::string& key, bool fallback) const {
  return has(key) ? get_bool(key) : fallback;
}

Config Config::merged_with(const Config& overrides) const {
  Config out = *this;
  for (const auto& [k, v] : overrides.values_) out.set(k, v, overrides.source_of(k));
  return out;
}

void Config::check_known(const std::vector<std::string>& known, std::string_view context) const {
  for (const auto& [k, v] : values_) {
    bool found = false;
    for (const auto& n : known) found = found || n == k;
    if (!found) {
      auto src = source_of(k);
      FUFI_THROW(UsageError, "{}unknown key '{}' for {}{}; known keys: {}", src.empty() ? "" : src + ": ", k,
                 context, did_you_mean(k, known), join(known, ", "));
    }
  }
}

std::string Config::canonical(std::string_view sep) const {
  std::string out;
  for (const auto& [k, v] : values_) {
    if (!out.empty()) out += sep;
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

}  // namespace fufi
