#pragma once
// Where a job's tensors live and how kernels run there: the device string (`cpu`, `cuda`, `cuda:K`), bf16
// autocast, the channels-last memory format, TF32, synchronisation and peak memory. One place for what the
// engine, inference and the benchmarks all need, so that they cannot drift apart.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace fufi::worker {

// True for "cuda" and "cuda:K" (any K): the string names a CUDA device, valid or not.
bool is_cuda_device_name(const std::string& name);

// "cpu" -> CPU; "cuda" -> the current CUDA device; "cuda:K" -> device K (K a non-negative integer).
// Throws UsageError naming `key` for anything else (e.g. "cuda:abc", "gpu") and for CUDA on a build whose
// LibTorch has no CUDA; RuntimeError when no CUDA device is visible or K is out of range.
torch::Device parse_device(const std::string& name, const std::string& key = "device");

// The CUDA device index of "cuda:K" (K), or -1 for "cuda"/"cpu". Same errors as parse_device for a bad K.
int cuda_index_of(const std::string& name, const std::string& key = "device");

// bf16 autocast (CUDA only) for the lifetime of the scope, fp32 master weights untouched. `cache` off
// is needed while a CUDA graph is captured: cached casts would be freed behind the graph's back.
class AutocastScope {
 public:
  explicit AutocastScope(bool bf16, bool cache = true);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_;
  bool previous_cache_ = true;
};

// Four-dimensional parameters (conv weights) in channels-last (NHWC) layout; others untouched.
void to_channels_last(torch::nn::Module& module);

// TF32 for cuBLAS and cuDNN matrix work (off: true fp32 on the GPU; no effect on the CPU).
void set_tf32(bool allowed);

// CPU: subnormal floats (|x| < 1.18e-38) flushed to zero and read as zero (x86 FTZ/DAZ), on the calling thread and
// on every thread of the intra-op pool (their floating-point state is per thread). Arithmetic on subnormals is
// microcoded and ~100x slower: UrbanODE's attention softmax produces them, and its training step took 24.6 s
// with them and 8.6 s without on this machine (docs/PERFORMANCE.md). Values that large are unchanged, so results
// differ from the unflushed run only where a subnormal would have been. Returns false where the CPU cannot.
// Call it after torch::set_num_threads (a larger pool later gets new threads from the calling thread's state).
bool set_flush_denormal(bool on);

// Waits until every kernel queued on `device` has finished (no-op on the CPU).
void synchronize(const torch::Device& device);

// CUDA: the caching allocator's peak of allocated bytes on the device since the process started or the
// last reset_peak_memory; CPU: the process's peak resident set size (both in bytes).
std::int64_t peak_memory_bytes(const torch::Device& device);
void reset_peak_memory(const torch::Device& device);

// The device's name as `fufi --version` and provenance print it ("cpu", "NVIDIA H200").
std::string device_description(const torch::Device& device);

}  // namespace fufi::worker
