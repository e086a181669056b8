#pragma once
// Sweep texts the orchestrator tests share. The tiny synthetic data every test sweep trains on is one
// fixture, fixtures/small_data.toml, which the shell tests read too (sweep_fixture.sh).
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fufi/core/build_info.h"

namespace fufi::test {

// The [data] table every test sweep uses, shared with the shell tests (sweep_fixture.sh).
inline std::string small_data_fixture() {
  const std::string path = FUFI_SOURCE_ROOT "tests/orchestrator/fixtures/small_data.toml";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the test fixture " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A 2 models x 2 tasks x 2 seeds sweep; [models.srcnn] channels is on line 16. Read on first use, not
// at static initialisation, so that a missing fixture fails the tests that need it.
inline const std::string& base_sweep() {
  static const std::string text = "\nname = \"unit\"\nseeds = 2\n" + small_data_fixture() + R"([training]
epochs = 2
lr = 3e-4
[axes]
model = ["srcnn", "espcn"]
task = ["P1", "P2"]
[models.srcnn]
channels = 8
)";
  return text;
}


}  // namespace fufi::test
