// `fufi export` (worker/src/export.cpp): a checkpoint's weights as a plain state_dict, read back here with
// torch::pickle_load (the CLI test reads it with Python's torch.load when python3-torch is installed).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../model/torchscript_test_util.h"
#include "engine_test_util.h"
#include "fufi/core/error.h"
#include "fufi/worker/checkpoint.h"
#include "fufi/worker/engine.h"
#include "fufi/worker/export.h"

namespace fufi_test_export {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;
namespace fs = std::filesystem;

namespace {

std::string trained(const std::string& model, const std::string& name) {
  const auto dir = test::process_temp_dir("export_" + name);
  fs::remove_all(dir);
  TrainJob job;
  job.model = model;
  job.data_dir = test::tiny_dataset("export");
  job.settings = Config::from_assignments({"epochs=1", "batch_size=8", "threads=1", "loss=mse"});
  job.run_dir = dir.string();
  RunDirSink sink(job.run_dir);
  auto comm = make_local_communicator();
  const auto r = run_training(job, sink, *comm);
  EXPECT_EQ(r.status, "done") << r.error;
  return job.run_dir + "/best.ckpt";
}

// name -> tensor of an exported file, read as PyTorch would read it.
std::map<std::string, torch::Tensor> read_state_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  const auto value = torch::pickle_load(bytes);
  EXPECT_TRUE(value.isGenericDict());
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : value.toGenericDict()) out[item.key().toStringRef()] = item.value().toTensor();
  return out;
}

}  // namespace

TEST(Export, TorchScriptModelGivesTheModulesStateDict) {
  const auto module = test::save_module(test::tiny_script_module(), test::process_temp_dir("export_modules") / "m.pt");
  const auto ckpt = trained("torchscript:" + module, "ts");
  const auto out = test::process_temp_dir("export_ts") / "weights.pt";
  const auto s = export_state_dict(ckpt, out.string());
  EXPECT_EQ(s.tensors, 5);
  EXPECT_EQ(s.parameters, 1280);
  const auto state = read_state_dict(out.string());
  // The names a PyTorch module of this architecture has, and the trained values of the checkpoint.
  auto model = load_model_from_checkpoint(ckpt);
  ASSERT_EQ(state.size(), 5u);
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(state.count(p.key())) << p.key();
    EXPECT_TRUE(torch::equal(state.at(p.key()), p.value().detach().contiguous())) << p.key();
    EXPECT_FALSE(state.at(p.key()).requires_grad());
    EXPECT_TRUE(state.at(p.key()).is_contiguous());
  }
  // Trained: not the file's initial values.
  auto initial = torch::jit::load(module).attr("w1").toTensor();
  EXPECT_FALSE(torch::equal(state.at("w1"), initial));
}

TEST(Export, BuiltinModelsExportUnderFufisNames) {
  test::register_tiny_convnet();
  const auto ckpt = trained("test_tiny_convnet", "builtin");
  const auto out = test::process_temp_dir("export_builtin") / "weights.pt";
  const auto s = export_state_dict(ckpt, out.string());
  const auto state = read_state_dict(out.string());
  EXPECT_EQ(static_cast<std::int64_t>(state.size()), s.tensors);
  EXPECT_TRUE(state.count("c1.weight"));
  EXPECT_TRUE(state.count("c2.bias"));
}

TEST(Export, ErrorsNameTheFile) {
  const auto dir = test::process_temp_dir("export_errors");
  fs::create_directories(dir);
  const auto not_ckpt = dir / "not.ckpt";
  std::ofstream(not_ckpt) << "text";
  try {
    export_state_dict(not_ckpt.string(), (dir / "w.pt").string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(e.message().find(not_ckpt.string()), std::string::npos) << e.message();
  }
  test::register_tiny_convnet();
  const auto ckpt = trained("test_tiny_convnet", "errors");
  const auto unwritable = dir / "no_such_dir" / "w.pt";
  try {
    export_state_dict(ckpt, unwritable.string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(e.message().find(unwritable.string()), std::string::npos) << e.message();
  }
}

}  // namespace fufi_test_export
