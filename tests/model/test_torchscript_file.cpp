// Reading a TorchScript file (model/src/torchscript_file.cpp): its bytes' SHA-256 (core's, the one job ids use),
// the archive's format version, the module; errors naming the file (not a zip, a torch.save() pickle, a newer
// format version, missing); the hash cache; the reason line of LibTorch's messages. Modules are built in C++.
#include <gtest/gtest.h>
#include <torch/version.h>
#include <unistd.h>

#include <caffe2/serialize/versions.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/core/sha256.h"
#include "fufi/model.h"
#include "scratch_dir.h"
#include "torchscript_file.h"
#include "torchscript_test_util.h"

namespace fufi_test_torchscript_file {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using fufi::test::error_of;

using namespace fufi;
using namespace fufi::model;
namespace fs = std::filesystem;

namespace {

fs::path file_test_dir() {
  static const test::ScratchDir dir("torchscript_file");
  return dir.path();
}

DataSpec file_test_spec() {
  DataSpec s;
  s.flow_channels = 1;
  s.coarse_h = s.coarse_w = 8;
  s.upscale = 4;
  s.ext_dim = 7;
  return s;
}

std::string saved_file(const std::string& name, const test::TinyScriptOptions& o = {}) {
  return test::save_module(test::tiny_script_module(o), file_test_dir() / (name + ".pt"));
}

std::shared_ptr<FufiModel> create_from_file(const std::string& path, const DataSpec& spec) {
  return ModelRegistry::instance().create("torchscript:" + path, spec, Config{});
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST(TorchScriptFile, LoadsTheModuleAndHashesExactlyItsBytes) {
  const auto path = saved_file("loaded");
  const auto file = model::detail::load_torchscript_file(path);
  EXPECT_EQ(file.path, path);
  EXPECT_EQ(file.sha256, sha256_hex(bytes_of(path)));
  EXPECT_GE(file.format_version, caffe2::serialize::kMinSupportedFileFormatVersion);
  EXPECT_LE(file.format_version, caffe2::serialize::kMaxSupportedFileFormatVersion);
  // The version is read from the archive's own record.
  const auto five = test::with_format_version(path, file_test_dir() / "version5.pt", 5);
  EXPECT_EQ(model::detail::load_torchscript_file(five).format_version, 5u);
  EXPECT_TRUE(file.module.find_method("forward").has_value());
  // The cached whole-file hash is the same function of the same bytes.
  EXPECT_EQ(model::detail::file_sha256(path), file.sha256);
  // Other parameters, other bytes, another hash.
  test::TinyScriptOptions other;
  other.seed = 99;
  EXPECT_NE(model::detail::load_torchscript_file(saved_file("loaded_other", other)).sha256, file.sha256);
}

TEST(TorchScriptFile, FileHashFollowsTheFileAndNamesAMissingOne) {
  const auto path = (file_test_dir() / "hashed.bin").string();
  std::ofstream(path, std::ios::binary) << "abc";
  EXPECT_EQ(model::detail::file_sha256(path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Rewritten (another size, so a cache keyed on size and time cannot return the old hash).
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "abcd";
  EXPECT_EQ(model::detail::file_sha256(path), sha256_hex("abcd"));
  test::expect_error<InputError>([&] { model::detail::file_sha256((file_test_dir() / "absent.bin").string()); },
                                 {"absent.bin", "does not exist"});
  test::expect_error<InputError>([&] { model::detail::file_sha256(file_test_dir().string()); },
                                 {file_test_dir().string(), "is a directory"});
}

TEST(TorchScriptFile, ErrorReasonIsTheTracebacksErrorLine) {
  EXPECT_EQ(model::detail::error_reason("Traceback of TorchScript:\n  File \"m.py\"\nRuntimeError: shapes differ\n"),
            "RuntimeError: shapes differ");
  EXPECT_EQ(model::detail::error_reason("first line\nsecond line"), "first line");
}

TEST(TorchScriptFile, NotTorchScriptFilesAreNamed) {
  const auto text = file_test_dir() / "notes.pt";
  std::ofstream(text) << "this is not a model\n";
  auto message = error_of<InputError>([&] { create_from_file(text.string(), file_test_spec()); });
  EXPECT_NE(message.find(text.string() + ": not a TorchScript file"), std::string::npos) << message;

  message = error_of<InputError>([&] { create_from_file((file_test_dir() / "absent.pt").string(), file_test_spec()); });
  EXPECT_NE(message.find("absent.pt: the TorchScript file does not exist"), std::string::npos) << message;

  // A state_dict written the way torch.save writes one (pickle_save: data.pkl, no code/).
  c10::Dict<std::string, at::Tensor> state;
  state.insert("w", torch::ones({2}));
  const auto bytes = torch::pickle_save(state);
  const auto pickled = file_test_dir() / "state_dict.pt";
  std::ofstream(pickled, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  message = error_of<InputError>([&] { create_from_file(pickled.string(), file_test_spec()); });
  EXPECT_NE(message.find("a torch.save() file"), std::string::npos) << message;
}

TEST(TorchScriptFile, NewerFormatVersionNamesBothVersions) {
  const auto good = saved_file("versioned");
  const auto newer = test::with_format_version(good, file_test_dir() / "newer.pt", 99);
  const auto message = error_of<InputError>([&] { create_from_file(newer, file_test_spec()); });
  EXPECT_NE(message.find(newer + ": saved by a newer PyTorch"), std::string::npos) << message;
  EXPECT_NE(message.find("format version is 99"), std::string::npos) << message;
  EXPECT_NE(message.find(std::string("LibTorch ") + TORCH_VERSION), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("reads format versions {} to {}", caffe2::serialize::kMinSupportedFileFormatVersion,
                                     caffe2::serialize::kMaxSupportedFileFormatVersion)),
            std::string::npos)
      << message;
  // The same archive at the version this LibTorch writes loads: the rewrite itself is sound.
  const auto same = test::with_format_version(good, file_test_dir() / "same.pt",
                                              caffe2::serialize::kProducedFileFormatVersion);
  EXPECT_NO_THROW(create_from_file(same, file_test_spec()));
}

}  // namespace fufi_test_torchscript_file
