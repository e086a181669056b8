#include "fufi/core/data_identity.h"

#include <map>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "fufi/core/strings.h"

namespace fufi {

namespace {

constexpr std::string_view kSynthetic = "synthetic:";
constexpr std::string_view kRoot = "root:";

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

template <typename Int>
bool read_int(const std::map<std::string, std::string>& kv, const char* key, Int& out) {
  const auto it = kv.find(key);
  std::int64_t v = 0;
  if (it == kv.end() || !parse_int(it->second, v) || v < 0) return false;
  out = static_cast<Int>(v);
  return true;
}

}  // namespace

std::string DataIdentity::text() const {
  if (!synthetic) return std::string(kRoot) + root;
  return fmt::format("{}preset={},seed={},coarse_size={},upscale={},samples_per_task={},generator={}", kSynthetic, preset,
                     seed, coarse_size, upscale, samples_per_task, generator);
}

std::optional<DataIdentity> DataIdentity::parse(std::string_view text) {
  DataIdentity d;
  if (starts_with(text, kRoot)) {
    d.root = std::string(text.substr(kRoot.size()));
    return d;
  }
  if (!starts_with(text, kSynthetic)) return std::nullopt;
  d.synthetic = true;
  std::map<std::string, std::string> kv;
  for (const auto& part : split(text.substr(kSynthetic.size()), ',')) {
    const auto eq = part.find('=');
    if (eq != std::string::npos) kv[part.substr(0, eq)] = part.substr(eq + 1);
  }
  if (!kv.count("preset")) return std::nullopt;
  d.preset = kv["preset"];
  const bool ok = read_int(kv, "seed", d.seed) && read_int(kv, "coarse_size", d.coarse_size) &&
                  read_int(kv, "upscale", d.upscale) && read_int(kv, "samples_per_task", d.samples_per_task);
  if (!ok) return std::nullopt;
  if (kv.count("generator") && !read_int(kv, "generator", d.generator)) return std::nullopt;
  return d;
}

}  // namespace fufi
