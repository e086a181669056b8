#include "fufi/core/error.h"

#include "fufi/core/build_info.h"
#include "fufi/core/status.h"

#include <string_view>

namespace fufi {
namespace {
// Report paths relative to the source tree ("worker/data/src/npy.cpp"), not as the absolute paths the
// compiler was given.
std::string short_path(const char* file) {
  std::string_view path = file ? file : "?";
  constexpr std::string_view root = FUFI_SOURCE_ROOT;
  if (path.substr(0, root.size()) == root) path.remove_prefix(root.size());
  return std::string(path);
}
}  // namespace

Error::Error(ErrorKind kind, std::string message, const char* file, int line)
    : std::runtime_error(message),
      kind_(kind),
      message_(std::move(message)),
      where_(fmt::format("{}:{}", short_path(file), line)) {}

int Error::exit_code() const noexcept { return fufi::exit_code(error_class(kind_)); }

}  // namespace fufi
