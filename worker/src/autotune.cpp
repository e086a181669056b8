#include "fufi/worker/autotune.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <ATen/Context.h>
#include <nlohmann/json.hpp>

#include "fufi/core/atomic_file.h"
#include "fufi/core/build_info.h"
#include "fufi/worker/device.h"

namespace fufi::worker {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown cpu";
}

nlohmann::json read_cache(const std::string& path) {
  try {
    std::ifstream in(path);
    if (!in) return nlohmann::json::object();
    auto j = nlohmann::json::parse(in);
    return j.is_object() ? j : nlohmann::json::object();
  } catch (const std::exception&) {
    return nlohmann::json::object();  // a damaged cache is a cache miss
  }
}

// Everything a trial step may change, to put back afterwards.
struct SavedState {
  std::vector<torch::Tensor> params, buffers, grads;
  torch::Tensor rng;  // the default generator of the model's device (dropout masks)
};

at::Generator generator_of(torch::nn::Module& m) {
  auto params = m.parameters();
  const auto device = params.empty() ? torch::Device(torch::kCPU) : params.front().device();
  return at::globalContext().defaultGenerator(device);
}

SavedState save(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  SavedState s;
  for (auto& p : m.parameters()) {
    s.params.push_back(p.detach().clone());
    s.grads.push_back(p.grad().defined() ? p.grad().detach().clone() : torch::Tensor());
  }
  for (auto& b : m.buffers()) s.buffers.push_back(b.detach().clone());
  s.rng = generator_of(m).get_state();
  return s;
}

void restore(torch::nn::Module& m, const SavedState& s) {
  torch::NoGradGuard no_grad;
  auto params = m.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    params[i].copy_(s.params[i]);
    if (s.grads[i].defined()) params[i].mutable_grad() = s.grads[i].to(params[i].device());
    else params[i].mutable_grad() = torch::Tensor();
  }
  auto buffers = m.buffers();
  for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(s.buffers[i]);
  generator_of(m).set_state(s.rng);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Median milliseconds of forward + loss + backward in the model's current format.
double time_passes(model::FufiModel& model, const std::shared_ptr<model::Loss>& loss, const torch::Tensor& x,
                   const torch::Tensor& y, const torch::Tensor& ext, bool bf16, int steps) {
  const auto device = x.device();
  std::vector<double> times;
  for (int i = 0; i < steps + 1; ++i) {
    // As a training step's zero_grad(set_to_none): each pass allocates its gradients in the current format.
    for (auto& p : model.parameters()) p.mutable_grad() = torch::Tensor();
    synchronize(device);
    const auto t0 = Clock::now();
    torch::Tensor l;
    {
      AutocastScope autocast(bf16);
      auto out = model.forward({x, ext});
      l = loss ? loss->forward(out.fine.to(torch::kFloat32), y) : model.model_loss(out, y);
    }
    l.backward();
    synchronize(device);
    if (i > 0) times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return median(times);
}

// Median milliseconds of an inference-mode forward in the model's current format.
double time_forwards(model::FufiModel& model, const torch::Tensor& x, const torch::Tensor& ext, int steps) {
  c10::InferenceMode guard;
  std::vector<double> times;
  for (int i = 0; i < steps + 1; ++i) {
    synchronize(x.device());
    const auto t0 = Clock::now();
    auto out = model.forward({x, ext});
    synchronize(x.device());
    if (i > 0) times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return median(times);
}

// Back to NCHW strides. Not .contiguous(): a 1x1 kernel (C, C', 1, 1) in channels-last strides already counts
// as contiguous and would keep them, so the model would not be the NCHW model the measurement timed; clone()
// with an explicit format always gives NCHW strides.
void to_contiguous(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters())
    if (p.dim() == 4) p.set_data(p.data().clone(torch::MemoryFormat::Contiguous));
}

}  // namespace

std::string autotune_cache_path() {
  if (const char* p = std::getenv("FUFI_AUTOTUNE_CACHE"); p && *p) return p;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return (fs::path(x) / "fufi" / "autotune.json").string();
  if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".cache" / "fufi" / "autotune.json").string();
  return (fs::temp_directory_path() / "fufi-autotune.json").string();
}

std::string memory_format_key(const std::string& model_name, const std::string& model_config,
                              const torch::Tensor& sample_x, bool has_ext, const std::string& loss, bool bf16,
                              const torch::Device& device) {
  std::string shape;
  for (auto d : sample_x.sizes()) shape += (shape.empty() ? "" : "x") + std::to_string(d);
  return "memory_format|" + model_name + "|" + model_config + "|X=" + shape + "|ext=" + (has_ext ? "1" : "0") +
         "|loss=" + loss + "|bf16=" + (bf16 ? "1" : "0") + "|device=" +
         (device.is_cuda() ? device_description(device) : cpu_name()) +
         "|threads=" + std::to_string(torch::get_num_threads()) + "|torch=" + FUFI_TORCH_VERSION;
}

namespace {

// The cached choice for `key`, applied to `model`; false when there is none (or it is malformed).
bool cached_choice(const std::string& path, const std::string& key, model::FufiModel& model, MemoryFormatChoice& c) {
  auto cache = read_cache(path);
  if (!cache.contains(key)) return false;
  try {
    const auto& e = cache.at(key);
    c.channels_last = e.at("channels_last").get<bool>();
    c.contiguous_ms = e.at("contiguous_ms").get<double>();
    c.channels_last_ms = e.at("channels_last_ms").get<double>();
    c.source = "cached";
    if (c.channels_last) to_channels_last(model);
    else to_contiguous(model);
    return true;
  } catch (const std::exception&) {
    return false;  // a malformed entry: measure again
  }
}

void remember_choice(const std::string& path, const std::string& key, const MemoryFormatChoice& c) {
  try {
    fs::create_directories(fs::path(path).parent_path());
    auto fresh = read_cache(path);  // another job may have written meanwhile
    fresh[key] = {{"channels_last", c.channels_last},
                  {"contiguous_ms", c.contiguous_ms},
                  {"channels_last_ms", c.channels_last_ms}};
    write_file_atomically(path, fresh.dump(1) + "\n");
  } catch (const std::exception&) {
    // An unwritable cache only costs a measurement next time.
  }
}

}  // namespace

MemoryFormatChoice choose_memory_format(model::FufiModel& model, const std::shared_ptr<model::Loss>& loss,
                                        const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& ext,
                                        bool bf16, const std::string& key, int steps) {
  MemoryFormatChoice c;
  const std::string path = autotune_cache_path();
  if (cached_choice(path, key, model, c)) return c;
  const bool was_training = model.is_training();
  model.train();
  const SavedState state = save(model);
  to_contiguous(model);
  c.contiguous_ms = time_passes(model, loss, x.contiguous(), y, ext, bf16, steps);
  to_channels_last(model);
  c.channels_last_ms = time_passes(model, loss, x.contiguous(torch::MemoryFormat::ChannelsLast), y, ext, bf16, steps);
  restore(model, state);
  model.train(was_training);
  c.channels_last = c.channels_last_ms < c.contiguous_ms;
  if (!c.channels_last) to_contiguous(model);
  c.source = "measured";
  remember_choice(path, key, c);
  return c;
}

MemoryFormatChoice choose_inference_memory_format(model::FufiModel& model, const torch::Tensor& x,
                                                  const torch::Tensor& ext, const std::string& key, int steps) {
  MemoryFormatChoice c;
  const std::string path = autotune_cache_path();
  const std::string inference_key = "inference|" + key;
  if (cached_choice(path, inference_key, model, c)) return c;
  // A forward in inference mode changes no parameter, buffer or RNG state (eval mode: no dropout, BatchNorm
  // reads its running statistics), so nothing needs restoring.
  to_contiguous(model);
  c.contiguous_ms = time_forwards(model, x.contiguous(), ext, steps);
  to_channels_last(model);
  c.channels_last_ms = time_forwards(model, x.contiguous(torch::MemoryFormat::ChannelsLast), ext, steps);
  c.channels_last = c.channels_last_ms < c.contiguous_ms;
  if (!c.channels_last) to_contiguous(model);
  c.source = "measured";
  remember_choice(path, inference_key, c);
  return c;
}

}  // namespace fufi::worker
