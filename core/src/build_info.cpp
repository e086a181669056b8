#include "fufi/core/build_info.h"

#include <fmt/format.h>

#include "fufi/core/version.h"

namespace fufi {

std::string version() { return FUFI_VERSION_STRING; }
std::string git_commit() { return FUFI_GIT_COMMIT; }
bool built_with_cuda() { return std::string(FUFI_CUDA_ENABLED_STR) == "ON"; }
bool built_with_nccl() { return std::string(FUFI_NCCL_ENABLED_STR) == "ON"; }

std::string version_line() {
  return fmt::format("fufi {} (commit {}, torch {}, cuda {}, nccl {})", version(), git_commit(),
                     FUFI_TORCH_VERSION, built_with_cuda() ? "on" : "off", built_with_nccl() ? "on" : "off");
}

}  // namespace fufi
