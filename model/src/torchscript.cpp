// TorchScript models: a module saved from PyTorch, wrapped as a FufiModel whose parameters are the
// module's own tensors (torchscript.h states the contract; docs/BYO_MODEL.md walks an example).
#include "fufi/model/torchscript.h"

#include <torch/csrc/jit/runtime/graph_executor.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <sstream>
#include <unordered_set>

#include "fufi/core/error.h"
#include "fufi/model/builtin.h"
#include "fufi/model/layers.h"
#include "torchscript_file.h"

namespace fs = std::filesystem;

namespace fufi::model {

namespace {

constexpr const char* kPin = "@sha256:";
constexpr std::size_t kHexDigits = 64;

struct ModelPath {
  std::string path;
  std::optional<std::string> sha256;  // pinned: "torchscript:PATH@sha256:HEX"
};

ModelPath split_pin(const std::string& argument) {
  const std::size_t tail = std::char_traits<char>::length(kPin) + kHexDigits;
  if (argument.size() > tail && argument.compare(argument.size() - tail, tail - kHexDigits, kPin) == 0) {
    const std::string hex = argument.substr(argument.size() - kHexDigits);
    const bool is_hex = std::all_of(hex.begin(), hex.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
    });
    if (is_hex) return {argument.substr(0, argument.size() - tail), hex};
  }
  return {argument, std::nullopt};
}

std::string absolute_path(const std::string& path, const std::string& base_dir) {
  fs::path p(path);
  if (p.is_relative()) p = (base_dir.empty() ? fs::current_path() : fs::absolute(base_dir)) / p;
  return p.lexically_normal().string();
}

std::string shape_text(const torch::Tensor& t) {
  if (!t.defined()) return "nothing";
  std::string out;
  for (auto d : t.sizes()) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out;
}

std::string schema_text(const c10::FunctionSchema& schema) {
  std::ostringstream s;
  s << schema;
  return s.str();
}

bool is_tensor_type(const c10::TypePtr& type) {
  if (type->kind() == c10::TypeKind::TensorType) return true;
  auto optional = type->cast<c10::OptionalType>();
  return optional && optional->getElementType()->kind() == c10::TypeKind::TensorType;
}

// Holds one TorchScript submodule's parameters and buffers under their own names, so that the model's
// named_parameters() are the PyTorch module's state_dict names.
class Mirror : public torch::nn::Module {};

// Registers `from`'s parameters and buffers in `into` (the same tensors: storage and autograd identity are
// shared, so the optimiser, the reducers, .to(device) and checkpoint loading act on the module's own tensors).
// A tensor tied to several names is registered once, under the first: the optimiser must see it once.
void mirror_into(torch::nn::Module& into, const torch::jit::Module& from, std::unordered_set<const void*>& seen) {
  for (const auto& p : from.named_parameters(/*recurse=*/false))
    if (p.value.defined() && seen.insert(p.value.unsafeGetTensorImpl()).second)
      into.register_parameter(p.name, p.value, p.value.requires_grad());
  for (const auto& b : from.named_buffers(/*recurse=*/false))
    if (b.value.defined() && seen.insert(b.value.unsafeGetTensorImpl()).second) into.register_buffer(b.name, b.value);
  for (const auto& child : from.named_children()) {
    auto holder = std::make_shared<Mirror>();
    mirror_into(*holder, child.value, seen);
    if (!holder->parameters().empty() || !holder->buffers().empty()) into.register_module(child.name, holder);
  }
}

class TorchScriptModel : public FufiModel {
 public:
  TorchScriptModel(detail::TorchScriptFile file, const DataSpec& spec, const Config& cfg)
      : path_(std::move(file.path)), module_(std::move(file.module)), spec_(spec) {
    n2_eps_ = cfg.get_double("n2_eps");
    FUFI_CHECK(n2_eps_ > 0, UsageError, "{}: key 'n2_eps': must be positive, got {}", path_, n2_eps_);
    uses_ext_ = spec.has_ext() && cfg.get_bool("use_ext");
    read_output_kind();
    check_signature(spec.has_ext());
    std::unordered_set<const void*> seen;
    mirror_into(*this, module_, seen);
    std::int64_t trainable = 0, total = 0;
    for (const auto& p : parameters()) {
      total += p.numel();
      if (p.requires_grad()) trainable += p.numel();
    }
    FUFI_CHECK(trainable > 0, UsageError,
               "{}: the module has no trainable parameters ({} parameter values, none with requires_grad): fufi "
               "trains a module's parameters; register them as nn.Parameter (for a model without any, use the "
               "built-in uniform or historical)",
               path_, total);
    probe();
    set_training(is_training());
  }

  void train(bool on = true) override {
    FufiModel::train(on);
    set_training(on);
  }

  ModelOutput forward(const ModelInput& input) override {
    auto out = run(input.coarse, input.ext);
    if (!density_) return {out, {}, {}};
    auto density = n2_normalize(out, spec_.upscale, n2_eps_, N2Variant::Smoothed);
    return {recover_from_density(density, input.coarse, spec_.upscale, spec_.scaler_ratio), {}, {}};
  }

 private:
  void read_output_kind() {
    FUFI_CHECK(module_.hasattr(kTorchScriptOutputAttribute), UsageError,
               "{}: the module does not say what its forward returns: set self.{} = \"density\" (a non-negative "
               "density; fufi applies N2 normalisation and the recovery to the coarse map) or \"fine\" (the fine map "
               "itself) in its __init__ before torch.jit.script (docs/BYO_MODEL.md)",
               path_, kTorchScriptOutputAttribute);
    const auto value = module_.attr(kTorchScriptOutputAttribute);
    const std::string text = value.isString() ? value.toStringRef() : "";
    FUFI_CHECK(text == "density" || text == "fine", UsageError,
               "{}: attribute {} must be \"density\" or \"fine\", got {}", path_, kTorchScriptOutputAttribute,
               value.isString() ? "\"" + text + "\"" : "a " + value.tagKind());
    density_ = text == "density";
  }

  // The `training` flag of the module and its submodules (what nn.Module.train() sets in Python). Modules
  // scripted in Python all have it; jit::Module::train() would fail on one built without it.
  void set_training(bool on) {
    for (auto m : module_.modules())
      if (m.hasattr("training")) m.setattr("training", on);
  }

  // forward(self, coarse: Tensor[, ext: Tensor]) -> Tensor, with ext required exactly when fufi passes it
  // (an optional ext with a default is fine either way).
  void check_signature(bool data_has_ext) {
    auto method = module_.find_method("forward");
    FUFI_CHECK(method.has_value(), UsageError, "{}: the module has no forward method", path_);
    const auto& schema = method->function().getSchema();
    const auto& args = schema.arguments();
    const std::size_t given = uses_ext_ ? 2 : 1;
    std::size_t required = 0;
    for (std::size_t i = 1; i < args.size(); ++i)
      if (!args[i].default_value()) ++required;
    const std::string expected = uses_ext_ ? "forward(self, coarse: Tensor, ext: Tensor) -> Tensor"
                                           : "forward(self, coarse: Tensor) -> Tensor";
    std::string why;
    if (args.size() < 1 + given) {
      why = uses_ext_ ? fmt::format("it takes no ext, but the data has {} external factors (set use_ext=false to "
                                    "train without them)",
                                    spec_.ext_dim)
                      : "it takes no input";
    } else if (required > given) {
      if (given == 1 && required == 2)
        why = data_has_ext ? "it requires ext, but use_ext=false"
                           : "it requires ext, but the data has no external factors (give ext a default: "
                             "ext: Optional[Tensor] = None)";
      else
        why = fmt::format("it requires {} inputs, fufi gives {}", required, given);
    } else {
      for (std::size_t i = 1; i <= given && why.empty(); ++i)
        if (!is_tensor_type(args[i].type()))
          why = fmt::format("its argument '{}' is {}, not a Tensor", args[i].name(), args[i].type()->annotation_str());
    }
    if (why.empty()) {
      const auto& returns = schema.returns();
      if (returns.size() != 1 || returns[0].type()->kind() != c10::TypeKind::TensorType)
        why = "it must return one Tensor";
    }
    FUFI_CHECK(why.empty(), UsageError, "{}: wrong forward signature {}: {}; fufi calls {}", path_,
               schema_text(schema), why, expected);
  }

  // The module's output for a batch, checked to be (B, C, H, W).
  torch::Tensor run(const torch::Tensor& coarse, const torch::Tensor& ext) {
    FUFI_CHECK(coarse.defined() && coarse.dim() == 4 && coarse.size(1) == spec_.flow_channels &&
                   coarse.size(2) == spec_.coarse_h && coarse.size(3) == spec_.coarse_w,
               UsageError, "{}: coarse input must be (B, {}, {}, {}), got {}", path_, spec_.flow_channels, spec_.coarse_h,
               spec_.coarse_w, shape_text(coarse));
    std::vector<c10::IValue> args{coarse};
    if (uses_ext_) {
      FUFI_CHECK(ext.defined() && ext.dim() == 2 && ext.size(0) == coarse.size(0), UsageError,
                 "{}: external factors must be (B, {}) next to a batch of {}, got {}", path_, spec_.ext_dim,
                 coarse.size(0), shape_text(ext));
      args.emplace_back(ext);
    }
    c10::IValue out;
    {
      // The profiling executor runs a module's first calls in each process unoptimised and later ones through an
      // optimised graph (symbolic differentiation; fusion on the GPU): an epoch's arithmetic would depend on
      // whether the process was resumed before it. Without optimisation the interpreter runs the module's
      // operators as written and eager autograd differentiates them, as in eager PyTorch.
      torch::jit::GraphOptimizerEnabledGuard unoptimised(false);
      try {
        out = module_.forward(std::move(args));
      } catch (const std::exception& e) {
        // The interpreter rethrows an operator's failure as a std::runtime_error with the TorchScript traceback.
        const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
        FUFI_THROW(RuntimeError, "{}: forward failed: {}", path_,
                   detail::error_reason(c10_error ? c10_error->what_without_backtrace() : e.what()));
      }
    }
    FUFI_CHECK(out.isTensor(), UsageError, "{}: forward returned a {}, not a Tensor", path_, out.tagKind());
    auto y = out.toTensor();
    const std::vector<std::int64_t> expected{coarse.size(0), spec_.flow_channels, spec_.fine_h(), spec_.fine_w()};
    FUFI_CHECK(y.sizes().vec() == expected && y.is_floating_point(), UsageError,
               "{}: forward returned a {} {} tensor, expected {} ({}, {}, {}, {}) = (B, C, h·N, w·N) floats: the "
               "{} map at the upscale factor {}",
               path_, shape_text(y), c10::toString(y.scalar_type()), density_ ? "a density" : "the fine map",
               expected[0], expected[1], expected[2], expected[3], density_ ? "density" : "fine", spec_.upscale);
    return y;
  }

  // One forward of two samples shaped like the data (eval mode, no gradient, no random numbers drawn), so a
  // module that cannot serve this data fails now, naming the file, instead of in the first training step.
  void probe() {
    torch::NoGradGuard no_grad;
    const bool was_training = is_training();
    set_training(false);
    const std::int64_t b = 2;
    auto coarse = (torch::arange(b * spec_.flow_channels * spec_.coarse_h * spec_.coarse_w, torch::kFloat32) * 0.37)
                      .sin()
                      .abs()
                      .reshape({b, spec_.flow_channels, spec_.coarse_h, spec_.coarse_w}) *
                  4.0 + 0.5;
    torch::Tensor ext;
    if (uses_ext_) {
      ext = torch::zeros({b, spec_.ext_dim});
      if (spec_.ext_dim == ext_col::kCount)  // two valid TaxiBJ rows: weekday morning, rainy weekend evening
        ext = torch::tensor({0.5f, 0.4f, 0.f, 0.f, 3.f, 8.f, 1.f, 0.2f, 0.7f, 1.f, 1.f, 7.f, 18.f, 5.f}).reshape({b, 7});
    }
    torch::Tensor out;
    try {
      out = run(coarse, ext);
    } catch (const RuntimeError& e) {
      FUFI_THROW(UsageError, "{} (on a probe batch shaped like the data: coarse {}{})", e.message(),
                 shape_text(coarse), uses_ext_ ? ", ext " + shape_text(ext) : "");
    }
    set_training(was_training);
    if (density_) {
      const double min = out.min().item<double>();
      FUFI_CHECK(min >= 0, UsageError,
                 "{}: fufi_output is \"density\", but forward returned negative values (min {:.4g}) on a probe "
                 "batch: a density must be non-negative (end forward with relu, softplus or exp), or return the fine "
                 "map and set fufi_output = \"fine\"",
                 path_, min);
    }
  }

  std::string path_;
  torch::jit::Module module_;
  DataSpec spec_;
  double n2_eps_ = 1e-7;
  bool uses_ext_ = false;
  bool density_ = true;
};

}  // namespace

bool is_torchscript_name(const std::string& name) {
  const std::string prefix = std::string(kTorchScriptFamily) + ":";
  return name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0;
}

std::string with_absolute_model_path(const std::string& name, const std::string& base_dir) {
  if (!is_torchscript_name(name)) return name;
  const auto m = split_pin(name.substr(std::char_traits<char>::length(kTorchScriptFamily) + 1));
  return std::string(kTorchScriptFamily) + ":" + absolute_path(m.path, base_dir) + (m.sha256 ? kPin + *m.sha256 : "");
}

void register_torchscript_family(ModelRegistry& registry) {
  ModelFamily f;
  f.prefix = kTorchScriptFamily;
  f.argument_help = "PATH.pt";
  f.description = "a TorchScript module saved from PyTorch, trained by fufi (docs/BYO_MODEL.md)";
  f.params = {
      {"use_ext", "true",
       "pass the external factors to forward(coarse, ext) when the data has them; false: forward(coarse)"},
      {"n2_eps", "1e-7", "smoothing of the N2 normalisation applied to a fufi_output=\"density\" module's output"},
  };
  f.create = [](const std::string& argument, const DataSpec& spec, const Config& cfg) -> std::shared_ptr<FufiModel> {
    const auto m = split_pin(argument);
    auto file = detail::load_torchscript_file(m.path);
    FUFI_CHECK(!m.sha256 || *m.sha256 == file.sha256, InputError,
               "{}: the file changed: its SHA-256 is {}, but the model name (from the job or checkpoint that "
               "trained it) pins {}",
               m.path, file.sha256, *m.sha256);
    return std::make_shared<TorchScriptModel>(std::move(file), spec, cfg);
  };
  f.identity = [](const std::string& argument) {
    const auto m = split_pin(argument);
    const std::string sha256 = detail::file_sha256(m.path);
    FUFI_CHECK(!m.sha256 || *m.sha256 == sha256, InputError,
               "{}: the file changed: its SHA-256 is {}, but the model name pins {}", m.path, sha256, *m.sha256);
    return std::string(kTorchScriptFamily) + ":" + absolute_path(m.path, "") + kPin + sha256;
  };
  registry.add_family(std::move(f));
}

}  // namespace fufi::model
