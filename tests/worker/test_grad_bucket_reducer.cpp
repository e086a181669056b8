// Single-process tests of the overlapped gradient reduction: bucket planning, hook bookkeeping, unused and
// twice-used parameters, hook removal. A fake two-rank communicator stands in for MPI: its partner rank has the
// same gradients, so every reduced gradient must be exactly twice the plain autograd gradient. The sum is
// applied in wait(), so values written back before the wait would show up as wrong.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "fufi/core/error.h"
#include "fufi/worker/grad_bucket_reducer.h"
#include "fufi/worker/communicator.h"

namespace fufi_test_grad_bucket_reducer {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::worker;

namespace {

class TwinCommunicator : public Communicator {
 public:
  struct Pending : PendingReduction {
    Pending(torch::Tensor f, int* waits) : flat(std::move(f)), waits(waits) {}
    void wait() override {
      if (done) return;
      flat.mul_(2);  // + the partner's identical gradients
      done = true;
      ++*waits;
    }
    bool test() override { return done; }
    torch::Tensor flat;
    int* waits;
    bool done = false;
  };
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string backend() const override { return "twin"; }
  void broadcast(const std::vector<torch::Tensor>&) override {}
  void allreduce_sum(const std::vector<torch::Tensor>& t) override {
    for (const auto& x : t) x.mul_(2);
  }
  std::unique_ptr<PendingReduction> start_allreduce_sum(const torch::Tensor& flat) override {
    started.push_back(flat.numel());
    return std::make_unique<Pending>(flat, &waits);
  }
  void allreduce_sum(std::vector<double>& v) override {
    for (auto& x : v) x *= 2;
  }
  void broadcast_text(std::string&, int) override {}
  void barrier() override {}
  std::vector<std::int64_t> started;  // numel of each started reduction, in start order
  int waits = 0;
};

// A chain of linear layers; optionally a parameter outside the graph, and a layer applied twice.
struct Net : torch::nn::Module {
  explicit Net(bool unused, bool twice) : twice(twice) {
    a = register_module("a", torch::nn::Linear(6, 5));
    b = register_module("b", torch::nn::Linear(5, 5));
    c = register_module("c", torch::nn::Linear(5, 3));
    if (unused) spare = register_module("spare", torch::nn::Linear(2, 2));  // its parameters come last
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto h = torch::tanh(b(torch::tanh(a(x))));
    if (twice) h = torch::tanh(b(h));
    return c(h).pow(2).sum();
  }
  bool twice;
  torch::nn::Linear a{nullptr}, b{nullptr}, c{nullptr}, spare{nullptr};
};

std::vector<torch::Tensor> plain_grads(bool unused, bool twice, const torch::Tensor& x) {
  torch::manual_seed(4);
  Net net(unused, twice);
  net.forward(x).backward();
  std::vector<torch::Tensor> out;
  for (auto& p : net.parameters()) out.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  return out;
}

void expect_twice(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& plain) {
  ASSERT_EQ(params.size(), plain.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    ASSERT_TRUE(params[i].grad().defined()) << "parameter " << i;
    EXPECT_TRUE(torch::equal(params[i].grad(), plain[i] * 2)) << "parameter " << i;
  }
}

}  // namespace

TEST(GradOverlap, BucketsArePlannedLastParameterFirst) {
  // 12, 16, 28 bytes with 40-byte buckets: {2}, {1, 0} (reverse order), and a 48-byte tensor alone.
  std::vector<torch::Tensor> t{torch::zeros({3}), torch::zeros({4}), torch::zeros({7})};
  EXPECT_EQ(plan_reverse_buckets(t, 40), (std::vector<std::vector<std::size_t>>{{2}, {1, 0}}));
  t.push_back(torch::zeros({12}));
  EXPECT_EQ(plan_reverse_buckets(t, 40), (std::vector<std::vector<std::size_t>>{{3}, {2}, {1, 0}}));
  EXPECT_EQ(plan_reverse_buckets(t, 1 << 20), (std::vector<std::vector<std::size_t>>{{3, 2, 1, 0}}));
  EXPECT_TRUE(plan_reverse_buckets({}, 40).empty());
}

TEST(GradOverlap, BucketsAreReducedDuringBackwardInOrder) {
  const auto x = torch::randn({7, 6});
  const auto plain = plain_grads(false, false, x);
  torch::manual_seed(4);
  Net net(false, false);
  auto params = net.parameters();
  TwinCommunicator comm;
  GradBucketReducer overlap(params, comm, 1);  // 1 byte: one parameter per bucket
  ASSERT_EQ(overlap.buckets().size(), params.size());
  for (int step = 0; step < 2; ++step) {  // the second step checks that finish() reset the bookkeeping
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    net.forward(x).backward();
    EXPECT_EQ(comm.waits, static_cast<int>(params.size()) * step) << "nothing may be waited for before finish()";
    overlap.finish();
    EXPECT_EQ(overlap.launched_in_backward(), params.size()) << "every bucket is complete before backward returns";
    EXPECT_EQ(overlap.missing_gradients(), 0u);
    expect_twice(params, plain);
  }
  // Launch order = planned bucket order on every step: sizes of the parameters, last one first.
  std::vector<std::int64_t> expected;
  for (int step = 0; step < 2; ++step)
    for (std::size_t k = params.size(); k-- > 0;) expected.push_back(params[k].numel());
  EXPECT_EQ(comm.started, expected);
}

TEST(GradOverlap, UnusedParameterIsReducedAsZerosAndHoldsBackLaterBuckets) {
  const auto x = torch::randn({7, 6});
  const auto plain = plain_grads(true, false, x);
  torch::manual_seed(4);
  Net net(true, false);
  auto params = net.parameters();
  ASSERT_TRUE(params.back().is_same(net.spare->bias));
  TwinCommunicator comm;
  GradBucketReducer overlap(params, comm, 1);
  net.forward(x).backward();
  // `spare` was registered last, so its buckets are first: no bucket may launch before them, i.e. before finish().
  EXPECT_TRUE(comm.started.empty());
  overlap.finish();
  EXPECT_EQ(overlap.launched_in_backward(), 0u);
  EXPECT_EQ(overlap.missing_gradients(), 2u);
  EXPECT_EQ(comm.started.size(), params.size());
  expect_twice(params, plain);
  EXPECT_TRUE(torch::equal(net.spare->weight.grad(), torch::zeros({2, 2})));
}

TEST(GradOverlap, ParameterUsedTwiceGetsItsWholeGradient) {
  const auto x = torch::randn({7, 6});
  const auto plain = plain_grads(false, true, x);
  torch::manual_seed(4);
  Net net(false, true);
  auto params = net.parameters();
  TwinCommunicator comm;
  GradBucketReducer overlap(params, comm, 1);
  net.forward(x).backward();
  overlap.finish();
  expect_twice(params, plain);
}

TEST(GradOverlap, RankWithoutBackwardReducesZeros) {
  torch::manual_seed(4);
  Net net(false, false);
  auto params = net.parameters();
  TwinCommunicator comm;
  GradBucketReducer overlap(params, comm, 64);
  overlap.finish();  // no samples on this rank: no backward at all
  EXPECT_EQ(overlap.missing_gradients(), params.size());
  EXPECT_EQ(comm.started.size(), overlap.buckets().size());
  for (auto& p : params) EXPECT_TRUE(torch::equal(p.grad(), torch::zeros_like(p)));
}

TEST(GradOverlap, DuplicatesAreReducedOnceAndHooksAreRemoved) {
  const auto x = torch::randn({7, 6});
  const auto plain = plain_grads(false, false, x);
  torch::manual_seed(4);
  Net net(false, false);
  auto params = net.parameters();
  TwinCommunicator comm;
  {
    auto listed_twice = params;
    listed_twice.push_back(params.front());
    GradBucketReducer overlap(listed_twice, comm, 1);
    EXPECT_EQ(overlap.buckets().size(), params.size());
    net.forward(x).backward();
    overlap.finish();
    expect_twice(params, plain);
  }
  const auto started = comm.started.size();
  for (auto& p : params) p.mutable_grad() = torch::Tensor();
  net.forward(x).backward();  // the hooks are gone: nothing reaches the comm, plain gradients result
  EXPECT_EQ(comm.started.size(), started);
  for (std::size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i].grad(), plain[i]));
}

TEST(GradOverlap, RejectsParametersItCannotReduce) {
  auto frozen = torch::zeros({3});
  auto half = torch::zeros({3}, torch::kFloat64).requires_grad_();
  TwinCommunicator comm;
  EXPECT_THROW(GradBucketReducer({frozen}, comm, 64), fufi::RuntimeError);
  EXPECT_THROW(GradBucketReducer({half}, comm, 64), fufi::RuntimeError);
}

TEST(GradOverlap, LocalReductionCompletesAtOnce) {
  auto local = make_local_communicator();
  auto flat = torch::full({5}, 3.0f);
  auto pending = local->start_allreduce_sum(flat);
  EXPECT_TRUE(pending->test());
  pending->wait();
  EXPECT_TRUE(torch::equal(flat, torch::full({5}, 3.0f)));
}

}  // namespace fufi_test_grad_bucket_reducer
