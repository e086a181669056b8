#pragma once
// Choices that depend on the model AND the machine, made by measurement on the machine that runs the job
// (issue #17). Today: the memory format. channels_last=auto times a few forward+backward passes of the job's
// own model at its own batch shape in NCHW and in channels-last (NHWC) on this device, keeps the faster, and
// caches the answer per (model and its config, data shape, batch, loss, precision, device, threads, LibTorch),
// so that every later job of that kind on this machine runs the same kernels — the same numbers — without
// measuring again. The choice and its timings go into metrics.json and the job's provenance.
//
// Why measure: channels_last makes PLGF's CPU step faster on one machine and UrbanFM's (BatchNorm and
// PixelShuffle in NHWC) twice as slow; SRResNet's NHWC step was 3x its NCHW step on an AMD EPYC where PLGF's
// was 16 % slower (docs/PERFORMANCE.md). No fixed table serves every model and CPU.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "fufi/model/losses.h"
#include "fufi/model/model.h"

namespace fufi::worker {

struct MemoryFormatChoice {
  bool channels_last = true;
  std::string source;      // "set" (the user's key), "measured", "cached"
  double contiguous_ms = 0;  // median forward+backward, NCHW (0 when not measured)
  double channels_last_ms = 0;
};

// The cache file: $FUFI_AUTOTUNE_CACHE, else $XDG_CACHE_HOME/fufi/autotune.json, else ~/.cache/fufi/autotune.json.
std::string autotune_cache_path();

// What identifies one measurement: the model (name, resolved config), the input shape (X's sizes and whether ext
// is given), the loss, bf16, the device's name, the thread count and the LibTorch version.
std::string memory_format_key(const std::string& model_name, const std::string& model_config,
                              const torch::Tensor& sample_x, bool has_ext, const std::string& loss,
                              bool bf16, const torch::Device& device);

// Measures (or reads the cache for `key`): `steps` timed forward+backward passes after one warm-up, in each
// format, on `sample` (X, Y, ext on `device`). The model's parameters, buffers, gradients and the torch RNG
// state are restored afterwards, so the run that follows is the run it would have been; the model is left in
// the chosen format. `loss` null: the model's own objective. A cache that cannot be read or written is
// ignored (the choice is then measured each time) — never an error.
MemoryFormatChoice choose_memory_format(model::FufiModel& model, const std::shared_ptr<model::Loss>& loss,
                                        const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& ext,
                                        bool bf16, const std::string& key, int steps = 2);

// The same choice for inference (`fufi infer`): `steps` timed forwards after one warm-up in each format, in
// inference mode, on `x` and `ext`; cached under "inference|" + key. The model is left in the chosen format;
// the caller converts its inputs. Forward-only: the answer can differ from training's (SRResNet trains faster
// in NHWC and its forward alone was faster too; UrbanPy trains in NCHW but infers faster in NHWC here).
MemoryFormatChoice choose_inference_memory_format(model::FufiModel& model, const torch::Tensor& x,
                                                  const torch::Tensor& ext, const std::string& key, int steps = 2);

}  // namespace fufi::worker
