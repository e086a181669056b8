#pragma once
// Where a sweep worker runs: which GPU it takes and how many torch threads it gets.
#include <string>

namespace fufi::orchestrator {

// GPUs visible to this node without initialising CUDA: CUDA_VISIBLE_DEVICES when set, else the NVIDIA
// driver's /proc entries; 0 on machines without GPUs.
int detect_gpus();

// The GPU a worker uses: workers are numbered by node-local rank; `jobs_per_gpu` consecutive workers
// share a GPU; more workers than GPU slots wrap around. Returns the index into the node's GPUs; -1 without.
int gpu_slot(int local_worker, int jobs_per_gpu, int gpus);

// Makes GPU `slot` of this node the only one this process sees (CUDA_VISIBLE_DEVICES, before anything touches
// CUDA), so that `device=cuda` means that GPU wherever a job runs. Returns the physical id it pinned.
std::string pin_gpu(int slot);

// Torch threads of a worker: the cores a launcher bound it to, else the node's cores shared by the node's
// `local_workers` workers (the coordinator mostly sleeps and is not counted).
int worker_threads(int local_workers);

}  // namespace fufi::orchestrator
