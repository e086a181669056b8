#pragma once
// fufi's benchmarks, measured the same way every time: warm-up, then N timed repetitions; median, min
// and max. Timings are reported, never asserted.
#include <cstdint>
#include <string>
#include <vector>

#include "fufi/core/config.h"
#include "fufi/model/model.h"

namespace fufi::bench {

struct Timing {
  double median_ms = 0, min_ms = 0, max_ms = 0;
  std::int64_t repetitions = 0;
};
Timing summarize(std::vector<double> samples_ms);

struct TrainBenchOptions {
  std::string model;
  Config settings;             // model keys (and `loss`, `channels_last`, `loss_*`)
  model::DataSpec spec;        // the data shape (TaxiBJ 32->128 with ext by default)
  std::int64_t batch = 16;
  std::int64_t steps = 10;
  std::int64_t warmup = 2;
  int threads = 0;             // 0: all cores (the training default for one rank)
  std::uint64_t seed = 1;
};

struct TrainBenchResult {
  std::string model;
  std::int64_t parameters = 0;
  std::int64_t batch = 0;
  int threads = 0;
  bool channels_last = true;
  Timing step;                 // forward + backward + Adam step
  double samples_per_second = 0;
  std::int64_t peak_memory_bytes = 0;
};

// Forward + backward + Adam on realistic inputs (gamma-distributed integer fine maps and their exact
// block sums as coarse maps, valid ext rows), data already in memory as contiguous tensors.
TrainBenchResult bench_train(const TrainBenchOptions& options);

// A data-parallel training step over the ranks of MPI_COMM_WORLD (run under mpirun): each rank computes
// forward + backward on its share of `batch`, the gradients are summed across ranks, Adam steps. Modes:
//   overlap  gradient buckets all-reduced from hooks while backward runs (training's grad_overlap=true)
//   after    the same buckets all-reduced after backward                  (grad_overlap=false)
//   none     no communication: the compute floor
// The modes take turns within each repetition, so drift of the machine hits them alike.
struct DpModeTiming {
  std::string mode;
  Timing step;  // the slowest rank's median, min and max
};
struct DpTrainBenchResult {
  std::string model;
  std::int64_t parameters = 0;
  std::int64_t batch = 0;      // global
  int ranks = 1;
  int threads = 0;             // per rank
  double bucket_mb = 0;
  std::size_t buckets = 0;
  std::vector<DpModeTiming> modes;
  // (after − overlap) / (after − none): the share of the communication time that backward hides; NaN
  // unless all three modes ran, or communication cost nothing measurable.
  double hidden_fraction = 0;
};
DpTrainBenchResult bench_train_dp(const TrainBenchOptions& options, const std::vector<std::string>& modes,
                                  double bucket_mb);
std::string to_json(const DpTrainBenchResult& r);
std::string to_table(const DpTrainBenchResult& r);

struct InferBenchPoint {
  std::int64_t batch = 0;
  Timing batch_time;
  double maps_per_second = 0;
};
struct InferBenchResult {
  std::string model;
  std::int64_t parameters = 0;
  int threads = 0;
  std::vector<InferBenchPoint> points;
};
InferBenchResult bench_infer(const TrainBenchOptions& options, const std::vector<std::int64_t>& batches);

struct AllreducePoint {
  std::int64_t bytes = 0;
  Timing time;
  double algbw_gbps = 0;  // bytes / time
  double busbw_gbps = 0;  // algbw · 2(n−1)/n, as nccl-tests reports it
};
struct AllreduceResult {
  std::string backend;
  int ranks = 1;
  std::vector<AllreducePoint> points;
};
// Collective over MPI_COMM_WORLD (run under mpirun); backend "mpi" or "nccl".
AllreduceResult bench_allreduce(const std::string& backend, const std::vector<std::int64_t>& bytes,
                                std::int64_t iterations, std::int64_t warmup);

std::string to_json(const TrainBenchResult& r);
std::string to_json(const InferBenchResult& r);
std::string to_json(const AllreduceResult& r);
std::string to_table(const TrainBenchResult& r);
std::string to_table(const InferBenchResult& r);
std::string to_table(const AllreduceResult& r);

// "64MB", "1k", "4096" -> bytes. UsageError naming `option` otherwise.
std::int64_t parse_bytes(const std::string& text, const std::string& option);

}  // namespace fufi::bench
