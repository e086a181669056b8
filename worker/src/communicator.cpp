#include "fufi/worker/communicator.h"

#include <climits>
#include <cstdlib>
#include <mutex>

#include "fufi/core/error.h"
#include "communicator_detail.h"

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

class LocalCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "local"; }
  void broadcast(const std::vector<torch::Tensor>&) override {}
  void allreduce_sum(const std::vector<torch::Tensor>&) override {}
  std::unique_ptr<PendingReduction> start_allreduce_sum(const torch::Tensor&) override {
    return std::make_unique<detail::CompletedReduction>();
  }
  void allreduce_sum(std::vector<double>&) override {}
  void broadcast_text(std::string&, int) override {}
  void barrier() override {}
};

// MPI_Iallreduce in flight. Open MPI advances it only inside MPI calls, hence test() between gradients.
class MpiPendingReduction : public PendingReduction {
 public:
  MpiPendingReduction(torch::Tensor buffer, MPI_Request request) : buffer_(std::move(buffer)), request_(request) {}
  ~MpiPendingReduction() override {
    if (!done_) detail::keep_alive_forever(buffer_);
  }
  void wait() override {
    if (done_) return;
    check_mpi(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait (all-reduce)");
    done_ = true;
  }
  bool test() override {
    if (!done_) {
      int flag = 0;
      check_mpi(MPI_Test(&request_, &flag, MPI_STATUS_IGNORE), "MPI_Test (all-reduce)");
      done_ = flag != 0;
    }
    return done_;
  }

 private:
  torch::Tensor buffer_;
  MPI_Request request_;
  bool done_ = false;
};

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator(MPI_Comm comm, std::size_t bucket_bytes) : comm_(comm), bucket_bytes_(bucket_bytes) {
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
      auto flat = flatten_bucket(tensors, bucket, torch::kCPU, "the MPI communicator");
      check_mpi(MPI_Bcast(flat.data_ptr<float>(), count(flat), MPI_FLOAT, 0, comm_), "MPI_Bcast");
      unflatten_bucket(flat, tensors, bucket);
    }
  }

  void allreduce_sum(const std::vector<torch::Tensor>& tensors) override {
    if (size_ == 1) return;
    torch::NoGradGuard no_grad;
    for (const auto& bucket : plan_buckets(tensors, bucket_bytes_)) {
      auto flat = flatten_bucket(tensors, bucket, torch::kCPU, "the MPI communicator");
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, flat.data_ptr<float>(), count(flat), MPI_FLOAT, MPI_SUM, comm_),
                "MPI_Allreduce");
      unflatten_bucket(flat, tensors, bucket);
    }
  }

  std::unique_ptr<PendingReduction> start_allreduce_sum(const torch::Tensor& flat) override {
    FUFI_CHECK(flat.scalar_type() == torch::kFloat32 && flat.device().is_cpu() && flat.is_contiguous(), RuntimeError,
               "the MPI communicator takes contiguous float32 CPU buffers");
    if (size_ == 1 || flat.numel() == 0) return std::make_unique<detail::CompletedReduction>();
    MPI_Request request = MPI_REQUEST_NULL;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, flat.data_ptr<float>(), count(flat), MPI_FLOAT, MPI_SUM, comm_, &request),
              "MPI_Iallreduce");
    return std::make_unique<MpiPendingReduction>(flat, request);
  }

  void allreduce_sum(std::vector<double>& values) override {
    if (size_ == 1 || values.empty()) return;
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, comm_),
              "MPI_Allreduce");
  }

  void broadcast_text(std::string& text, int root) override { detail::broadcast_text(comm_, text, root); }

  void barrier() override { check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }

 private:
  static int count(const torch::Tensor& flat) {
    FUFI_CHECK(flat.numel() <= INT_MAX, RuntimeError, "MPI communicator: a bucket of {} elements exceeds MPI's int count",
               flat.numel());
    return static_cast<int>(flat.numel());
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

torch::Tensor flatten_bucket(const std::vector<torch::Tensor>& tensors, const std::vector<std::size_t>& bucket,
                             c10::DeviceType device_type, const char* who) {
  std::vector<torch::Tensor> parts;
  parts.reserve(bucket.size());
  for (auto i : bucket) {
    FUFI_CHECK(tensors[i].scalar_type() == torch::kFloat32 && tensors[i].device().type() == device_type, RuntimeError,
               "{} takes float32 {} tensors (got {} on {})", who, c10::DeviceTypeName(device_type, true),
               c10::toString(tensors[i].scalar_type()), tensors[i].device().str());
    parts.push_back(tensors[i].reshape({-1}));
  }
  return torch::cat(parts).contiguous();
}

void unflatten_bucket(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors,
                      const std::vector<std::size_t>& bucket) {
  std::int64_t offset = 0;
  for (auto i : bucket) {
    const auto n = tensors[i].numel();
    tensors[i].copy_(flat.slice(0, offset, offset + n).view_as(tensors[i]));
    offset += n;
  }
}

void detail::broadcast_text(MPI_Comm comm, std::string& text, int root) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  if (size == 1) return;
  long long length = static_cast<long long>(text.size());
  check_mpi(MPI_Bcast(&length, 1, MPI_LONG_LONG, root, comm), "MPI_Bcast (text length)");
  text.resize(static_cast<std::size_t>(length));
  if (length > 0)
    check_mpi(MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, root, comm), "MPI_Bcast (text)");
}

void detail::keep_alive_forever(torch::Tensor buffer) {
  static std::mutex mutex;
  static auto* kept = new std::vector<torch::Tensor>();  // never destroyed: outlives static destruction too
  std::lock_guard<std::mutex> lock(mutex);
  kept->push_back(std::move(buffer));
}

std::unique_ptr<Communicator> make_local_communicator() { return std::make_unique<LocalCommunicator>(); }

std::unique_ptr<Communicator> make_mpi_communicator(MPI_Comm comm, std::size_t bucket_bytes) {
  return std::make_unique<MpiCommunicator>(comm, bucket_bytes);
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
