// Every registered model survives a checkpoint round trip: save, rebuild from the metadata, load, and
// the same inputs give the same outputs. (Catches module names TorchScript archives reject, buffers that
// are not registered, and metadata that does not rebuild the model.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "fufi/core/error.h"
#include "fufi/model/layers.h"
#include "fufi/model/registry.h"
#include "engine_test_util.h"
#include "fufi/worker/checkpoint.h"

namespace fufi_test_checkpoint {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;

namespace {

// Small configurations: the round trip does not depend on size.
const std::map<std::string, std::vector<std::string>>& small_configs() {
  static const std::map<std::string, std::vector<std::string>> configs{
      {"uniform", {}},
      {"historical", {}},
      {"urbanfm", {"channels=8", "residual_blocks=1"}},
      {"urbanpy", {"channels=8", "residual_blocks=1"}},
      {"deeplgr", {"channels=16", "se_blocks=1"}},
      {"fode", {"channels=32"}},
      {"urbanode", {"channels=32"}},
      {"cufar", {}},
      {"uno", {"edsr_blocks=1"}},
      {"srcnn", {"channels=8"}},
      {"espcn", {"channels=8"}},
      {"vdsr", {"channels=8"}},
      {"deepsd", {"channels=8"}},
      {"srresnet", {"channels=8"}},
      {"plgf", {"channels=16", "depth=2"}},
  };
  return configs;
}

}  // namespace

TEST(Checkpoint, EveryRegisteredModelRoundTrips) {
  model::DataSpec spec;
  spec.coarse_h = spec.coarse_w = 8;
  spec.upscale = 4;
  spec.ext_dim = 7;
  spec.hour_offset = 0;
  spec.hour_slots = 24;
  const auto dir = test::process_temp_dir("ckpt_roundtrip");
  std::filesystem::create_directories(dir);
  torch::manual_seed(0);
  auto fine = torch::poisson(torch::rand({3, 1, 32, 32}) * 5);
  model::ModelInput input{model::block_sum(fine, 4), torch::tensor({{0.5f, 0.2f, 0.f, 0.f, 3.f, 8.f, 1.f},
                                                                     {0.1f, 0.9f, 1.f, 1.f, 7.f, 23.f, 11.f},
                                                                     {0.7f, 0.0f, 0.f, 0.f, 1.f, 0.f, 4.f}})};
  auto& registry = model::ModelRegistry::instance();
  for (const auto& name : registry.names()) {
    if (name.rfind("test_", 0) == 0) continue;
    SCOPED_TRACE(name);
    auto it = small_configs().find(name);
    ASSERT_NE(it, small_configs().end()) << "add a small config for new model '" << name << "'";
    const auto config = registry.resolve(name, Config::from_assignments(it->second));
    auto m = registry.create(name, spec, config);
    if (m->needs_fit()) m->fit(input.coarse, fine);
    m->eval();
    CheckpointMeta meta;
    meta.model = name;
    meta.model_config = config;
    meta.spec = spec;
    const auto path = (dir / (name + ".ckpt")).string();
    save_checkpoint(path, *m, nullptr, meta);
    CheckpointMeta loaded_meta;
    auto loaded = load_model_from_checkpoint(path, &loaded_meta);
    EXPECT_EQ(loaded_meta.model_config.canonical(), config.canonical());
    loaded->eval();
    torch::NoGradGuard no_grad;
    auto a = m->forward(input).fine, b = loaded->forward(input).fine;
    EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6)) << "max difference " << (a - b).abs().max().item<float>();
  }
  std::filesystem::remove_all(dir);
}

TEST(Checkpoint, CorruptOrForeignFilesAreInputErrors) {
  const auto dir = test::process_temp_dir("ckpt_bad");
  std::filesystem::create_directories(dir);
  const auto path = (dir / "bad.ckpt").string();
  { std::ofstream(path) << "not a checkpoint"; }
  EXPECT_THROW(read_checkpoint_meta(path), fufi::InputError);
  EXPECT_THROW(read_checkpoint_meta((dir / "absent.ckpt").string()), fufi::InputError);
  std::filesystem::remove_all(dir);
}

}  // namespace fufi_test_checkpoint
