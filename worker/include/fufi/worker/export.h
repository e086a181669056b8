#pragma once
// `fufi export`: a checkpoint's weights as a plain state_dict for PyTorch. The file is the zip archive that
// Python's torch.save writes (data.pkl + one record per tensor storage) holding a plain dict
// {name: tensor}, so `torch.load(PATH)` reads it, weights_only=True included, and
// `model.load_state_dict(torch.load(PATH))` restores a PyTorch module with these names. For a
// "torchscript:" model the names are the module's own state_dict names; for a built-in model they are
// fufi's (docs/BYO_MODEL.md).
#include <cstdint>
#include <string>

namespace fufi::worker {

struct ExportSummary {
  std::string model;            // the checkpoint's model name
  std::int64_t tensors = 0;     // entries in the state_dict (parameters and buffers)
  std::int64_t parameters = 0;  // parameter values (as `fufi models` counts them)
};

// Writes OUT from CHECKPOINT (a last.ckpt or best.ckpt of fufi train / fufi sweep): every parameter and buffer,
// detached, on the CPU, contiguous. Written atomically (temporary file, then rename). InputError naming the
// checkpoint when it is not one (or its TorchScript file changed since training), naming OUT when it cannot be
// written.
ExportSummary export_state_dict(const std::string& checkpoint, const std::string& out);

}  // namespace fufi::worker
