// The sweep file's parser (sweep_parser.cpp): strict, and every error names file:line and the nearest name.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "sweep_fixture.h"
#include "sweep_parser.h"

namespace fufi_test_sweep_parser {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

namespace {

// Expects a UsageError from parsing TEXT whose message contains every needle.
void expect_error(const std::string& text, const std::vector<std::string>& needles) {
  test::expect_error<UsageError>([&] { parse_sweep_spec(text, "bad.toml", {}); }, needles);
}

}  // namespace

TEST(SweepParser, ReadsEveryTableWithItsSourceLines) {
  const SweepSpec spec = parse_sweep_spec(test::base_sweep(), "unit.toml", {{"epochs=1"}, ""});
  EXPECT_EQ(spec.sweep.name, "unit");
  EXPECT_EQ(spec.sweep.file, "unit.toml");
  EXPECT_EQ(spec.sweep.file_sha256, sha256_hex(test::base_sweep()));
  EXPECT_TRUE(spec.sweep.data.synthetic);
  EXPECT_EQ(spec.sweep.data.synth.coarse_size, 8);
  EXPECT_EQ(spec.seeds, (std::vector<std::uint64_t>{1, 2}));
  ASSERT_EQ(spec.models.size(), 2u);
  EXPECT_EQ(spec.models[0].text, "srcnn");
  ASSERT_EQ(spec.tasks.size(), 2u);
  EXPECT_EQ(spec.training.at("lr").text, "0.0003");  // normalised
  EXPECT_EQ(spec.per_model.at("srcnn").at("channels").where, "unit.toml:16");
  EXPECT_EQ(spec.sets.at("epochs").text, "1");
  EXPECT_EQ(spec.sets.at("epochs").where, "--set");
  EXPECT_TRUE(spec.sweep.jobs.empty());  // the parser only reads: expand_grid makes the jobs
}

TEST(SweepParser, MalformedFilesNameFileLineAndTheNearestName) {
  const std::string data = "[data]\nsynthetic = \"small\"\n";
  expect_error("nmae = \"x\"\n" + data + "[axes]\nmodel = \"uniform\"\n", {"bad.toml:1", "unknown key 'nmae'", "did you mean 'name'"});
  expect_error(data + "[axes]\nmodel = [\"srcnn\"]\nchanels = [8, 16]\n", {"bad.toml:5", "'chanels'", "did you mean 'channels'"});
  expect_error(data + "[axes]\nmodel = [\"srcnn\", \"urbnfm\"]\n", {"bad.toml:4", "unknown model 'urbnfm'", "did you mean 'urbanfm'"});
  expect_error(data + "[training]\nloss = \"dualfocl\"\n[axes]\nmodel = \"srcnn\"\n",
               {"bad.toml:4", "unknown loss 'dualfocl'", "did you mean 'dualfocal'"});
  expect_error(data + "[training]\nepochs = \"2\"\n[axes]\nmodel = \"srcnn\"\n", {"bad.toml:4", "'epochs'", "expected an integer"});
  expect_error(data + "[axes]\nmodel = \"srcnn\"\ntask = [\"P1\", \"P5\"]\n", {"bad.toml:5", "unknown task 'P5'"});
  expect_error(data + "[axes]\nmodel = \"srcnn\"\n[models.espcn]\nchannels = 8\n", {"bad.toml:5", "not in axes.model"});
  expect_error(data + "[axes]\nmodel = \"srcnn\"\n[[exclude]]\nvariant = \"nope\"\n", {"bad.toml:6", "unknown variant 'nope'"});
  expect_error(data + "[axes]\nmodel = \"srcnn\"\nseed = [1, 2]\n", {"bad.toml:5", "seeds"});
  expect_error(data + "[axes]\nmodel = \"srcnn\"\nchannels = []\n", {"bad.toml:5", "empty array"});
  expect_error(data + "[axes]\nmodel = \"srcnn\"\nchannels = { a = 1 }\n", {"bad.toml:5", "single value"});
  expect_error("[data]\nsynthetic = \"smal\"\n[axes]\nmodel = \"srcnn\"\n", {"bad.toml:2", "did you mean 'small'"});
  expect_error("[data]\nroot = \"/x\"\nupscale = 4\n[axes]\nmodel = \"srcnn\"\ntask = \"P1\"\n", {"bad.toml:3", "synthetic data only"});
  expect_error("[data]\nsynthetic = \"small\"\nroot = \"/x\"\n[axes]\nmodel = \"srcnn\"\n", {"exactly one"});
  expect_error("[axes]\nmodel = \"srcnn\"\n", {"bad.toml", "[data]"});
  expect_error(data, {"bad.toml", "[axes]"});
  expect_error(data + "[axes]\nmodel = [\"srcnn\"\n", {"bad.toml:", "TOML syntax error"});
  expect_error(data + "seeds = 0\n[axes]\nmodel = \"srcnn\"\n", {"bad.toml"});
  expect_error(data + "max_attempts = 0\n", {"bad.toml"});
}


// Issue #20: a relative data.root is the sweep file's, not the working directory's; --data-root stays the
// command line's (relative to the working directory).
TEST(SweepParser, ARelativeDataRootIsResolvedAgainstTheSweepFilesDirectory) {
  const std::string text = "seeds = 1\n[data]\nroot = \"../data/TaxiBJ\"\n[axes]\nmodel = \"uniform\"\ntask = \"P1\"\n";
  EXPECT_EQ(parse_sweep_spec(text, "/repo/sweeps/a.toml", {}).sweep.data.root, "/repo/data/TaxiBJ");
  EXPECT_EQ(parse_sweep_spec(text, "/elsewhere/copy/sweeps/a.toml", {}).sweep.data.root, "/elsewhere/copy/data/TaxiBJ");
  SweepOverrides o;
  o.data_root = "/abs/root";
  EXPECT_EQ(parse_sweep_spec(text, "/repo/sweeps/a.toml", o).sweep.data.root, "/abs/root");
}

}  // namespace fufi_test_sweep_parser
