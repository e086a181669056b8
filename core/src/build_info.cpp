#include "fufi/core/build_info.h"

#include <fmt/format.h>

#include "fufi/core/version.h"

namespace fufi {

std::string version() { return FUFI_VERSION_STRING; }
std::string git_commit() { return FUFI_GIT_COMMIT; }
bool built_with_cuda() { return std::string(FUFI_CUDA_ENABLED_STR) == "ON"; }
bool built_with_nccl() { return std::string(FUFI_NCCL_ENABLED_STR) == "ON"; }

std::string version_line() {
  // The allocator is the fufi executable's (FUFI_WITH_TCMALLOC); test binaries keep glibc's.
  const bool tcmalloc = std::string(FUFI_TCMALLOC_ENABLED_STR) == "ON";
  return fmt::format("fufi {} (commit {}, torch {}, cuda {}, nccl {}, malloc {})", version(), git_commit(),
                     FUFI_TORCH_VERSION, built_with_cuda() ? "on" : "off", built_with_nccl() ? "on" : "off",
                     tcmalloc ? "tcmalloc" : "glibc");
}

}  // namespace fufi
