// fufi bench allreduce: the communicators' all-reduce over MPI_COMM_WORLD (MPI on the CPU, NCCL on GPUs), and
// the byte sizes its options take.
#include <mpi.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "fufi/bench/bench.h"
#include "fufi/core/error.h"
#include "fufi/worker/communicator.h"
#include "fufi/worker/device.h"

namespace fufi::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

}  // namespace

AllreduceResult bench_allreduce(const std::string& backend, const std::vector<std::int64_t>& sizes,
                                std::int64_t iterations, std::int64_t warmup) {
  const auto world = worker::mpi_world();
  std::unique_ptr<worker::Communicator> comm;
  torch::Device device = torch::kCPU;
  if (backend == "mpi") {
    comm = worker::make_mpi_communicator(MPI_COMM_WORLD, static_cast<std::size_t>(1) << 62);  // one bucket per call
  } else if (backend == "nccl") {
    comm = worker::make_nccl_communicator(MPI_COMM_WORLD, world.local_rank, static_cast<std::size_t>(1) << 62);
    device = torch::Device(torch::kCUDA, world.local_rank);
  } else {
    FUFI_THROW(UsageError, "--backend: unknown backend '{}' (mpi, nccl)", backend);
  }
  AllreduceResult r;
  r.backend = backend;
  r.ranks = world.size;
  for (auto bytes : sizes) {
    FUFI_CHECK(bytes >= 4, UsageError, "--bytes: sizes must be at least 4 bytes, got {}", bytes);
    std::vector<torch::Tensor> t{torch::ones({bytes / 4}, torch::TensorOptions().dtype(torch::kFloat32).device(device))};
    std::vector<double> times;
    for (std::int64_t i = 0; i < warmup + iterations; ++i) {
      comm->barrier();
      const auto t0 = Clock::now();
      comm->allreduce_sum(t);
      if (device.is_cuda()) t[0].cpu();  // wait for the collective
      if (i >= warmup) times.push_back(ms_since(t0));
    }
    // The slowest rank defines the collective's time.
    std::vector<double> worst{0};
    AllreducePoint p;
    p.bytes = bytes;
    p.time = summarize(times);
    worst[0] = p.time.median_ms;
    MPI_Allreduce(MPI_IN_PLACE, worst.data(), 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    p.time.median_ms = worst[0];
    p.algbw_gbps = static_cast<double>(bytes) / (p.time.median_ms * 1e-3) / 1e9;
    p.busbw_gbps = p.algbw_gbps * 2.0 * (world.size - 1) / std::max(1, world.size);
    r.points.push_back(p);
  }
  return r;
}

std::int64_t parse_bytes(const std::string& text, const std::string& option) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  FUFI_CHECK(i > 0 && i <= 15, UsageError, "{}: '{}' is not a size such as 4096, 64k or 16MB", option, text);
  std::int64_t value = std::stoll(text.substr(0, i));
  std::string unit;
  for (char c : text.substr(i)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "b") return value;
  if (unit == "k" || unit == "kb") return value << 10;
  if (unit == "m" || unit == "mb") return value << 20;
  if (unit == "g" || unit == "gb") return value << 30;
  FUFI_THROW(UsageError, "{}: unknown unit in '{}' (B, KB, MB, GB)", option, text);
}

}  // namespace fufi::bench
