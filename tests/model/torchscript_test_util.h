#pragma once
// TorchScript modules built in C++ (torch::jit::Module, define() with TorchScript source), so that the tests
// of "torchscript:" models need no Python. Shared by tests/model, tests/worker and the CLI tests' fixture tool.
#include <gtest/gtest.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>

#include <fmt/format.h>

namespace fufi::test {

// The message of the fufi::Error that `f` throws, with its kind checked; "" (and a test failure) otherwise.
template <class Kind, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Kind& e) {
    return e.message();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception";
  return "";
}


struct TinyScriptOptions {
  std::int64_t channels = 1;  // C
  std::int64_t upscale = 4;   // N
  std::int64_t width = 8;     // hidden channels
  bool ext = true;            // forward(self, x, ext) (else forward(self, x))
  std::string output = "density";  // the fufi_output attribute; "" sets none
  std::uint64_t seed = 7;
  std::string class_suffix;  // distinct class names for modules that live in one process
};

// An UrbanFM-shaped toy: conv3 C->W, ReLU, (+ a linear map of ext[:, 0:4] per channel), then a `head` submodule
// conv3 W->C·N² and PixelShuffle(N); ReLU + 1e-3 for a density, ReLU for a fine map. Parameters:
// w1, b1, [we,] head.weight, head.bias (so the state_dict names have a submodule level). C++ define() has no
// __call__ for submodules: the source calls self.head.forward(h).
inline torch::jit::Module tiny_script_module(const TinyScriptOptions& o = {}) {
  torch::manual_seed(static_cast<std::uint64_t>(o.seed));
  const auto W = o.width, C = o.channels, N = o.upscale;
  torch::jit::Module head("__torch__.TinyHead" + o.class_suffix);
  head.register_attribute("training", c10::BoolType::get(), true);  // as every module scripted in Python has
  head.register_parameter("weight", (torch::randn({C * N * N, W, 3, 3}) * 0.05).requires_grad_(), false);
  head.register_parameter("bias", torch::full({C * N * N}, 0.2).requires_grad_(), false);
  head.define(fmt::format(R"(
def forward(self, h):
    return torch.pixel_shuffle(torch.conv2d(h, self.weight, self.bias, [1, 1], [1, 1]), {})
)", N));
  torch::jit::Module m("__torch__.TinyScript" + o.class_suffix);
  m.register_attribute("training", c10::BoolType::get(), true);
  m.register_parameter("w1", (torch::randn({W, C, 3, 3}) * 0.3).requires_grad_(), false);
  m.register_parameter("b1", torch::zeros({W}).requires_grad_(), false);
  if (o.ext) m.register_parameter("we", (torch::randn({4, W}) * 0.1).requires_grad_(), false);
  m.register_module("head", head);
  if (!o.output.empty()) m.register_attribute("fufi_output", c10::StringType::get(), o.output);
  const std::string finish = o.output == "fine" ? "torch.relu(y)" : "torch.relu(y) + 0.001";
  if (o.ext) {
    m.define(fmt::format(R"(
def forward(self, x, ext):
    h = torch.relu(torch.conv2d(x, self.w1, self.b1, [1, 1], [1, 1]))
    h = h + torch.matmul(ext[:, 0:4], self.we).unsqueeze(2).unsqueeze(3)
    y = self.head.forward(h)
    return {}
)", finish));
  } else {
    m.define(fmt::format(R"(
def forward(self, x):
    h = torch.relu(torch.conv2d(x, self.w1, self.b1, [1, 1], [1, 1]))
    y = self.head.forward(h)
    return {}
)", finish));
  }
  return m;
}

// A module whose forward is `source` (a full "def forward..." text) with one parameter `w` of shape (1,)
// (requires_grad as given) and the fufi_output attribute `output` ("" for none).
inline torch::jit::Module script_module_with(const std::string& class_name, const std::string& source,
                                             const std::string& output = "density", bool trainable = true) {
  torch::jit::Module m("__torch__." + class_name);
  m.register_attribute("training", c10::BoolType::get(), true);
  m.register_parameter("w", torch::ones({1}).requires_grad_(trainable), false);
  if (!output.empty()) m.register_attribute("fufi_output", c10::StringType::get(), output);
  m.define(source);
  return m;
}

inline std::string save_module(torch::jit::Module m, const std::filesystem::path& path) {
  std::filesystem::create_directories(path.parent_path());
  m.save(path.string());
  return path.string();
}

// A copy of the TorchScript archive IN whose version record says `version` (a file "saved by a newer PyTorch").
inline std::string with_format_version(const std::string& in, const std::filesystem::path& out, std::uint64_t version) {
  caffe2::serialize::PyTorchStreamReader reader(in);
  caffe2::serialize::PyTorchStreamWriter writer(out.string());
  writer.setMinVersion(version);
  for (const auto& name : reader.getAllRecords()) {
    if (name == "version" || name == ".data/version") continue;  // the writer writes its own
    auto [data, size] = reader.getRecord(name);
    writer.writeRecord(name, data.get(), size);
  }
  writer.writeEndOfFile();
  return out.string();
}

}  // namespace fufi::test
