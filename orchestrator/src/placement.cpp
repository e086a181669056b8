#include "fufi/orchestrator/placement.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "fufi/core/strings.h"

namespace fufi::orchestrator {

int detect_gpus() {
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
    int n = 0;
    for (const auto& id : split(visible, ','))
      if (!trim(id).empty() && trim(id) != "-1" && trim(id) != "NoDevFiles") ++n;
    return n;
  }
  std::error_code ec;
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/driver/nvidia/gpus", ec)) {
    (void)entry;
    ++n;
  }
  return n;
}

int gpu_slot(int local_worker, int jobs_per_gpu, int gpus) {
  if (gpus <= 0) return -1;
  return (local_worker / std::max(1, jobs_per_gpu)) % gpus;
}

std::string pin_gpu(int slot) {
  std::string physical = std::to_string(slot);
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
    auto ids = split(visible, ',');
    if (static_cast<std::size_t>(slot) < ids.size()) physical = trim(ids[static_cast<std::size_t>(slot)]);
  }
  setenv("CUDA_VISIBLE_DEVICES", physical.c_str(), 1);
  return physical;
}

int worker_threads(int local_workers) {
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int allowed = CPU_COUNT(&set);
    if (allowed > 0 && allowed < hardware) return allowed;
  }
  return std::max(1, hardware / std::max(1, local_workers));
}

}  // namespace fufi::orchestrator
