// Writes the NPY fuzzer's seed corpus into the directory given as argv[1].
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "fufi/data/npy.h"

namespace {
void write(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
std::vector<std::uint8_t> with_dict(int major, const std::string& dict, std::size_t payload) {
  std::string header = dict;
  const std::size_t preamble = major == 1 ? 10 : 12;
  std::size_t total = preamble + header.size() + 1;
  header.append((total + 63) / 64 * 64 - total, ' ');
  header.push_back('\n');
  std::vector<std::uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
  for (std::size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) out.push_back(static_cast<std::uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + payload, 1);
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: npy_seed_corpus DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::vector<float> values{0, 1, 2, 3, 4, 5};
  write(dir + "/f4_2x3.npy", fufi::data::serialize_npy({2, 3}, values.data()));
  write(dir + "/f4_scalar.npy", fufi::data::serialize_npy({}, values.data()));
  int i = 0;
  for (const char* descr : {"<f8", "<i4", "<i8", "|u1", "|b1", "<i2", "<u2", ">f4", "|O"}) {
    const std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (3,), }";
    write(dir + "/dtype" + std::to_string(i++) + ".npy", with_dict(1, dict, 24));
  }
  write(dir + "/v2.npy", with_dict(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }", 8));
  write(dir + "/v3.npy", with_dict(3, "{\"descr\": \"<f4\", \"fortran_order\": True, \"shape\": (1,)}", 4));
  return 0;
}
