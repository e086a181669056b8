#include "fufi/core/build_info.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <climits>
#include <cstdlib>

#include "fufi/core/version.h"

namespace fufi {

std::string version() { return FUFI_VERSION_STRING; }
std::string git_commit() { return FUFI_GIT_COMMIT; }
bool built_with_cuda() { return std::string(FUFI_CUDA_ENABLED_STR) == "ON"; }
bool built_with_nccl() { return std::string(FUFI_NCCL_ENABLED_STR) == "ON"; }

namespace {

// The shared object that provides `symbol` in this process's global scope, or "" when none does.
std::string providing_file(const char* symbol) {
  void* address = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info{};
  if (!address || dladdr(address, &info) == 0 || !info.dli_fname) return "";
  char resolved[PATH_MAX];
  return realpath(info.dli_fname, resolved) ? std::string(resolved) : std::string(info.dli_fname);
}

}  // namespace

std::string blas_library() {
  const auto file = providing_file("sgemm_");
  return file.empty() ? "none" : file;
}

std::string malloc_library() {
  const auto file = providing_file("malloc");
  if (file.empty()) return "unknown";
  const auto slash = file.rfind('/');
  return slash == std::string::npos ? file : file.substr(slash + 1);
}

std::string version_line() {
  // The malloc actually in use: the fufi executable links tcmalloc (FUFI_WITH_TCMALLOC); test binaries do not.
  return fmt::format("fufi {} (commit {}, torch {}, cuda {}, nccl {}, malloc {})", version(), git_commit(),
                     FUFI_TORCH_VERSION, built_with_cuda() ? "on" : "off", built_with_nccl() ? "on" : "off",
                     malloc_library());
}

}  // namespace fufi
