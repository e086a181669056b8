#pragma once
// The whole content of a file, for comparing what was written ("" when it cannot be read).
#include <fstream>
#include <sstream>
#include <string>

namespace fufi::test {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace fufi::test
