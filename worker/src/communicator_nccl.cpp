// The NCCL backend of the communicator. Compiled and linked whenever nccl.h and libnccl are found
// (CI has CUDA 13 + NCCL without a GPU); usable only with a CUDA-enabled LibTorch on a GPU machine.
#include "fufi/core/build_info.h"
#include "fufi/core/error.h"
#include "fufi/worker/communicator.h"
#include "communicator_detail.h"

#if FUFI_NCCL_ENABLED
#include <cuda_runtime.h>
#include <nccl.h>
#if FUFI_CUDA_ENABLED
#include <c10/cuda/CUDAStream.h>
#endif
#endif

namespace fufi::worker {

#if FUFI_NCCL_ENABLED
namespace {

// Checks that name the failing call and record its call site (as tiny-cuda-nn's CUDA_CHECK_THROW does),
// not the site of a helper function.
#define FUFI_NCCL_CHECK(call)                                                                     \
  do {                                                                                            \
    const ncclResult_t fufi_nccl_rc_ = (call);                                                    \
    if (fufi_nccl_rc_ != ncclSuccess)                                                             \
      FUFI_THROW(RuntimeError, "{} failed: {}", #call, ncclGetErrorString(fufi_nccl_rc_));        \
  } while (0)
#define FUFI_CUDA_CHECK(call)                                                                     \
  do {                                                                                            \
    const cudaError_t fufi_cuda_rc_ = (call);                                                     \
    if (fufi_cuda_rc_ != cudaSuccess)                                                             \
      FUFI_THROW(RuntimeError, "{} failed: {}", #call, cudaGetErrorString(fufi_cuda_rc_));        \
  } while (0)

cudaStream_t current_stream() {
#if FUFI_CUDA_ENABLED
  return c10::cuda::getCurrentCUDAStream().stream();  // torch's current stream on the current device
#else
  return nullptr;
#endif
}

// ncclAllReduce enqueued on the communication stream; `done_` is recorded after it there. wait() makes the
// caller's current stream wait for it on the device: the host does not block.
class NcclPendingReduction : public PendingReduction {
 public:
  NcclPendingReduction(torch::Tensor buffer, cudaEvent_t done) : buffer_(std::move(buffer)), done_(done) {}
  ~NcclPendingReduction() override {
    // The buffer was allocated on the compute stream: once that stream waits for `done_`, freeing it is
    // stream-ordered and safe. Without the wait the comm stream may still write into it.
    if (!waited_) detail::keep_alive_forever(buffer_);
    cudaEventDestroy(done_);  // released by CUDA once the event completes
  }
  void wait() override {
    if (waited_) return;
    FUFI_CUDA_CHECK(cudaStreamWaitEvent(current_stream(), done_, 0));
    waited_ = true;
  }
  bool test() override { return cudaEventQuery(done_) == cudaSuccess; }

 private:
  torch::Tensor buffer_;
  cudaEvent_t done_;
  bool waited_ = false;
};

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(MPI_Comm comm, int device, std::size_t bucket_bytes) : mpi_comm_(comm), bucket_bytes_(bucket_bytes) {
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &size_);
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess || count == 0)
      FUFI_THROW(RuntimeError, "NCCL communicator: no CUDA device is visible ({})",
                 err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
#if !FUFI_CUDA_ENABLED
    FUFI_THROW(RuntimeError, "NCCL communicator: fufi was built against a LibTorch without CUDA; rebuild with scripts/gpu-build");
#else
    FUFI_CHECK(device >= 0 && device < count, RuntimeError, "NCCL communicator: CUDA device {} of {}", device, count);
    FUFI_CUDA_CHECK(cudaSetDevice(device));
    ncclUniqueId id;
    if (rank_ == 0) FUFI_NCCL_CHECK(ncclGetUniqueId(&id));
    MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, comm);
    FUFI_NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
    // Overlapped gradient reductions run here, beside backward's kernels on the compute stream.
    FUFI_CUDA_CHECK(cudaStreamCreateWithFlags(&comm_stream_, cudaStreamNonBlocking));
#endif
  }
  ~NcclCommunicator() override {
    if (comm_) ncclCommDestroy(comm_);
    if (comm_stream_) cudaStreamDestroy(comm_stream_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }

  void broadcast(const std::vector<torch::Tensor>& tensors) override { collective(tensors, /*broadcast=*/true); }
  void allreduce_sum(const std::vector<torch::Tensor>& tensors) override { collective(tensors, /*broadcast=*/false); }

  // The gradient copies into `flat` were enqueued on the current (compute) stream: the comm stream waits
  // for them through an event, runs the all-reduce, and records `done` for wait().
  std::unique_ptr<PendingReduction> start_allreduce_sum(const torch::Tensor& flat) override {
    FUFI_CHECK(flat.is_cuda() && flat.scalar_type() == torch::kFloat32 && flat.is_contiguous(), RuntimeError,
               "the NCCL communicator takes contiguous float32 CUDA buffers");
    // A group of one still runs NCCL (a copy in place): the 1-rank round trip of scripts/gpu-check exercises
    // the same calls as a real group.
    if (flat.numel() == 0) return std::make_unique<detail::CompletedReduction>();
    cudaEvent_t ready = nullptr, done = nullptr;
    FUFI_CUDA_CHECK(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming));
    FUFI_CUDA_CHECK(cudaEventRecord(ready, current_stream()));
    FUFI_CUDA_CHECK(cudaStreamWaitEvent(comm_stream_, ready, 0));
    cudaEventDestroy(ready);  // the wait is enqueued; CUDA keeps what it needs
    auto* ptr = flat.data_ptr<float>();
    FUFI_NCCL_CHECK(
        ncclAllReduce(ptr, ptr, static_cast<std::size_t>(flat.numel()), ncclFloat, ncclSum, comm_, comm_stream_));
    FUFI_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    FUFI_CUDA_CHECK(cudaEventRecord(done, comm_stream_));
    return std::make_unique<NcclPendingReduction>(flat, done);
  }
  // Host values are few (metric sums): MPI on the host avoids a device round trip.
  void allreduce_sum(std::vector<double>& values) override {
    if (size_ > 1 && !values.empty())
      MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, mpi_comm_);
  }
  void broadcast_text(std::string& text, int root) override { detail::broadcast_text(mpi_comm_, text, root); }
  void barrier() override { MPI_Barrier(mpi_comm_); }

 private:
  // Blocking collectives run on torch's current stream: ordered with the compute, no extra sync.
  void collective(const std::vector<torch::Tensor>& tensors, bool broadcast) {
    torch::NoGradGuard no_grad;
    for (const auto& bucket : plan_buckets(tensors, bucket_bytes_)) {
      auto flat = flatten_bucket(tensors, bucket, torch::kCUDA, "the NCCL communicator");
      auto* ptr = flat.data_ptr<float>();
      const auto n = static_cast<std::size_t>(flat.numel());
      if (broadcast)
        FUFI_NCCL_CHECK(ncclBroadcast(ptr, ptr, n, ncclFloat, 0, comm_, current_stream()));
      else
        FUFI_NCCL_CHECK(ncclAllReduce(ptr, ptr, n, ncclFloat, ncclSum, comm_, current_stream()));
      unflatten_bucket(flat, tensors, bucket);
    }
  }

  MPI_Comm mpi_comm_;
  std::size_t bucket_bytes_;
  int rank_ = 0, size_ = 1;
  ncclComm_t comm_ = nullptr;
  cudaStream_t comm_stream_ = nullptr;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm comm, int cuda_device, std::size_t bucket_bytes) {
  return std::make_unique<NcclCommunicator>(comm, cuda_device, bucket_bytes);
}

#else

std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm, int, std::size_t) {
  FUFI_THROW(RuntimeError, "this fufi was built without NCCL (nccl.h/libnccl not found at configure time)");
}

#endif

}  // namespace fufi::worker
