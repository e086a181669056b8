#pragma once
// The one place in model/ that reads a file: the TorchScript module a "torchscript:PATH" model names.
//
// Why here and not in worker/: the registry creates every model from its name wherever one is needed (the
// engine, checkpoints for `fufi infer`/`fufi export`, `fufi models`, the benchmarks, the sweep's fixture
// runner). Loading in worker/ and handing a module to the model would route "torchscript:" names around
// the registry at each of those sites. model/ still knows nothing of ranks, run directories or the DB: it
// reads only the file its own name gives, here, and nowhere else.
#include <torch/script.h>

#include <cstdint>
#include <string>

namespace fufi::model::detail {

struct TorchScriptFile {
  std::string path;                 // as given
  std::string sha256;               // of exactly the bytes the module was loaded from
  std::uint64_t format_version = 0; // the archive's `version` record (0 when it has none)
  torch::jit::Module module;        // on the CPU
};

// Reads PATH once, hashes the bytes, checks the archive (a zip of a TorchScript module, with a format
// version this LibTorch reads) and loads the module from the same bytes. InputError naming PATH: unreadable,
// not a zip, a torch.save() pickle instead of a module, a newer format version than this LibTorch reads
// (both versions named), or any other load failure (with LibTorch's reason).
TorchScriptFile load_torchscript_file(const std::string& path);

// SHA-256 (lower-case hex) of PATH's bytes; cached per (absolute path, size, modification time), so a sweep of
// many jobs hashes a model file once. InputError naming PATH when it cannot be read.
std::string file_sha256(const std::string& path);

// The line of a LibTorch/TorchScript error message that says what went wrong: a TorchScript traceback's last
// "...Error: ..." line, else the first line.
std::string error_reason(const std::string& what);

}  // namespace fufi::model::detail
