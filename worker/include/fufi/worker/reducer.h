#pragma once
// Data-parallel communication of one job's rank group, behind one interface with three backends:
// local (a single rank: every call is a no-op), MPI (CPU tensors) and NCCL (CUDA tensors, the
// communicator bootstrapped by MPI_Bcast of an ncclUniqueId over the group's communicator).
#include <mpi.h>
#include <torch/torch.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace fufi::worker {

constexpr std::size_t kDefaultBucketBytes = 25u << 20;  // ~25 MB buckets, as PyTorch DDP

class Reducer {
 public:
  virtual ~Reducer() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;
  // Every rank's tensors receive rank 0's values (initial parameters and buffers).
  virtual void broadcast(const std::vector<torch::Tensor>& tensors) = 0;
  // Sums float32 tensors across ranks in place, flattened into buckets of about bucket_bytes.
  virtual void allreduce_sum(const std::vector<torch::Tensor>& tensors) = 0;
  // Sums host values across ranks (metric sums, sample counts).
  virtual void allreduce_sum(std::vector<double>& values) = 0;
  virtual void barrier() = 0;
};

std::unique_ptr<Reducer> make_local_reducer();
std::unique_ptr<Reducer> make_mpi_reducer(MPI_Comm comm, std::size_t bucket_bytes = kDefaultBucketBytes);
// Throws RuntimeError when fufi was built without NCCL, its LibTorch has no CUDA, or no GPU is visible.
std::unique_ptr<Reducer> make_nccl_reducer(MPI_Comm comm, int cuda_device, std::size_t bucket_bytes = kDefaultBucketBytes);

// Groups tensors into buckets of at most `bucket_bytes` (a tensor larger than that is its own bucket),
// in order. Shared by the MPI and NCCL backends; exposed for tests.
std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<torch::Tensor>& tensors, std::size_t bucket_bytes);

// MPI for one process: initialised on first use with MPI_THREAD_MULTIPLE when asked for (a run
// without mpirun is a singleton world of one rank), finalised at exit.
struct MpiWorld {
  int rank = 0;
  int size = 1;
  int local_rank = 0;  // rank among the processes of this node
  int local_size = 1;
};
MpiWorld mpi_world();  // initialises MPI if needed
bool mpi_launched();   // true when started by mpirun/srun (the environment says so), without initialising MPI

}  // namespace fufi::worker
