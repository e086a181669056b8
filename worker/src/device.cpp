#include <ATen/Parallel.h>
#include "fufi/worker/device.h"

#include <sys/resource.h>

#include <ATen/autocast_mode.h>

#include "fufi/core/build_info.h"
#include "fufi/core/error.h"
#include "fufi/core/config.h"

#if FUFI_CUDA_ENABLED
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <torch/cuda.h>
#endif

namespace fufi::worker {

bool is_cuda_device_name(const std::string& name) { return name == "cuda" || name.rfind("cuda:", 0) == 0; }

int cuda_index_of(const std::string& name, const std::string& key) {
  if (name == "cpu" || name == "cuda") return -1;
  FUFI_CHECK(name.rfind("cuda:", 0) == 0, UsageError, "key '{}': unknown device '{}' (cpu, cuda, cuda:K)", key, name);
  const std::string digits = name.substr(5);
  std::int64_t index = -1;
  FUFI_CHECK(!digits.empty() && digits.size() <= 4 && parse_int(digits, index) && index >= 0, UsageError,
             "key '{}': '{}' names no CUDA device; K in cuda:K is a device index such as 0", key, name);
  return static_cast<int>(index);
}

torch::Device parse_device(const std::string& name, const std::string& key) {
  const int index = cuda_index_of(name, key);  // validates the spelling first, on every build
  if (name == "cpu") return torch::kCPU;
#if FUFI_CUDA_ENABLED
  FUFI_CHECK(torch::cuda::is_available(), RuntimeError, "{}={}: no CUDA device is visible", key, name);
  const auto count = static_cast<int>(torch::cuda::device_count());
  FUFI_CHECK(index < count, RuntimeError, "{}={}: only {} CUDA device(s) are visible", key, name, count);
  return index < 0 ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(c10::cuda::current_device()))
                   : torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
#else
  (void)index;
  FUFI_THROW(UsageError, "{}={}: this fufi was built against a LibTorch without CUDA (build with scripts/gpu-build)",
             key, name);
#endif
}

namespace {

void set_bf16_autocast(bool on) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(at::kCUDA, on);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
#else
  at::autocast::set_enabled(on);
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
  if (!on) at::autocast::clear_cache();
}

}  // namespace

AutocastScope::AutocastScope(bool bf16, bool cache) : on_(bf16) {
  if (!on_) return;
  previous_cache_ = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(cache);
  set_bf16_autocast(true);
}

AutocastScope::~AutocastScope() {
  if (!on_) return;
  set_bf16_autocast(false);
  at::autocast::set_autocast_cache_enabled(previous_cache_);
}

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

void set_tf32(bool allowed) {
  at::globalContext().setAllowTF32CuBLAS(allowed);
  at::globalContext().setAllowTF32CuDNN(allowed);
}

bool set_flush_denormal(bool on) {
  const bool supported = at::globalContext().setFlushDenormal(on);
  // One range item per pool thread, grain 1: at::parallel_for gives thread t item t, so every thread sets its
  // own MXCSR.
  const std::int64_t threads = at::get_num_threads();
  if (supported && threads > 1)
    at::parallel_for(0, threads, 1, [on](std::int64_t, std::int64_t) { at::globalContext().setFlushDenormal(on); });
  return supported;
}

void synchronize(const torch::Device& device) {
#if FUFI_CUDA_ENABLED
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
#else
  (void)device;
#endif
}

std::int64_t peak_memory_bytes(const torch::Device& device) {
#if FUFI_CUDA_ENABLED
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
    return stats.allocated_bytes[0].peak;  // [0]: StatType::AGGREGATE
  }
#endif
  (void)device;
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
}

void reset_peak_memory(const torch::Device& device) {
#if FUFI_CUDA_ENABLED
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index() < 0 ? 0 : device.index());
#else
  (void)device;
#endif
}

std::string device_description(const torch::Device& device) {
#if FUFI_CUDA_ENABLED
  if (device.is_cuda()) {
    const auto* props = at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index());
    return props->name;
  }
#endif
  (void)device;
  return "cpu";
}

}  // namespace fufi::worker
