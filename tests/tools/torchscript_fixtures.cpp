// Writes the TorchScript files the CLI tests use (orchestrator/test_cli_byo.sh), built in C++ so that the tests need no
// Python. Usage: torchscript_fixtures OUT_DIR
#include <filesystem>
#include <fstream>
#include <iostream>

#include "../model/torchscript_test_util.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: torchscript_fixtures OUT_DIR\n";
    return 2;
  }
  namespace fs = std::filesystem;
  using namespace fufi::test;
  const fs::path out = argv[1];
  fs::create_directories(out);
  const auto density = save_module(tiny_script_module(), out / "density.pt");
  TinyScriptOptions fine;
  fine.ext = false;
  fine.output = "fine";
  fine.class_suffix = "Fine";
  save_module(tiny_script_module(fine), out / "fine_noext.pt");
  with_format_version(density, out / "newer.pt", 99);
  save_module(script_module_with("Negative", "def forward(self, x, ext):\n    return x.repeat_interleave(4, 2).repeat_interleave(4, 3) * self.w - 1.0\n"),
              out / "negative.pt");
  save_module(script_module_with("WrongSignature", "def forward(self, x):\n    return x.repeat_interleave(4, 2).repeat_interleave(4, 3) * self.w\n"),
              out / "wrong_signature.pt");
  save_module(script_module_with("CoarseOutput", "def forward(self, x, ext):\n    return x * self.w\n"), out / "wrong_shape.pt");
  save_module(script_module_with("Frozen", "def forward(self, x, ext):\n    return x.repeat_interleave(4, 2).repeat_interleave(4, 3) * self.w\n",
                                 "density", /*trainable=*/false),
              out / "frozen.pt");
  std::ofstream(out / "notes.pt") << "not a model\n";
  return 0;
}
