#include "fufi/worker/reducer.h"

#include <cstdlib>

#include "fufi/core/error.h"

namespace fufi::worker {

namespace {

void check_mpi(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char message[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, message, &len);
    FUFI_THROW(RuntimeError, "{} failed: {}", what, std::string(message, static_cast<std::size_t>(len)));
  }
}

class LocalReducer : public Reducer {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "local"; }
  void broadcast(const std::vector<torch::Tensor>&) override {}
  void allreduce_sum(const std::vector<torch::Tensor>&) override {}
  void allreduce_sum(std::vector<double>&) override {}
  void barrier() override {}
};

class MpiReducer : public Reducer {
 public:
  MpiReducer(MPI_Comm comm, std::size_t bucket_bytes) : comm_(comm), bucket_bytes_(bucket_bytes) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void broadcast(const std::vector<torch::Tensor>& tensors) override {
    if (size_ == 1) return;
    torch::NoGradGuard no_grad;
    for (const auto& bucket : plan_buckets(tensors, bucket_bytes_)) {
      auto flat = flatten(tensors, bucket);
      check_mpi(MPI_Bcast(flat.data_ptr<float>(), static_cast<int>(flat.numel()), MPI_FLOAT, 0, comm_), "MPI_Bcast");
      unflatten(flat, tensors, bucket);
    }
  }

  void allreduce_sum(const std::vector<torch::Tensor>& tensors) override {
    if (size_ == 1) return;
    torch::NoGradGuard no_grad;
    for (const auto& bucket : plan_buckets(tensors, bucket_bytes_)) {
      auto flat = flatten(tensors, bucket);
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, flat.data_ptr<float>(), static_cast<int>(flat.numel()), MPI_FLOAT, MPI_SUM,
                              comm_),
                "MPI_Allreduce");
      unflatten(flat, tensors, bucket);
    }
  }

  void allreduce_sum(std::vector<double>& values) override {
    if (size_ == 1 || values.empty()) return;
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, comm_),
              "MPI_Allreduce");
  }

  void barrier() override { check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }

 private:
  static torch::Tensor flatten(const std::vector<torch::Tensor>& tensors, const std::vector<std::size_t>& bucket) {
    std::vector<torch::Tensor> parts;
    for (auto i : bucket) {
      FUFI_CHECK(tensors[i].scalar_type() == torch::kFloat32 && tensors[i].device().is_cpu(), RuntimeError,
                 "the MPI reducer takes float32 CPU tensors");
      parts.push_back(tensors[i].reshape({-1}));
    }
    return torch::cat(parts).contiguous();
  }
  static void unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors,
                        const std::vector<std::size_t>& bucket) {
    std::int64_t offset = 0;
    for (auto i : bucket) {
      auto n = tensors[i].numel();
      tensors[i].copy_(flat.slice(0, offset, offset + n).view_as(tensors[i]));
      offset += n;
    }
  }
  MPI_Comm comm_;
  std::size_t bucket_bytes_;
  int rank_ = 0, size_ = 1;
};

void finalize_mpi() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace

std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<torch::Tensor>& tensors, std::size_t bucket_bytes) {
  std::vector<std::vector<std::size_t>> buckets;
  std::size_t current = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::size_t bytes = static_cast<std::size_t>(tensors[i].numel()) * tensors[i].element_size();
    if (buckets.empty() || current + bytes > bucket_bytes) {
      buckets.emplace_back();
      current = 0;
    }
    buckets.back().push_back(i);
    current += bytes;
  }
  return buckets;
}

std::unique_ptr<Reducer> make_local_reducer() { return std::make_unique<LocalReducer>(); }

std::unique_ptr<Reducer> make_mpi_reducer(MPI_Comm comm, std::size_t bucket_bytes) {
  return std::make_unique<MpiReducer>(comm, bucket_bytes);
}

bool mpi_launched() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_STEP_NUM_TASKS"})
    if (std::getenv(var)) return true;
  return false;
}

MpiWorld mpi_world() {
  // Computed once: the node split below is a collective over MPI_COMM_WORLD, so a later call from only some
  // ranks (the ranks of one sweep job) would hang.
  static const MpiWorld world = [] {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
    std::atexit(finalize_mpi);
  }
  MpiWorld w;
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, w.rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &w.local_rank);
  MPI_Comm_size(node, &w.local_size);
  MPI_Comm_free(&node);
  return w;
  }();
  return world;
}

}  // namespace fufi::worker
