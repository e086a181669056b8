// The communicator (communicator.cpp) on one process: the local backend's no-op collectives, the bucket plan
// shared by the MPI and NCCL backends, and flattening a bucket and back (non-contiguous tensors included),
// with the dtype/device error naming the backend. Two real MPI ranks: test_data_parallel.cpp (under mpirun).
#include <gtest/gtest.h>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/worker/communicator.h"

namespace fufi_test_communicator {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::worker;

TEST(Communicator, LocalCollectivesLeaveEverythingAsItIs) {
  auto comm = make_local_communicator();
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(comm->size(), 1);
  EXPECT_EQ(comm->backend(), "local");
  torch::manual_seed(1);
  std::vector<torch::Tensor> tensors{torch::randn({3, 2}), torch::randn({5})};
  std::vector<torch::Tensor> copies{tensors[0].clone(), tensors[1].clone()};
  comm->broadcast(tensors);
  comm->allreduce_sum(tensors);
  EXPECT_TRUE(torch::equal(tensors[0], copies[0]));
  EXPECT_TRUE(torch::equal(tensors[1], copies[1]));
  auto flat = torch::arange(6, torch::kFloat32);
  auto pending = comm->start_allreduce_sum(flat);
  EXPECT_TRUE(pending->test());
  pending->wait();
  EXPECT_TRUE(torch::equal(flat, torch::arange(6, torch::kFloat32)));
  std::vector<double> values{1.5, -2.0};
  comm->allreduce_sum(values);
  EXPECT_EQ(values, (std::vector<double>{1.5, -2.0}));
  std::string text = "rank 0's message";
  comm->broadcast_text(text, 0);
  EXPECT_EQ(text, "rank 0's message");
  comm->barrier();
}

TEST(Communicator, BucketsKeepTheOrderAndTheirSizeLimit) {
  // 12, 16, 28 and 4 bytes of float32.
  std::vector<torch::Tensor> t{torch::zeros({3}), torch::zeros({2, 2}), torch::zeros({7}), torch::zeros({1})};
  EXPECT_EQ(plan_buckets(t, 40), (std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3}}));
  EXPECT_EQ(plan_buckets(t, 28), (std::vector<std::vector<std::size_t>>{{0, 1}, {2}, {3}}));
  // A tensor larger than the limit is a bucket of its own; a huge limit is one bucket.
  EXPECT_EQ(plan_buckets(t, 8), (std::vector<std::vector<std::size_t>>{{0}, {1}, {2}, {3}}));
  EXPECT_EQ(plan_buckets(t, kDefaultBucketBytes), (std::vector<std::vector<std::size_t>>{{0, 1, 2, 3}}));
  EXPECT_TRUE(plan_buckets({}, 40).empty());
}

TEST(Communicator, FlattenAndUnflattenABucketRoundTrip) {
  torch::manual_seed(2);
  std::vector<torch::Tensor> t{torch::randn({2, 3}), torch::randn({4, 2}).t(), torch::randn({5})};  // [1] strided
  auto flat = flatten_bucket(t, {0, 1}, torch::kCPU, "the test backend");
  ASSERT_EQ(flat.numel(), 14);
  EXPECT_TRUE(flat.is_contiguous());
  EXPECT_TRUE(torch::equal(flat.slice(0, 0, 6), t[0].reshape({-1})));
  EXPECT_TRUE(torch::equal(flat.slice(0, 6, 14), t[1].reshape({-1})));
  // What a reduction would do to the buffer comes back into the tensors, in their own layout.
  const auto before0 = t[0].clone(), before1 = t[1].clone(), before2 = t[2].clone();
  unflatten_bucket(flat * 2, t, {0, 1});
  EXPECT_TRUE(torch::equal(t[0], before0 * 2));
  EXPECT_TRUE(torch::equal(t[1], before1 * 2));
  EXPECT_TRUE(torch::equal(t[2], before2));  // not in the bucket
}

TEST(Communicator, FlattenNamesTheBackendForAWrongDtype) {
  std::vector<torch::Tensor> t{torch::zeros({2}), torch::zeros({2}, torch::kFloat64)};
  test::expect_error<RuntimeError>([&] { flatten_bucket(t, {0, 1}, torch::kCPU, "the MPI communicator"); },
                                   {"the MPI communicator takes float32", "Double"});
}

}  // namespace fufi_test_communicator
