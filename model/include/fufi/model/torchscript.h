#pragma once
// Bring your own model (docs/BYO_MODEL.md): "torchscript:PATH" names a TorchScript module saved from PyTorch
// (torch.jit.script or trace, then save), trained by fufi like a built-in model.
//
// The module's contract:
//   forward(coarse: Tensor (B,C,h,w) float32[, ext: Tensor (B,7)]) -> Tensor (B,C,h·N,w·N)
//   - ext is passed when the data has external factors and the model key use_ext is true (the default);
//     a forward without ext needs use_ext=false there, and a forward that requires ext needs data with it.
//   - fufi_output (a str attribute, set in __init__): "density" — forward returns a non-negative density and
//     fufi applies N2 normalisation (n2_normalize with N2Variant::Smoothed, layers.h, eps n2_eps) and the recovery to the coarse
//     map (recover_from_density), so every N×N block sums to its coarse cell; "fine" — forward returns the fine
//     map itself (scaled fine units), unconstrained.
//   - at least one parameter with requires_grad: fufi trains the module's parameters (their values in the file
//     are the initial values, for every seed).
// The model is checked when it is built: the signature, the attribute, the parameters, and one forward of a
// two-sample probe batch shaped like the data (output shape; a density must be non-negative). Errors are
// InputError/UsageError naming the file (exit 2). During training a forward's output shape is checked every
// time; a negative density value is treated as zero mass by the N2 (a check there would need a device-to-host
// copy every step, and could stop one rank of a data-parallel group while the others wait).
//
// The model's named_parameters() and named_buffers() are the module's own, under the module's state_dict
// names ("head.0.weight"): checkpoints hold them, and `fufi export` writes them back as a state_dict.
#include <string>

#include "fufi/model/registry.h"

namespace fufi::model {

// The family prefix: models "torchscript:PATH", or "torchscript:PATH@sha256:HEX" (then the file must have
// exactly that SHA-256, else InputError).
inline constexpr const char* kTorchScriptFamily = "torchscript";
// The module attribute that says what forward returns: "density" or "fine".
inline constexpr const char* kTorchScriptOutputAttribute = "fufi_output";

bool is_torchscript_name(const std::string& name);

// "torchscript:REL" -> "torchscript:BASE/REL", absolute and lexically normal (BASE empty: the working
// directory; a relative BASE is taken from the working directory). Absolute paths, pins and every other
// model name come back unchanged. A sweep resolves against the sweep file's directory, `fufi train` against
// the working directory.
std::string with_absolute_model_path(const std::string& name, const std::string& base_dir = "");

// Registers the "torchscript" family (called by register_builtin_models). Its identity is
// "torchscript:/ABS/PATH@sha256:HEX" (the SHA-256 of the file's bytes): it is the "model" key of a job's
// resolved configuration, so a changed file is another job and its checkpoints do not resume.
void register_torchscript_family(ModelRegistry& registry);

}  // namespace fufi::model
