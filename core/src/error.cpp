#include "fufi/core/error.h"

#include <string_view>

namespace fufi {
namespace {
// Keep the path relative to the source tree: "worker/src/npy.cpp" reads better than an absolute path.
std::string short_path(const char* file) {
  std::string_view path = file ? file : "?";
  for (std::string_view root : {"/core/", "/model/", "/worker/", "/orchestrator/", "/results/", "/tests/"}) {
    auto pos = path.rfind(root);
    if (pos != std::string_view::npos) return std::string(path.substr(pos + 1));
  }
  return std::string(path);
}
}  // namespace

Error::Error(ErrorKind kind, std::string message, const char* file, int line)
    : std::runtime_error(message),
      kind_(kind),
      message_(std::move(message)),
      where_(fmt::format("{}:{}", short_path(file), line)) {}

}  // namespace fufi
