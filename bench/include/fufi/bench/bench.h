#pragma once
// fufi's benchmarks, measured the same way every time: warm-up, then N timed repetitions; median, min
// and max. Timings are reported, never asserted.
#include <cstdint>
#include <string>
#include <vector>

#include "fufi/bench/op_profile.h"
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
  // Any key a training job takes (model keys, loss, loss_*, channels_last, bf16, adam_impl, cuda_graph, ...),
  // validated as `fufi train` validates them; `device` comes from the field below.
  Config settings;
  model::DataSpec spec;        // the data shape (TaxiBJ 32->128 with ext by default)
  std::string device = "cpu";  // cpu | cuda | cuda:K
  std::int64_t batch = 16;
  std::int64_t steps = 10;
  std::int64_t warmup = 2;
  int threads = 0;             // 0: all cores (the training default for one rank)
  std::uint64_t seed = 1;
  // Inputs live on the host (pinned on CUDA) and are copied to the device every step, instead of being
  // resident there as the engine keeps them: the cost of not keeping data on the GPU.
  bool host_data = false;
  // > 0: also time whole epochs of this many samples (batches of `batch`, a short last one), `steps` of
  // them after one warm-up epoch, with one synchronisation per epoch, as training runs them.
  std::int64_t epoch_samples = 0;
  // > 0: after the timings, this many more steps (inference: batches of the first batch size) run under an
  // OpProfile, and the result lists the operators by self time (`fufi bench ... --profile N`).
  std::int64_t profile_steps = 0;
  // Inference only: how the forward runs: "inference" (c10::InferenceMode, what `fufi infer` uses),
  // "no_grad" (torch::NoGradGuard) or "grad" (autograd recording, as a training forward): the inference-mode lever.
  std::string grad_mode = "inference";
};

struct TrainBenchResult {
  std::string model;
  std::int64_t parameters = 0;
  std::int64_t batch = 0;
  int threads = 0;
  std::string device;          // "cpu", "cuda:0"
  std::string device_name;     // "cpu", "NVIDIA H200"
  bool channels_last = true;
  std::string memory_format_source;  // "set", or with channels_last=auto "measured"/"cached" (worker/autotune.h)
  bool bf16 = false;
  std::string adam_impl;
  bool host_data = false;
  std::string cuda_graph;      // TrainingStep::graph_status() after the run ("off", "replaying", "eager: ...")
  Timing step;                 // one training step, the device synchronised after each (wall clock)
  double pipelined_step_ms = 0;  // mean step of `steps` steps run back to back with one synchronisation
  double samples_per_second = 0;  // from pipelined_step_ms
  std::int64_t epoch_samples = 0;
  Timing epoch;                // whole epochs (epoch_samples > 0), in ms
  std::int64_t peak_memory_bytes = 0;  // CUDA allocator peak on a GPU, process peak RSS on the CPU
  std::vector<OpShare> profile;  // profile_steps > 0: the operators by self time, largest first
  double profile_step_ms = 0;    // the profiled steps' mean wall time
};

// The engine's training step (worker::TrainingStep: forward, loss, backward, Adam) on realistic inputs
// (zero-inflated integer fine maps and their exact block sums as coarse maps, valid ext rows), four
// distinct batches in turn, on the CPU or a GPU.
TrainBenchResult bench_train(const TrainBenchOptions& options);

// The engine's data-parallel training step over the ranks of MPI_COMM_WORLD (run under mpirun; MPI on the
// CPU, NCCL with a CUDA device): each rank computes forward + backward on its share of `batch`, the
// gradients are summed across ranks, Adam steps. Modes:
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
  std::string device;
  bool bf16 = false;
  std::string grad_mode;
  std::vector<InferBenchPoint> points;
  std::vector<OpShare> profile;  // profile_steps > 0: at the first batch size
  double profile_step_ms = 0;
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
