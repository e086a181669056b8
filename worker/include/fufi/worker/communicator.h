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

// One all-reduce in flight (Communicator::start_allreduce_sum). Destroying it before wait() abandons it: the
// buffer is then kept alive for the rest of the process, since the backend may still write into it.
class PendingReduction {
 public:
  virtual ~PendingReduction() = default;
  // Returns once the sum is in the buffer (CUDA: once the caller's current stream is ordered after it).
  virtual void wait() = 0;
  // Non-blocking: lets the backend make progress (MPI advances a non-blocking collective only inside MPI
  // calls) and says whether it is complete.
  virtual bool test() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;
  // Every rank's tensors receive rank 0's values (initial parameters and buffers).
  virtual void broadcast(const std::vector<torch::Tensor>& tensors) = 0;
  // Sums float32 tensors across ranks in place, flattened into buckets of about bucket_bytes.
  virtual void allreduce_sum(const std::vector<torch::Tensor>& tensors) = 0;
  // Starts summing one contiguous float32 buffer across ranks in place and returns at once. Every rank
  // must start the same reductions in the same order, and call no other collective of this communicator
  // between a start and its wait() unless all ranks do so at the same point.
  virtual std::unique_ptr<PendingReduction> start_allreduce_sum(const torch::Tensor& flat) = 0;
  // Sums host values across ranks (metric sums, sample counts).
  virtual void allreduce_sum(std::vector<double>& values) = 0;
  // Every rank's `text` becomes rank `root`'s (error messages of a failed rank; failure.h).
  virtual void broadcast_text(std::string& text, int root) = 0;
  virtual void barrier() = 0;
};

std::unique_ptr<Communicator> make_local_communicator();
std::unique_ptr<Communicator> make_mpi_communicator(MPI_Comm comm, std::size_t bucket_bytes = kDefaultBucketBytes);
// Throws RuntimeError when fufi was built without NCCL, its LibTorch has no CUDA, or no GPU is visible.
std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm comm, int cuda_device, std::size_t bucket_bytes = kDefaultBucketBytes);

// Groups tensors into buckets of at most `bucket_bytes` (a tensor larger than that is its own bucket),
// in order. Shared by the MPI and NCCL backends; exposed for tests.
std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<torch::Tensor>& tensors, std::size_t bucket_bytes);

// tensors[bucket] concatenated into one contiguous flat tensor, and back. Every tensor must be float32 on a
// device of type `device_type`; `who` names the backend in the error otherwise.
torch::Tensor flatten_bucket(const std::vector<torch::Tensor>& tensors, const std::vector<std::size_t>& bucket,
                             c10::DeviceType device_type, const char* who);
void unflatten_bucket(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors,
                      const std::vector<std::size_t>& bucket);

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
