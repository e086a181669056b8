#include "fufi/data/npy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sys/stat.h>

#include "fufi/core/atomic_file.h"
#include "fufi/core/error.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fufi's NPY reader assumes a little-endian host"
#endif

namespace fufi::data {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;

// A cursor over the header dictionary text; every read is bounds-checked.
class HeaderParser {
 public:
  HeaderParser(const char* text, std::size_t size, const std::string& name) : p_(text), end_(text + size), name_(name) {}

  [[noreturn]] void fail(const std::string& why) const {
    FUFI_THROW(InputError, "{}: malformed NPY header: {}", name_, why);
  }
  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t')) ++p_;
  }
  bool at_end() const { return p_ >= end_; }
  char peek() const { return p_ < end_ ? *p_ : '\0'; }
  void expect(char c) {
    skip_ws();
    if (p_ >= end_ || *p_ != c) fail(std::string("expected '") + c + "'");
    ++p_;
  }
  bool accept(char c) {
    skip_ws();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  std::string quoted() {
    skip_ws();
    if (p_ >= end_ || (*p_ != '\'' && *p_ != '"')) fail("expected a quoted string");
    char q = *p_++;
    const char* start = p_;
    while (p_ < end_ && *p_ != q) {
      if (*p_ == '\\' || static_cast<unsigned char>(*p_) < 0x20) fail("unexpected character in string");
      ++p_;
    }
    if (p_ >= end_) fail("unterminated string");
    std::string s(start, p_);
    ++p_;
    return s;
  }
  bool boolean() {
    skip_ws();
    if (static_cast<std::size_t>(end_ - p_) >= 4 && std::strncmp(p_, "True", 4) == 0) {
      p_ += 4;
      return true;
    }
    if (static_cast<std::size_t>(end_ - p_) >= 5 && std::strncmp(p_, "False", 5) == 0) {
      p_ += 5;
      return false;
    }
    fail("fortran_order must be True or False");
  }
  std::int64_t dimension() {
    skip_ws();
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') fail("shape entries must be non-negative integers");
    std::int64_t v = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      int digit = *p_ - '0';
      if (v > (std::numeric_limits<std::int64_t>::max() - digit) / 10) fail("shape entry overflows");
      v = v * 10 + digit;
      ++p_;
    }
    // Python 2 era files may write long integers as "3L".
    if (p_ < end_ && *p_ == 'L') ++p_;
    return v;
  }
  std::vector<std::int64_t> shape() {
    expect('(');
    std::vector<std::int64_t> dims;
    if (accept(')')) return dims;
    while (true) {
      dims.push_back(dimension());
      if (dims.size() > 32) fail("more than 32 dimensions");
      bool comma = accept(',');
      if (accept(')')) break;
      if (!comma) fail("expected ',' or ')' in shape");
    }
    // "(5)" is an int in Python, not a tuple: NumPy never writes it.
    return dims;
  }

 private:
  const char* p_;
  const char* end_;
  const std::string& name_;
};

bool dtype_from_descr(const std::string& descr, NpyDtype& out) {
  static const struct {
    const char* descr;
    NpyDtype dtype;
  } table[] = {{"<f4", NpyDtype::F4}, {"<f8", NpyDtype::F8}, {"<i4", NpyDtype::I4}, {"<i8", NpyDtype::I8},
               {"|u1", NpyDtype::U1}, {"|b1", NpyDtype::B1}, {"<i2", NpyDtype::I2}, {"<u2", NpyDtype::U2}};
  for (const auto& row : table) {
    if (descr == row.descr) {
      out = row.dtype;
      return true;
    }
  }
  return false;
}

[[noreturn]] void reject_descr(const std::string& descr, const std::string& name) {
  if (!descr.empty() && descr[0] == '>')
    FUFI_THROW(InputError, "{}: big-endian dtype '{}' is not supported (save it little-endian)", name, descr);
  if (descr.find('O') != std::string::npos)
    FUFI_THROW(InputError, "{}: object dtype '{}' is not supported (it needs pickle)", name, descr);
  FUFI_THROW(InputError, "{}: unsupported dtype '{}' (supported: <f4 <f8 <i4 <i8 |u1 |b1 <i2 <u2)", name, descr);
}

template <typename T>
void convert(const std::uint8_t* src, std::uint64_t n, float* dst) {
  for (std::uint64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

void convert_payload(const NpyHeader& h, const std::uint8_t* src, float* dst, const std::string& name) {
  switch (h.dtype) {
    case NpyDtype::F4: std::memcpy(dst, src, h.element_count * 4); break;
    case NpyDtype::F8: convert<double>(src, h.element_count, dst); break;
    case NpyDtype::I4: convert<std::int32_t>(src, h.element_count, dst); break;
    case NpyDtype::I8: convert<std::int64_t>(src, h.element_count, dst); break;
    case NpyDtype::U1: convert<std::uint8_t>(src, h.element_count, dst); break;
    case NpyDtype::I2: convert<std::int16_t>(src, h.element_count, dst); break;
    case NpyDtype::U2: convert<std::uint16_t>(src, h.element_count, dst); break;
    case NpyDtype::B1:
      for (std::uint64_t i = 0; i < h.element_count; ++i) {
        if (src[i] > 1) FUFI_THROW(InputError, "{}: bool element {} has byte value {} (not 0 or 1)", name, i, src[i]);
        dst[i] = static_cast<float>(src[i]);
      }
      break;
  }
}

// "(3, 0, 12, 7)": the C-order multi-index of flat index `flat` in `shape`.
std::string index_to_string(const std::vector<std::int64_t>& shape, std::uint64_t flat) {
  std::vector<std::int64_t> index(shape.size(), 0);
  for (std::size_t d = shape.size(); d-- > 0;) {
    const auto extent = static_cast<std::uint64_t>(std::max<std::int64_t>(shape[d], 1));
    index[d] = static_cast<std::int64_t>(flat % extent);
    flat /= extent;
  }
  return shape_to_string(index);
}

void check_finite(const NpyArray& a, const std::string& name) {
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    if (!std::isfinite(a.values[i]))
      FUFI_THROW(InputError, "{}: non-finite value {} at index {} of shape {}", name, a.values[i],
                 index_to_string(a.shape, i), shape_to_string(a.shape));
  }
}

// What a file that lacks the NPY magic most likely is, from the signatures of the formats people save
// arrays in by mistake (a NumPy .npz archive under an .npy name is the common one: np.savez writes a zip).
std::string what_file_is_this(const std::uint8_t* bytes, std::size_t size) {
  auto starts = [&](const char* sig, std::size_t n) { return size >= n && std::memcmp(bytes, sig, n) == 0; };
  if (size == 0) return "the file is empty";
  if (starts("PK\x03\x04", 4) || starts("PK\x05\x06", 4))
    return "it is a zip archive, as NumPy's .npz is (np.savez): load it with np.load(f)[name] and write each array "
           "with np.save";
  if (starts("\x80", 1) && size >= 2 && bytes[1] >= 2 && bytes[1] <= 5)
    return "it is a Python pickle: write the array with np.save";
  if (starts("\x89HDF\r\n\x1a\n", 8)) return "it is an HDF5 file: write each dataset with np.save";
  if (starts("\x1f\x8b", 2)) return "it is gzip-compressed: decompress it first";
  return "bad magic: NPY files start with \\x93NUMPY";
}

}  // namespace

std::string to_string(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::F4: return "<f4";
    case NpyDtype::F8: return "<f8";
    case NpyDtype::I4: return "<i4";
    case NpyDtype::I8: return "<i8";
    case NpyDtype::U1: return "|u1";
    case NpyDtype::B1: return "|b1";
    case NpyDtype::I2: return "<i2";
    case NpyDtype::U2: return "<u2";
  }
  return "?";
}

std::size_t item_size(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::F8:
    case NpyDtype::I8: return 8;
    case NpyDtype::F4:
    case NpyDtype::I4: return 4;
    case NpyDtype::I2:
    case NpyDtype::U2: return 2;
    case NpyDtype::U1:
    case NpyDtype::B1: return 1;
  }
  return 0;
}

std::string shape_to_string(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

NpyHeader parse_npy_header(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  NpyHeader h;
  if (size < kMagicLen + 2 || std::memcmp(bytes, kMagic, kMagicLen) != 0)
    FUFI_THROW(InputError, "{}: not an NPY file ({})", name, what_file_is_this(bytes, size));
  h.major_version = bytes[6];
  h.minor_version = bytes[7];
  std::size_t len_bytes = 0;
  if (h.major_version == 1 && h.minor_version == 0) {
    len_bytes = 2;
  } else if ((h.major_version == 2 || h.major_version == 3) && h.minor_version == 0) {
    len_bytes = 4;
  } else {
    FUFI_THROW(InputError, "{}: unsupported NPY format version {}.{} (supported: 1.0, 2.0, 3.0)", name,
               h.major_version, h.minor_version);
  }
  if (size < 8 + len_bytes) FUFI_THROW(InputError, "{}: truncated NPY preamble", name);
  std::uint64_t header_len = 0;
  for (std::size_t i = 0; i < len_bytes; ++i) header_len |= static_cast<std::uint64_t>(bytes[8 + i]) << (8 * i);
  if (header_len > kMaxNpyHeaderBytes)
    FUFI_THROW(InputError, "{}: NPY header of {} bytes exceeds the {}-byte limit", name, header_len,
               kMaxNpyHeaderBytes);
  const std::size_t text_start = 8 + len_bytes;
  if (size - text_start < header_len)
    FUFI_THROW(InputError, "{}: truncated NPY header ({} bytes declared, {} present)", name, header_len,
               size - text_start);
  h.data_offset = text_start + static_cast<std::size_t>(header_len);
  const char* text = reinterpret_cast<const char*>(bytes + text_start);
  std::size_t text_len = static_cast<std::size_t>(header_len);
  if (text_len == 0 || text[text_len - 1] != '\n')
    FUFI_THROW(InputError, "{}: malformed NPY header: it must end with a newline", name);
  // Trailing padding: spaces before the newline.
  std::size_t dict_len = text_len - 1;
  while (dict_len > 0 && (text[dict_len - 1] == ' ' || text[dict_len - 1] == '\t')) --dict_len;

  HeaderParser p(text, dict_len, name);
  bool have_descr = false, have_order = false, have_shape = false, fortran = false;
  std::string descr;
  p.expect('{');
  while (!p.accept('}')) {
    std::string key = p.quoted();
    p.expect(':');
    if (key == "descr") {
      if (have_descr) p.fail("duplicate key 'descr'");
      p.skip_ws();
      if (p.peek() == '[') p.fail("structured dtypes are not supported");
      descr = p.quoted();
      have_descr = true;
    } else if (key == "fortran_order") {
      if (have_order) p.fail("duplicate key 'fortran_order'");
      fortran = p.boolean();
      have_order = true;
    } else if (key == "shape") {
      if (have_shape) p.fail("duplicate key 'shape'");
      h.shape = p.shape();
      have_shape = true;
    } else {
      p.fail("unexpected key '" + key + "'");
    }
    if (!p.accept(',')) {
      p.expect('}');
      break;
    }
  }
  p.skip_ws();
  if (!p.at_end()) p.fail("trailing characters after the dictionary");
  if (!have_descr || !have_order || !have_shape) p.fail("missing one of 'descr', 'fortran_order', 'shape'");
  if (fortran) FUFI_THROW(InputError, "{}: Fortran-order arrays are not supported (save with C order)", name);
  if (!dtype_from_descr(descr, h.dtype)) reject_descr(descr, name);

  // Element count and payload size with overflow checks: never trust the header's arithmetic.
  std::uint64_t count = 1;
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() / 8;
  for (auto d : h.shape) {
    if (d != 0 && count > limit / static_cast<std::uint64_t>(d))
      FUFI_THROW(InputError, "{}: shape {} overflows", name, shape_to_string(h.shape));
    count *= static_cast<std::uint64_t>(d);
  }
  h.element_count = count;
  h.payload_bytes = count * item_size(h.dtype);
  return h;
}

NpyArray parse_npy(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                   const NpyReadOptions& options) {
  NpyHeader h = parse_npy_header(bytes, size, name);
  std::uint64_t available = size - h.data_offset;
  if (available < h.payload_bytes)
    FUFI_THROW(InputError, "{}: truncated payload: shape {} {} needs {} bytes, {} present", name,
               shape_to_string(h.shape), to_string(h.dtype), h.payload_bytes, available);
  if (available > h.payload_bytes)
    FUFI_THROW(InputError, "{}: {} unexpected bytes after the payload of shape {} {}", name,
               available - h.payload_bytes, shape_to_string(h.shape), to_string(h.dtype));
  NpyArray a;
  a.shape = h.shape;
  a.source_dtype = h.dtype;
  a.values.resize(h.element_count);
  convert_payload(h, bytes + h.data_offset, a.values.data(), name);
  if (!options.allow_nonfinite) check_finite(a, name);
  return a;
}

NpyArray read_npy(const std::string& path, const NpyReadOptions& options) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) FUFI_THROW(InputError, "{}: cannot open: {}", path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) FUFI_THROW(InputError, "{}: not a regular file", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) FUFI_THROW(InputError, "{}: cannot open for reading", path);
  const std::uint64_t file_size = static_cast<std::uint64_t>(st.st_size);

  // Read at most the preamble + the largest allowed header, then parse it before touching the payload.
  std::vector<std::uint8_t> head(static_cast<std::size_t>(std::min<std::uint64_t>(file_size, 12 + kMaxNpyHeaderBytes)));
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  if (in.gcount() != static_cast<std::streamsize>(head.size())) FUFI_THROW(InputError, "{}: read error", path);
  NpyHeader h = parse_npy_header(head.data(), head.size(), path);

  const std::uint64_t available = file_size - h.data_offset;
  if (available < h.payload_bytes)
    FUFI_THROW(InputError, "{}: truncated payload: shape {} {} needs {} bytes, {} present", path,
               shape_to_string(h.shape), to_string(h.dtype), h.payload_bytes, available);
  if (available > h.payload_bytes)
    FUFI_THROW(InputError, "{}: {} unexpected bytes after the payload of shape {} {}", path,
               available - h.payload_bytes, shape_to_string(h.shape), to_string(h.dtype));

  NpyArray a;
  a.shape = h.shape;
  a.source_dtype = h.dtype;
  a.values.resize(h.element_count);
  in.clear();
  in.seekg(static_cast<std::streamoff>(h.data_offset));
  if (h.dtype == NpyDtype::F4) {
    in.read(reinterpret_cast<char*>(a.values.data()), static_cast<std::streamsize>(h.payload_bytes));
    if (static_cast<std::uint64_t>(in.gcount()) != h.payload_bytes) FUFI_THROW(InputError, "{}: read error", path);
  } else {
    std::vector<std::uint8_t> raw(h.payload_bytes);
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
    if (static_cast<std::uint64_t>(in.gcount()) != h.payload_bytes) FUFI_THROW(InputError, "{}: read error", path);
    convert_payload(h, raw.data(), a.values.data(), path);
  }
  if (!options.allow_nonfinite) check_finite(a, path);
  return a;
}

std::vector<std::uint8_t> serialize_npy(const std::vector<std::int64_t>& shape, const float* values) {
  std::uint64_t count = 1;
  for (auto d : shape) {
    if (d < 0) FUFI_THROW(RuntimeError, "write_npy: negative dimension in shape {}", shape_to_string(shape));
    count *= static_cast<std::uint64_t>(d);
  }
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_to_string(shape) + ", }";
  // Pad so that magic + version + length + dict + newline is a multiple of 64 bytes.
  int major = 1;
  std::size_t preamble = 10;
  if (dict.size() + 1 + preamble > 65535) {
    major = 2;
    preamble = 12;
  }
  std::size_t total = preamble + dict.size() + 1;
  std::size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict.push_back('\n');

  std::vector<std::uint8_t> out;
  out.reserve(padded + count * 4);
  out.insert(out.end(), kMagic, kMagic + kMagicLen);
  out.push_back(static_cast<std::uint8_t>(major));
  out.push_back(0);
  std::uint32_t len = static_cast<std::uint32_t>(dict.size());
  for (std::size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) out.push_back(static_cast<std::uint8_t>(len >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  const auto* raw = reinterpret_cast<const std::uint8_t*>(values);
  out.insert(out.end(), raw, raw + count * 4);
  return out;
}

void write_npy(const std::string& path, const std::vector<std::int64_t>& shape, const float* values) {
  const auto bytes = serialize_npy(shape, values);
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace fufi::data
