// libFuzzer target: the NPY parser must never crash, read out of bounds or allocate from an unchecked
// header, whatever the bytes; it either parses or throws fufi::InputError.
#include <cstddef>
#include <cstdint>

#include "fufi/core/error.h"
#include "fufi/data/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fufi::data::NpyReadOptions options;
    options.allow_nonfinite = (size % 2) == 0;  // exercise both paths
    auto array = fufi::data::parse_npy(data, size, "fuzz.npy", options);
    // A parsed array is self-consistent.
    std::uint64_t count = 1;
    for (auto d : array.shape) count *= static_cast<std::uint64_t>(d);
    if (count != array.values.size()) __builtin_trap();
  } catch (const fufi::InputError&) {
    // Rejected with a message: the expected outcome for most inputs.
  }
  return 0;
}
