// Sweep files end to end (sweep.cpp: parse, then expand): grid expansion, filters, precedence, job ids
// (stable under reordering), data roots. The parser's errors: test_sweep_parser.cpp; the expansion on its
// own: test_sweep_grid.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "fufi/core/error.h"
#include "fufi/orchestrator/sweep.h"
#include "expect_error.h"
#include "scratch_dir.h"
#include "sweep_fixture.h"
#include "../model/torchscript_test_util.h"

namespace fufi_test_sweep {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;
using fufi::test::base_sweep;

TEST(SweepFile, ExpandsTheGridWithPerModelOverrides) {
  const auto s = parse_sweep(base_sweep(), "unit.toml");
  EXPECT_EQ(s.name, "unit");
  EXPECT_EQ(s.max_attempts, 2);
  ASSERT_EQ(s.jobs.size(), 2u * 2u * 2u);  // models x tasks x seeds
  std::set<std::string> ids, groups;
  for (const auto& j : s.jobs) {
    EXPECT_EQ(j.id.size(), 64u);
    ids.insert(j.id);
    groups.insert(j.group_id());
    EXPECT_EQ(j.resolved().get_string("epochs"), "2");
    EXPECT_EQ(j.resolved().get_string("lr"), "0.0003");  // normalised
    EXPECT_EQ(j.resolved().get_string("model"), j.model());
    EXPECT_EQ(j.resolved().get_string("channels"), j.model() == "srcnn" ? "8" : "64");  // espcn keeps its default
    EXPECT_DOUBLE_EQ(j.work(), 2.0 * 28);  // epochs x 70 % of 40 samples
  }
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_EQ(groups.size(), 4u);  // seeds share a configuration
  EXPECT_EQ(s.jobs[0].model(), "srcnn");
  EXPECT_EQ(s.jobs[0].seed, 1u);
  EXPECT_EQ(s.jobs[1].seed, 2u);
  EXPECT_EQ(s.jobs[0].settings().source_of("channels"), "unit.toml:16");
  EXPECT_NE(s.data.identity().find("synthetic:preset=small,seed=2026,coarse_size=8,upscale=4,samples_per_task=40"),
            std::string::npos);
}

TEST(SweepFile, IdsDependOnContentNotOnKeyOrderOrNumberSpelling) {
  const char* reordered = R"(
[models]
srcnn = { channels = 8.0 }
[axes]
task = ["P1", "P2"]
model = ["srcnn", "espcn"]
[training]
lr = 0.0003
epochs = 2
[data]
samples_per_task = 40
upscale = 4
coarse_size = 8
synthetic = "small"
seeds = [1, 2]
name = "renamed"
)";
  // Keys at the end of a table belong to it in TOML, so `seeds` and `name` above sit in [data]: move them up.
  std::string text = reordered;
  text.erase(text.find("seeds = [1, 2]"));
  text = "seeds = [1, 2]\nname = \"renamed\"\n" + text;
  const auto a = parse_sweep(base_sweep(), "a.toml");
  const auto b = parse_sweep(text, "b.toml");
  std::set<std::string> ids_a, ids_b;
  for (const auto& j : a.jobs) ids_a.insert(j.id);
  for (const auto& j : b.jobs) ids_b.insert(j.id);
  EXPECT_EQ(ids_a, ids_b);
  // A different value is a different job.
  std::string changed = base_sweep();
  changed.replace(changed.find("epochs = 2"), 10, "epochs = 3");
  for (const auto& j : parse_sweep(changed, "c.toml").jobs) EXPECT_EQ(ids_a.count(j.id), 0u);
  // The id is the SHA-256 of the documented canonical text.
  const auto& j = a.jobs.front();
  EXPECT_EQ(j.id, sha256_hex(job_identity_text(a.data.identity(), j.task(), j.resolved())));
  EXPECT_EQ(job_identity_text(a.data.identity(), j.task(), j.resolved()).rfind("fufi-job-v2\ndata=synthetic:", 0), 0u);
  // How a job runs is not what it computes: execution-only keys leave the ids alone (a rerun on another
  // device or with other threads resumes the same jobs)...
  const auto run_elsewhere =
      parse_sweep(base_sweep(), "d.toml", {{"threads=1", "device=cpu", "grad_overlap=false", "grad_bucket_mb=8",
                                           "eval_batch_size=5"}, ""});
  std::set<std::string> ids_d;
  for (const auto& job : run_elsewhere.jobs) ids_d.insert(job.id);
  EXPECT_EQ(ids_a, ids_d);
  // ...while they still reach the engine.
  EXPECT_EQ(run_elsewhere.jobs.front().resolved().get_string("grad_bucket_mb"), "8");
}

TEST(SweepFile, VariantsFiltersSeedsAndSets) {
  const char* text = R"(
seeds = [7]
max_attempts = 3
[data]
synthetic = "small"
[axes]
model = ["plgf", "uniform"]
task = "P1"
[variants]
full = {}
wo_film = { film = false }
[[exclude]]
model = "uniform"
variant = "wo_film"
[[exclude]]
model = "uniform"
variant = "full"
task = "P4"
)";
  const auto s = parse_sweep(text, "v.toml", {{"epochs=1"}, ""});
  EXPECT_EQ(s.max_attempts, 3);
  ASSERT_EQ(s.jobs.size(), 3u);  // plgf x 2 variants + uniform x full
  EXPECT_EQ(s.jobs[0].variant(), "full");
  EXPECT_EQ(s.jobs[1].variant(), "wo_film");
  EXPECT_EQ(s.jobs[1].resolved().get_string("film"), "false");
  EXPECT_EQ(s.jobs[0].resolved().get_string("film"), "true");
  EXPECT_EQ(s.jobs[2].model(), "uniform");
  for (const auto& j : s.jobs) {
    EXPECT_EQ(j.seed, 7u);
    EXPECT_EQ(j.resolved().get_string("epochs"), "1");  // --set
  }
  ASSERT_EQ(s.warnings.size(), 1u);  // the second exclude matches nothing (no P4)
  EXPECT_NE(s.warnings[0].find("#2"), std::string::npos);

  // include keeps only matching jobs; a filter may match on defaults and lists.
  const char* included = R"(
seeds = 1
[data]
synthetic = "small"
[axes]
model = ["srcnn", "espcn", "vdsr"]
task = ["P1", "P2"]
[[include]]
model = ["srcnn", "vdsr"]
channels = 64
task = "P2"
)";
  const auto inc = parse_sweep(included, "i.toml");
  ASSERT_EQ(inc.jobs.size(), 2u);
  EXPECT_EQ(inc.jobs[0].model(), "srcnn");
  EXPECT_EQ(inc.jobs[1].model(), "vdsr");
  EXPECT_EQ(inc.jobs[0].task(), "P2");
  // Five seeds by default, as the paper averages five runs.
  EXPECT_EQ(parse_sweep("[data]\nsynthetic = \"small\"\n[axes]\nmodel = \"uniform\"\ntask = \"P1\"\n", "d.toml").jobs.size(), 5u);
}

TEST(SweepFile, DataRootSweepsNeedTheirTasksAndRecordTheAbsoluteRoot) {
  const test::ScratchDir scratch("sweep_root");
  const std::filesystem::path dir = scratch.path();
  std::filesystem::create_directories(dir / "P1" / "train");
  std::filesystem::create_directories(dir / "P2" / "train");
  for (const char* t : {"P1", "P2"}) std::ofstream(dir / t / "train" / "X.npy") << "x";
  const std::string text = "seeds = 1\n[data]\nroot = \"" + dir.string() + "/\"\n[axes]\nmodel = \"uniform\"\n";
  const auto s = parse_sweep(text, "r.toml");
  ASSERT_EQ(s.jobs.size(), 2u);  // every task of the root
  EXPECT_EQ(s.data.identity(), "root:" + dir.string());
  const std::string bad = "seeds = 1\n[data]\nroot = \"" + dir.string() + "\"\n[axes]\nmodel = \"uniform\"\ntask = \"P3\"\n";
  test::expect_error<UsageError>([&] { parse_sweep(bad, "bad.toml"); }, {"bad.toml:6", "unknown task 'P3'"});
  const auto moved = parse_sweep(text, "r.toml", {{}, (dir / "P1" / "..").string()});
  EXPECT_EQ(moved.jobs.front().id, s.jobs.front().id);  // the same root, spelled differently
}

// Errors the engine's resolution finds (sweep_grid.cpp) still name the line that set the key.
TEST(SweepFile, ResolutionErrorsNameTheLineAndTheJob) {
  const std::string data = "[data]\nsynthetic = \"small\"\n";
  auto expect_error = [](const std::string& text, const std::vector<std::string>& needles) {
    test::expect_error<UsageError>([&] { parse_sweep(text, "bad.toml"); }, needles);
  };
  expect_error(data + "[training]\nepochs = 2.5\n[axes]\nmodel = \"srcnn\"\n", {"bad.toml:4", "epochs", "integer"});
  expect_error(data + "[training]\nlr = -1.0\n[axes]\nmodel = \"srcnn\"\n", {"bad.toml:4", "lr", "positive"});
  expect_error(data + "[training]\nfilm = true\n[axes]\nmodel = \"srcnn\"\n", {"bad.toml:4", "unknown key 'film'", "srcnn"});
  expect_error(data + "[axes]\nmodel = \"srcnn\"\n[variants]\na = {}\nb = { channels = 64 }\n",
               {"same job", "variant=a", "variant=b"});
}

// torchscript:PATH models: PATH is taken from the sweep file's directory; the file's SHA-256 is part of the job
// id (a changed file gives new jobs), and [models."torchscript:PATH"] and filters name the model as written.
TEST(SweepFile, TorchScriptModelsResolveBesideTheSweepAndHashTheirFile) {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / ("fufi_sweep_torchscript_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto module = test::save_module(test::tiny_script_module(), dir / "models" / "m.pt");
  const std::string text = "seeds = 1\n" + test::small_data_fixture() + R"([axes]
model = ["torchscript:models/m.pt", "uniform"]
task = "P1"
[models."torchscript:models/m.pt"]
n2_eps = 1e-6
[[exclude]]
model = "torchscript:models/m.pt"
task = "P2"
)";
  const std::string sweep_path = (dir / "s.toml").string();
  const auto s = parse_sweep(text, sweep_path);
  ASSERT_EQ(s.jobs.size(), 2u);
  const auto& job = s.jobs.front();
  EXPECT_EQ(job.model(), "torchscript:" + module);
  EXPECT_EQ(job.settings().get_string("n2_eps"), "1e-06");
  const std::string identity = job.resolved().get_string("model");
  EXPECT_EQ(identity.rfind("torchscript:" + module + "@sha256:", 0), 0u) << identity;
  EXPECT_NE(job_identity_text(s.data.identity(), "P1", job.resolved()).find("model=" + identity), std::string::npos);
  EXPECT_EQ(parse_sweep(text, sweep_path).jobs.front().id, job.id);  // same file, same id

  // New bytes in the file: a new job id (the uniform job keeps its id).
  test::TinyScriptOptions other;
  other.seed = 42;
  test::save_module(test::tiny_script_module(other), module);
  const auto changed = parse_sweep(text, sweep_path);
  EXPECT_NE(changed.jobs.front().id, job.id);
  EXPECT_EQ(changed.jobs.back().id, s.jobs.back().id);

  // A missing file is an error naming the file and the line of the sweep that uses it.
  fs::remove(module);
  try {
    parse_sweep(text, sweep_path);
    ADD_FAILURE() << "accepted a missing model file";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(sweep_path + ":8"), std::string::npos) << e.message();  // the model axis
    EXPECT_NE(e.message().find(module + ": the TorchScript file does not exist"), std::string::npos) << e.message();
    EXPECT_EQ(e.exit_code(), 2);
  }
  fs::remove_all(dir);
}

// Job ids are what existing DBs resume by: a change to how they are computed must leave them as they were.
// These ids were written by fufi before the configuration-per-seed-list expansion (issue #17, main at
// 763bb4a: `fufi sweep` of this file, then SELECT job_id, group_id ... ORDER BY position), with a variant,
// an axis, a seed list and two filters.
TEST(SweepFile, JobIdsAreThoseExistingDatabasesHold) {
  const char* text = R"(name = "pin2"
seeds = [3, 7, 11]
[data]
synthetic = "small"
coarse_size = 8
upscale = 4
samples_per_task = 40
[training]
epochs = 1
[axes]
model = ["uniform"]
task = ["P1", "P2"]
lr = [0.001, 3e-4]
[variants]
base = {}
decay = { weight_decay = 0.0001 }
[[exclude]]
task = "P2"
seed = 11
[[exclude]]
variant = "decay"
lr = 0.001
)";
  const std::vector<std::pair<std::string, std::string>> pinned{
      {"07c905f4163e63d9049411a5ad8cf6ad827e3fdece7496beea132a5461bf1114", "514c6e53b29a77d9f87d1293459b8bb35f0d4525c15e1aaaff4e823d6b713e0d"},
      {"b6038e8288a9f72aba402bb2842c8fa536898c6d59b4fd855213bda1091ead29", "514c6e53b29a77d9f87d1293459b8bb35f0d4525c15e1aaaff4e823d6b713e0d"},
      {"a2cfddcc9f6c54f35e1dcb77b3034718e117e958b07f9c9240f82ae13c0db10d", "514c6e53b29a77d9f87d1293459b8bb35f0d4525c15e1aaaff4e823d6b713e0d"},
      {"a79d8e5f7a0bb9d5520a8c4f7d14b93ee42311712f282ba381057a3f63a29d3f", "9a699ed8e19a635423c8f78ee935274f88ed6eb169a71ce846be1584fc10dac3"},
      {"9c213885b94d992aea266201dc257082e5b4b66bc31c7c5946b2f62736fa8ef4", "9a699ed8e19a635423c8f78ee935274f88ed6eb169a71ce846be1584fc10dac3"},
      {"49ae6f2303abe63ea806135ea3199d0810f08be6dea1fd6585cfab0b100b3a04", "9a699ed8e19a635423c8f78ee935274f88ed6eb169a71ce846be1584fc10dac3"},
      {"6203829cc2a812eca8fb5185dd747e50533ac779fcc5bbd9ee2a92fd9033246c", "d58028f972e2d7a88bd686d4d246eb61135f4569c288f54f936db1ff31b6076f"},
      {"b57e1c0c649e8c64bc9b5fb0e298246164ac2d73e6a18834aa6589bb4029e023", "d58028f972e2d7a88bd686d4d246eb61135f4569c288f54f936db1ff31b6076f"},
      {"7e3723a9bb29321f06f7fd44f7a27e817f551dd908e261625cb163b535dc374c", "d58028f972e2d7a88bd686d4d246eb61135f4569c288f54f936db1ff31b6076f"},
      {"6ac02d1220654ee6359bb49fbbcbfec94286d5007a314aad480a4b6d443600d1", "ac63e2ebe54243985be392053edd37e80b7dfa6a235ca0efb5e190dd3f867f99"},
      {"d46c7161871657b75e825f1f0b5a39cafeec4a6b88f41659a91fa110da1bd57a", "ac63e2ebe54243985be392053edd37e80b7dfa6a235ca0efb5e190dd3f867f99"},
      {"e44eea9be5c303d086a358602675138b0612e151c1db0a0ca9e3998c4196d6cd", "0ff30f16cbbfac6b715353551fde29eb7e0a9f2e1b8d1ba95c9c00bd688e1085"},
      {"f838d6ec1539190a47f4f132dcd07d1993e31fb46e6749f0680da654aa6d9af7", "0ff30f16cbbfac6b715353551fde29eb7e0a9f2e1b8d1ba95c9c00bd688e1085"},
      {"d043983780f9208ad4fd24e900f4bc8eb50398b98f39b5f58cd90548f365ef13", "6225735ae0fb125dc640edb61e66e030760dacce5650b0f0e834ef971a81788e"},
      {"9bcf3ce47c978e4322ee1a8bdcd231d3b000baacfe220169af221b9f72ea039f", "6225735ae0fb125dc640edb61e66e030760dacce5650b0f0e834ef971a81788e"}};
  const auto s = parse_sweep(text, "pin2.toml");
  ASSERT_EQ(s.jobs.size(), pinned.size());
  for (std::size_t i = 0; i < pinned.size(); ++i) {
    EXPECT_EQ(s.jobs[i].id, pinned[i].first) << "job " << i;
    EXPECT_EQ(s.jobs[i].group_id(), pinned[i].second) << "job " << i;
    // The shared configuration and the job's own seed give the text the id hashes.
    EXPECT_EQ(s.jobs[i].id, sha256_hex(job_identity_text(s.data.identity(), s.jobs[i].task(), s.jobs[i].resolved())));
    EXPECT_EQ(s.jobs[i].resolved().get_string("seed"), std::to_string(s.jobs[i].seed));
  }
  EXPECT_EQ(s.jobs[0].seed, 3u);
  EXPECT_EQ(s.jobs[8].variant(), "decay");
  EXPECT_EQ(s.jobs[10].task(), "P2");
  EXPECT_EQ(s.jobs[10].seed, 7u);
  // The jobs of a configuration share one.
  EXPECT_EQ(s.jobs[0].configuration, s.jobs[2].configuration);
  EXPECT_NE(s.jobs[2].configuration, s.jobs[3].configuration);
}

}  // namespace fufi_test_sweep
