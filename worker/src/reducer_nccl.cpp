// The NCCL backend of the gradient reducer. Compiled and linked whenever nccl.h and libnccl are found
// (CI has CUDA 13 + NCCL without a GPU); usable only with a CUDA-enabled LibTorch on a GPU machine.
#include "fufi/core/build_info.h"
#include "fufi/core/error.h"
#include "fufi/worker/reducer.h"

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

void check_nccl(ncclResult_t rc, const char* what) {
  if (rc != ncclSuccess) FUFI_THROW(RuntimeError, "{} failed: {}", what, ncclGetErrorString(rc));
}

class NcclReducer : public Reducer {
 public:
  NcclReducer(MPI_Comm comm, int device, std::size_t bucket_bytes) : mpi_comm_(comm), bucket_bytes_(bucket_bytes) {
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &size_);
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess || count == 0)
      FUFI_THROW(RuntimeError, "NCCL reducer: no CUDA device is visible ({})",
                 err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
#if !FUFI_CUDA_ENABLED
    FUFI_THROW(RuntimeError, "NCCL reducer: fufi was built against a LibTorch without CUDA; rebuild with scripts/gpu-build");
#else
    FUFI_CHECK(device >= 0 && device < count, RuntimeError, "NCCL reducer: CUDA device {} of {}", device, count);
    cudaSetDevice(device);
    ncclUniqueId id;
    if (rank_ == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, comm);
    check_nccl(ncclCommInitRank(&comm_, size_, id, rank_), "ncclCommInitRank");
#endif
  }
  ~NcclReducer() override {
    if (comm_) ncclCommDestroy(comm_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }

  void broadcast(const std::vector<torch::Tensor>& tensors) override { collective(tensors, /*broadcast=*/true); }
  void allreduce_sum(const std::vector<torch::Tensor>& tensors) override { collective(tensors, /*broadcast=*/false); }
  // Host values are few (metric sums): MPI on the host avoids a device round trip.
  void allreduce_sum(std::vector<double>& values) override {
    if (size_ > 1 && !values.empty())
      MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, mpi_comm_);
  }
  void barrier() override { MPI_Barrier(mpi_comm_); }

 private:
  cudaStream_t stream() const {
#if FUFI_CUDA_ENABLED
    return c10::cuda::getCurrentCUDAStream().stream();  // launched on torch's current stream: no extra sync
#else
    return nullptr;
#endif
  }
  void collective(const std::vector<torch::Tensor>& tensors, bool broadcast) {
    if (size_ == 1) return;
    torch::NoGradGuard no_grad;
    for (const auto& bucket : plan_buckets(tensors, bucket_bytes_)) {
      std::vector<torch::Tensor> parts;
      for (auto i : bucket) {
        FUFI_CHECK(tensors[i].is_cuda() && tensors[i].scalar_type() == torch::kFloat32, RuntimeError,
                   "the NCCL reducer takes float32 CUDA tensors");
        parts.push_back(tensors[i].reshape({-1}));
      }
      auto flat = torch::cat(parts).contiguous();
      auto* ptr = flat.data_ptr<float>();
      const auto n = static_cast<std::size_t>(flat.numel());
      if (broadcast)
        check_nccl(ncclBroadcast(ptr, ptr, n, ncclFloat, 0, comm_, stream()), "ncclBroadcast");
      else
        check_nccl(ncclAllReduce(ptr, ptr, n, ncclFloat, ncclSum, comm_, stream()), "ncclAllReduce");
      std::int64_t offset = 0;
      for (auto i : bucket) {
        auto numel = tensors[i].numel();
        tensors[i].copy_(flat.slice(0, offset, offset + numel).view_as(tensors[i]));
        offset += numel;
      }
    }
  }

  MPI_Comm mpi_comm_;
  std::size_t bucket_bytes_;
  int rank_ = 0, size_ = 1;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

std::unique_ptr<Reducer> make_nccl_reducer(MPI_Comm comm, int cuda_device, std::size_t bucket_bytes) {
  return std::make_unique<NcclReducer>(comm, cuda_device, bucket_bytes);
}

#else

std::unique_ptr<Reducer> make_nccl_reducer(MPI_Comm, int, std::size_t) {
  FUFI_THROW(RuntimeError, "this fufi was built without NCCL (nccl.h/libnccl not found at configure time)");
}

#endif

}  // namespace fufi::worker
