#pragma once
// NPY reader and writer: small and strict (no Debian library fits).
//
// Reads format versions 1.0, 2.0 and 3.0, C order, little-endian dtypes
// <f4 <f8 <i4 <i8 |u1 |b1 <i2 <u2, and converts every value to float32. Anything else is rejected with
// an InputError that names the file and the reason. The header size is bounded before anything is
// allocated, the payload size is computed with overflow checks and must match the file exactly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fufi::data {

enum class NpyDtype { F4, F8, I4, I8, U1, B1, I2, U2 };

std::string to_string(NpyDtype dtype);  // the descr: "<f4", ...
std::size_t item_size(NpyDtype dtype);

// NumPy's own limit on header length (numpy.lib.format max_header_size).
constexpr std::size_t kMaxNpyHeaderBytes = 10000;

struct NpyHeader {
  int major_version = 1;
  int minor_version = 0;
  NpyDtype dtype = NpyDtype::F4;
  std::vector<std::int64_t> shape;
  std::size_t data_offset = 0;  // bytes before the payload
  std::uint64_t element_count = 0;
  std::uint64_t payload_bytes = 0;
};

// Parses the preamble and header dictionary at the start of `bytes`; `name` is used in errors.
// Needs only the header bytes, not the payload. Throws InputError on anything malformed.
NpyHeader parse_npy_header(const std::uint8_t* bytes, std::size_t size, const std::string& name);

struct NpyArray {
  std::vector<std::int64_t> shape;
  NpyDtype source_dtype = NpyDtype::F4;  // the dtype on disk; values are always float32 here
  std::vector<float> values;

  std::int64_t dim(std::size_t i) const { return shape.at(i); }
  std::size_t ndim() const { return shape.size(); }
  std::uint64_t size() const { return values.size(); }
};

struct NpyReadOptions {
  bool allow_nonfinite = true;  // false: NaN/Inf anywhere is an InputError naming the first index
};

// Whole-buffer parse (header + payload), for in-memory data and the fuzzer.
NpyArray parse_npy(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                   const NpyReadOptions& options = {});
NpyArray read_npy(const std::string& path, const NpyReadOptions& options = {});

// Writes float32 '<f4' in format 1.0 (2.0 when the header needs it), 64-byte aligned, atomically
// (fufi/core/atomic_file.h: temporary file, fsync, rename) so a crash never leaves a half-written file.
void write_npy(const std::string& path, const std::vector<std::int64_t>& shape, const float* values);
inline void write_npy(const std::string& path, const NpyArray& array) {
  write_npy(path, array.shape, array.values.data());
}
// Serialised bytes of a float32 array (what write_npy writes).
std::vector<std::uint8_t> serialize_npy(const std::vector<std::int64_t>& shape, const float* values);

std::string shape_to_string(const std::vector<std::int64_t>& shape);  // "(3, 32, 32)"

}  // namespace fufi::data
