#pragma once
// A dataset's identity: the text that is part of every job id and is stored with every sweep and job, so the
// DB says exactly which data a number was measured on. The sweep writes it (orchestrator/src/sweep_data.cpp)
// and the report reads it (results/src/report_format.cpp); both go through this one definition.
//   synthetic: "synthetic:preset=small,seed=2026,coarse_size=16,upscale=4,samples_per_task=300,generator=1"
//   a root:    "root:/abs/path/to/TaxiBJ"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fufi {

struct DataIdentity {
  bool synthetic = false;
  // synthetic: the generator's options (resolved: preset sizes filled in) and its version
  std::string preset;
  std::uint64_t seed = 0;
  std::int64_t coarse_size = 0, upscale = 0, samples_per_task = 0;
  int generator = 0;  // 0 in identities written before the generator had a version
  // otherwise: the data root, absolute
  std::string root;

  std::string text() const;
  // nullopt when `text` is in neither form (a synthetic identity needs every key but `generator`).
  static std::optional<DataIdentity> parse(std::string_view text);
};

}  // namespace fufi
