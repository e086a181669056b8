#pragma once
// Builds NPY byte streams by hand, so that every malformed variant can be written exactly.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace fufi::test {

inline std::vector<std::uint8_t> npy_bytes(const std::string& dict, const std::vector<std::uint8_t>& payload,
                                           int major = 1, int minor = 0, bool pad = true) {
  std::string header = dict;
  const std::size_t preamble = major == 1 ? 10 : 12;
  if (pad) {
    std::size_t total = preamble + header.size() + 1;
    header.append((total + 63) / 64 * 64 - total, ' ');
  }
  header.push_back('\n');
  std::vector<std::uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major),
                                   static_cast<std::uint8_t>(minor)};
  std::uint32_t len = static_cast<std::uint32_t>(header.size());
  for (std::size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) out.push_back(static_cast<std::uint8_t>(len >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

template <typename T>
std::vector<std::uint8_t> raw_bytes(const std::vector<T>& values) {
  std::vector<std::uint8_t> out(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

inline std::string npy_dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
}

inline void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace fufi::test
