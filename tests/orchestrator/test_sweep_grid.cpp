// The grid expansion (sweep_grid.cpp) as the pure function it is: a SweepSpec built in code, no file, no data.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/orchestrator/job_id.h"
#include "fufi/orchestrator/sweep_grid.h"
#include "fufi/worker/train_config.h"

namespace fufi_test_sweep_grid {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

namespace {

SweepValue value(const std::string& text, const std::string& where = "g.toml:1") { return {text, where}; }

// uniform and historical (no model keys to speak of) on P1 of small synthetic data, two seeds.
SweepSpec small_spec() {
  SweepSpec spec;
  spec.sweep.name = "grid";
  spec.sweep.file = "g.toml";
  spec.sweep.data.synthetic = true;
  spec.sweep.data.synth.preset = "small";
  spec.sweep.data.synth.coarse_size = 8;
  spec.sweep.data.synth.upscale = 4;
  spec.sweep.data.synth.samples_per_task = 20;
  spec.models = {value("uniform"), value("historical")};
  spec.tasks = {value("P1")};
  spec.seeds = {1, 2};
  spec.training["epochs"] = value("3", "g.toml:4");
  spec.train_samples["P1"] = 14;
  return spec;
}

}  // namespace

TEST(SweepGrid, ModelsTasksVariantsAxesSeedsInOdometerOrder) {
  SweepSpec spec = small_spec();
  spec.axes.push_back({"lr", {value("0.001"), value("0.01")}});
  const auto grid = expand_grid(spec);
  ASSERT_EQ(grid.jobs.size(), 2u * 2u * 2u);  // models x lr x seeds
  EXPECT_EQ(grid.jobs[0].model(), "uniform");
  EXPECT_EQ(grid.jobs[0].settings().get_string("lr"), "0.001");
  EXPECT_EQ(grid.jobs[0].seed, 1u);
  EXPECT_EQ(grid.jobs[1].seed, 2u);  // seeds fastest
  EXPECT_EQ(grid.jobs[2].settings().get_string("lr"), "0.01");
  EXPECT_EQ(grid.jobs[4].model(), "historical");
  EXPECT_TRUE(grid.warnings.empty());
  for (const auto& j : grid.jobs) {
    EXPECT_DOUBLE_EQ(j.work(), 3.0 * 14);  // epochs x training samples
    EXPECT_EQ(j.resolved().get_string("model"), j.model());
    EXPECT_EQ(j.settings().source_of("epochs"), "g.toml:4");
  }
  // A pure function: the same spec, the same jobs.
  const auto again = expand_grid(spec);
  for (std::size_t i = 0; i < grid.jobs.size(); ++i) EXPECT_EQ(again.jobs[i].id, grid.jobs[i].id);
}

TEST(SweepGrid, PrecedenceIsTrainingModelAxesVariantSet) {
  SweepSpec spec = small_spec();
  spec.models = {value("uniform")};
  spec.seeds = {1};
  spec.training["lr"] = value("0.003");
  spec.per_model["uniform"]["lr"] = value("0.004");
  spec.variants = {{"a", {}}, {"b", {{"lr", value("0.005")}}}};
  auto grid = expand_grid(spec);
  ASSERT_EQ(grid.jobs.size(), 2u);
  EXPECT_EQ(grid.jobs[0].settings().get_string("lr"), "0.004");  // the model's over [training]
  EXPECT_EQ(grid.jobs[1].settings().get_string("lr"), "0.005");  // the variant's over the model's
  EXPECT_EQ(grid.jobs[1].variant(), "b");
  spec.variants.clear();
  spec.axes.push_back({"lr", {value("0.001")}});
  EXPECT_EQ(expand_grid(spec).jobs[0].settings().get_string("lr"), "0.001");  // an axis over the model's
  spec.sets["lr"] = value("0.006", "--set");
  grid = expand_grid(spec);
  ASSERT_EQ(grid.jobs.size(), 1u);
  EXPECT_EQ(grid.jobs[0].settings().get_string("lr"), "0.006");  // --set over everything
  EXPECT_EQ(grid.jobs[0].settings().source_of("lr"), "--set");
}

TEST(SweepGrid, FiltersMatchOnEffectiveValuesAndUnusedOnesWarn) {
  SweepSpec spec = small_spec();
  spec.exclude.push_back({{"model", {value("historical")}}});
  spec.exclude.push_back({{"task", {value("P4")}}});  // matches nothing
  spec.include.push_back({{"epochs", {value("3")}}});   // the [training] value
  const auto grid = expand_grid(spec);
  ASSERT_EQ(grid.jobs.size(), 2u);
  for (const auto& j : grid.jobs) EXPECT_EQ(j.model(), "uniform");
  ASSERT_EQ(grid.warnings.size(), 1u);
  EXPECT_NE(grid.warnings[0].find("[[exclude]] #2"), std::string::npos) << grid.warnings[0];
}

TEST(SweepGrid, ErrorsNameTheFileAndTheGridPoint) {
  SweepSpec spec = small_spec();
  spec.exclude.push_back({{"seed", {value("1"), value("2")}}});
  test::expect_error<UsageError>([&] { expand_grid(spec); }, {"g.toml", "no jobs"});
  spec = small_spec();
  spec.variants = {{"a", {}}, {"b", {}}};  // two names for one configuration
  test::expect_error<UsageError>([&] { expand_grid(spec); }, {"same job", "variant=a", "variant=b"});
  spec = small_spec();
  spec.training["lr"] = value("-1", "g.toml:7");
  test::expect_error<UsageError>([&] { expand_grid(spec); }, {"g.toml:7", "lr", "model=uniform task=P1 seed=1"});
}

// A configuration is resolved once for all its seeds (issue #17): every job must still be what resolving it on
// its own gives, with its own seed, id and group id.
TEST(SweepGrid, EveryJobIsItsOwnResolutionWithTheConfigurationShared) {
  SweepSpec spec = small_spec();
  spec.seeds = {5, 1, 1u << 31, 12345678901ull};
  spec.axes.push_back({"lr", {value("0.001"), value("1e-2")}});
  const auto grid = expand_grid(spec);
  ASSERT_EQ(grid.jobs.size(), 2u * 2u * 4u);
  const std::string data = spec.sweep.data.identity();
  for (std::size_t i = 0; i < grid.jobs.size(); ++i) {
    const auto& j = grid.jobs[i];
    EXPECT_EQ(j.seed, spec.seeds[i % 4]);
    const auto own = worker::resolve_job_settings(j.model(), j.settings(), j.seed);
    Config resolved;
    for (const auto& [k, v] : own.resolved.items()) resolved.set(k, normalise_value(v));
    EXPECT_EQ(j.resolved().items(), resolved.items()) << "job " << i;
    EXPECT_EQ(j.id, sha256_hex(job_identity_text(data, j.task(), resolved)));
    EXPECT_EQ(j.group_id(), sha256_hex(job_identity_text(data, j.task(), resolved, /*with_seed=*/false)));
    EXPECT_EQ(j.configuration, grid.jobs[i - i % 4].configuration);  // one per configuration, not per job
    const JobSpec spec_of = j.spec();
    EXPECT_EQ(spec_of.id, j.id);
    EXPECT_EQ(spec_of.group_id, j.group_id());
    EXPECT_EQ(spec_of.seed, j.seed);
    EXPECT_EQ(spec_of.resolved.items(), resolved.items());
    EXPECT_EQ(spec_of.settings.source_of("epochs"), "g.toml:4");
  }
  EXPECT_NE(grid.jobs[0].configuration, grid.jobs[4].configuration);
}

// A duplicate is found between configurations with disjoint filters too: only the seeds both keep clash.
TEST(SweepGrid, DuplicatesAreTheSeedsTwoAlikeConfigurationsBothKeep) {
  SweepSpec spec = small_spec();
  spec.models = {value("uniform")};
  spec.seeds = {1, 2, 3};
  spec.variants = {{"a", {}}, {"b", {}}};  // b changes nothing
  SweepFilter a_only_1, b_not_1;
  a_only_1["variant"] = {value("a")};
  a_only_1["seed"] = {value("2"), value("3")};
  b_not_1["variant"] = {value("b")};
  b_not_1["seed"] = {value("1")};
  spec.exclude = {a_only_1, b_not_1};
  const auto grid = expand_grid(spec);  // a keeps seed 1, b keeps 2 and 3: no job twice
  ASSERT_EQ(grid.jobs.size(), 3u);
  EXPECT_EQ(grid.jobs[0].group_id(), grid.jobs[1].group_id());
  spec.exclude = {a_only_1};  // b keeps seed 1 as well
  test::expect_error<UsageError>([&] { expand_grid(spec); },
                                 {"same job", "variant=a seed=1", "variant=b seed=1"});
}

}  // namespace fufi_test_sweep_grid
