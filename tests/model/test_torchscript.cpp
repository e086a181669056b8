// "torchscript:PATH" models (model/src/torchscript.cpp): the contract checks and their errors, the shared
// parameters, train/eval, the identity. Reading the file itself: test_torchscript_file.cpp. Modules are built in
// C++ (torchscript_test_util.h).
#include <gtest/gtest.h>
#include <torch/version.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fufi/core/error.h"
#include "fufi/model.h"
#include "fufi/model/torchscript.h"
#include "torchscript_test_util.h"

namespace fufi_test_torchscript {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using fufi::test::error_of;

using namespace fufi;
using namespace fufi::model;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("fufi_test_torchscript_" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// TaxiBJ-shaped at 8x8 -> 32x32 with ext, as the synthetic test data.
DataSpec spec_with_ext(bool ext = true) {
  DataSpec s;
  s.flow_channels = 1;
  s.coarse_h = s.coarse_w = 8;
  s.upscale = 4;
  s.ext_dim = ext ? 7 : 0;
  s.scaler_ratio = 1.5;
  return s;
}

std::string saved(const std::string& name, const test::TinyScriptOptions& o = {}) {
  return test::save_module(test::tiny_script_module(o), temp_dir() / (name + ".pt"));
}

std::shared_ptr<FufiModel> create(const std::string& path, const DataSpec& spec, const std::vector<std::string>& sets = {}) {
  return ModelRegistry::instance().create("torchscript:" + path, spec, Config::from_assignments(sets));
}

torch::Tensor ext_batch(std::int64_t b) {
  auto e = torch::zeros({b, 7});
  e.select(1, 4).fill_(3);
  e.select(1, 5).fill_(9);
  e.select(1, 6).fill_(2);
  return e;
}

}  // namespace

TEST(TorchScript, FamilyNamesAreModelsOfTheRegistry) {
  auto& r = ModelRegistry::instance();
  EXPECT_TRUE(r.contains("torchscript:anything.pt"));
  EXPECT_FALSE(r.contains("torchscript:"));
  EXPECT_FALSE(r.contains("torchscrip:x.pt"));
  EXPECT_EQ(r.get("torchscript:anything.pt").keys(), (std::vector<std::string>{"use_ext", "n2_eps"}));
  const auto message = error_of<UsageError>([&] { r.get("no_such_model"); });
  EXPECT_NE(message.find("torchscript:PATH.pt"), std::string::npos) << message;
  // Family members are not listed among the named models (`fufi models` with no names builds each of these).
  for (const auto& n : r.names()) EXPECT_FALSE(is_torchscript_name(n)) << n;
}

TEST(TorchScript, DensityModuleTrainsThroughFufisN2AndRecovery) {
  const auto path = saved("density");
  auto m = create(path, spec_with_ext());
  // The module's own names, a submodule level included; the same count as the module's parameters.
  std::vector<std::string> names;
  for (const auto& p : m->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"w1", "b1", "we", "head.weight", "head.bias"}));
  EXPECT_EQ(count_parameters(*m), 8 * 9 + 8 + 4 * 8 + 16 * 8 * 9 + 16);
  EXPECT_TRUE(m->trainable());

  auto x = torch::rand({3, 1, 8, 8}) * 5;
  auto out = m->forward({x, ext_batch(3)});
  ASSERT_EQ(out.fine.sizes(), (std::vector<std::int64_t>{3, 1, 32, 32}));
  // N2 + recovery: every 4x4 block sums to its coarse cell times scaler_ratio.
  EXPECT_TRUE(torch::allclose(block_sum(out.fine, 4), x * 1.5, 1e-4, 1e-4));
  // Gradients reach the module's parameters (the engine's optimiser holds these tensors).
  out.fine.sum().backward();
  for (const auto& p : m->parameters()) EXPECT_TRUE(p.grad().defined());
}

TEST(TorchScript, ParametersAreTheModulesOwnTensors) {
  const auto path = saved("shared");
  auto m = create(path, spec_with_ext());
  auto x = torch::rand({2, 1, 8, 8}) + 0.5;
  torch::NoGradGuard no_grad;
  auto before = m->forward({x, ext_batch(2)}).fine.clone();
  // Writing through the FufiModel's parameter (as load_checkpoint and Adam do) changes what the module computes.
  for (auto& p : m->named_parameters())
    if (p.key() == "head.weight") p.value().mul_(-3.0).add_(0.01);
  auto after = m->forward({x, ext_batch(2)}).fine;
  EXPECT_FALSE(torch::allclose(before, after));
  // set_data (what .to(device) and channels-last conversion do) keeps the tensor shared too.
  for (auto& p : m->parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(m->forward({x, ext_batch(2)}).fine, after, 1e-5, 1e-6));
}

TEST(TorchScript, FineModuleWithoutExtAndTheUseExtKey) {
  test::TinyScriptOptions o;
  o.ext = false;
  o.output = "fine";
  o.class_suffix = "Fine";
  const auto path = saved("fine_noext", o);
  // Data without ext: forward(x).
  auto m = create(path, spec_with_ext(false));
  auto x = torch::rand({2, 1, 8, 8});
  auto y = m->forward({x, {}}).fine;
  EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{2, 1, 32, 32}));
  EXPECT_GE(y.min().item<double>(), 0.0);
  // Data with ext: this module needs use_ext=false, and says so otherwise.
  auto message = error_of<UsageError>([&] { create(path, spec_with_ext(true)); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("wrong forward signature"), std::string::npos) << message;
  EXPECT_NE(message.find("use_ext=false"), std::string::npos) << message;
  EXPECT_NO_THROW(create(path, spec_with_ext(true), {"use_ext=false"}));
  // And a module that requires ext cannot serve data without it.
  const auto with_ext = saved("density_for_noext");
  message = error_of<UsageError>([&] { create(with_ext, spec_with_ext(false)); });
  EXPECT_NE(message.find("requires ext, but the data has no external factors"), std::string::npos) << message;
}

TEST(TorchScript, TrainAndEvalReachTheModule) {
  const auto path = test::save_module(test::script_module_with("ModeSwitch", R"(
def forward(self, x):
    y = torch.ones([x.size(0), x.size(1), x.size(2) * 4, x.size(3) * 4]) * self.w
    if self.training:
        return y
    return y * 3.0
)", "fine"),
                                      temp_dir() / "mode.pt");
  auto m = create(path, spec_with_ext(false));
  auto x = torch::zeros({1, 1, 8, 8});
  m->train();
  EXPECT_FLOAT_EQ(m->forward({x, {}}).fine.max().item<float>(), 1.0f);
  m->eval();
  EXPECT_FLOAT_EQ(m->forward({x, {}}).fine.max().item<float>(), 3.0f);
}

TEST(TorchScript, WrongSignaturesAreNamed) {
  struct Case {
    const char* name;
    const char* source;
    const char* needle;
  };
  const Case cases[] = {
      {"ThreeInputs", "def forward(self, x, ext, extra):\n    return x\n", "requires 3 inputs, fufi gives 2"},
      {"IntExt", "def forward(self, x, ext: int):\n    return x\n", "argument 'ext' is int, not a Tensor"},
      {"TupleOut", "def forward(self, x, ext):\n    return x, ext\n", "must return one Tensor"},
  };
  for (const auto& c : cases) {
    const auto path = test::save_module(test::script_module_with(c.name, c.source), temp_dir() / (std::string(c.name) + ".pt"));
    const auto message = error_of<UsageError>([&] { create(path, spec_with_ext()); });
    EXPECT_NE(message.find(path + ": wrong forward signature"), std::string::npos) << message;
    EXPECT_NE(message.find(c.needle), std::string::npos) << message;
  }
}

TEST(TorchScript, OutputContractIsChecked) {
  const std::string upsampled = "torch.ones([x.size(0), 1, 32, 32]) * self.w";
  struct Case {
    const char* name;
    std::string body;
    const char* output;
    const char* needle;
  };
  const Case cases[] = {
      {"CoarseOut", "x * self.w", "density", "forward returned a 2x1x8x8 Float tensor, expected a density (2, 1, 32, 32)"},
      {"NegativeDensity", upsampled + " - 2.0", "density", "forward returned negative values (min -1)"},
      {"NoAttribute", upsampled, "", "does not say what its forward returns: set self.fufi_output"},
      {"BadAttribute", upsampled, "probability", "must be \"density\" or \"fine\", got \"probability\""},
      {"Crashes", "torch.cat([x, ext], 1) * self.w", "density", "on a probe batch shaped like the data: coarse 2x1x8x8, ext 2x7"},
  };
  for (const auto& c : cases) {
    const auto path = test::save_module(
        test::script_module_with(c.name, "def forward(self, x, ext):\n    return " + c.body + "\n", c.output),
        temp_dir() / (std::string(c.name) + ".pt"));
    const auto message = error_of<UsageError>([&] { create(path, spec_with_ext()); });
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(c.needle), std::string::npos) << c.name << ": " << message;
  }
  // A negative fine map is allowed: only a density must be non-negative.
  const auto fine = test::save_module(
      test::script_module_with("NegativeFine", "def forward(self, x, ext):\n    return " + upsampled + " - 2.0\n", "fine"),
      temp_dir() / "negative_fine.pt");
  EXPECT_NO_THROW(create(fine, spec_with_ext()));
}

TEST(TorchScript, NoTrainableParametersIsAnError) {
  const auto path = test::save_module(
      test::script_module_with("Frozen", "def forward(self, x, ext):\n    return torch.ones([x.size(0), 1, 32, 32]) * self.w\n",
                               "density", /*trainable=*/false),
      temp_dir() / "frozen.pt");
  const auto message = error_of<UsageError>([&] { create(path, spec_with_ext()); });
  EXPECT_NE(message.find(path + ": the module has no trainable parameters (1 parameter values"), std::string::npos)
      << message;
}

TEST(TorchScript, IdentityNamesTheFilesHashAndPinsIt) {
  auto& r = ModelRegistry::instance();
  const auto path = saved("identity");
  const auto id = r.identity("torchscript:" + path);
  ASSERT_EQ(id.rfind("torchscript:" + fs::absolute(path).lexically_normal().string() + "@sha256:", 0), 0u) << id;
  EXPECT_EQ(id.size(), std::string("torchscript:").size() + fs::absolute(path).lexically_normal().string().size() + 8 + 64);
  EXPECT_EQ(r.identity("torchscript:" + path), id);
  EXPECT_EQ(r.identity("uniform"), "uniform");
  // The identity is itself a model name: it loads when the file is unchanged.
  EXPECT_NO_THROW(r.create(id, spec_with_ext(), {}));

  // Other bytes, another identity; the old pin is now refused, naming the file and both hashes.
  test::TinyScriptOptions other;
  other.seed = 99;
  saved("identity", other);
  const auto changed = r.identity("torchscript:" + path);
  EXPECT_NE(changed, id);
  const auto message = error_of<InputError>([&] { r.create(id, spec_with_ext(), {}); });
  EXPECT_NE(message.find(path + ": the file changed"), std::string::npos) << message;
  EXPECT_NE(message.find(changed.substr(changed.size() - 64)), std::string::npos) << message;
  EXPECT_THROW(r.identity(id), InputError);
}

TEST(TorchScript, RelativePathsBecomeAbsolute) {
  EXPECT_EQ(with_absolute_model_path("torchscript:m.pt", "/data/sweeps"), "torchscript:/data/sweeps/m.pt");
  EXPECT_EQ(with_absolute_model_path("torchscript:../models/m.pt", "/data/sweeps"), "torchscript:/data/models/m.pt");
  EXPECT_EQ(with_absolute_model_path("torchscript:/abs/m.pt", "/data/sweeps"), "torchscript:/abs/m.pt");
  EXPECT_EQ(with_absolute_model_path("torchscript:m.pt"), "torchscript:" + (fs::current_path() / "m.pt").string());
  const std::string pin = "@sha256:" + std::string(64, 'a');
  EXPECT_EQ(with_absolute_model_path("torchscript:m.pt" + pin, "/s"), "torchscript:/s/m.pt" + pin);
  EXPECT_EQ(with_absolute_model_path("plgf", "/s"), "plgf");
}

}  // namespace fufi_test_torchscript
