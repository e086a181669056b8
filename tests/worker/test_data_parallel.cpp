// Runs under `mpirun -np 2`: the MPI reducer's collectives, and data-parallel equivalence — 2 ranks x half
// of each global batch for 2 epochs reach the same parameters as 1 rank with the whole batch.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine_test_util.h"
#include "fufi/worker/checkpoint.h"
#include "fufi/worker/engine.h"
#include "fufi/worker/reducer.h"

using namespace fufi;
using namespace fufi::worker;
namespace fs = std::filesystem;

namespace {

class NullSink : public RecordSink {
 public:
  void epoch(const EpochRecord&) override {}
  void result(const RunResult&) override {}
};

RunResult train_on(MPI_Comm comm, const std::string& run_dir, const std::vector<std::string>& sets) {
  TrainJob job;
  job.model = "test_tiny_convnet";
  job.data_dir = test::tiny_dataset("dp");
  job.settings = Config::from_assignments(sets);
  job.seed = 3;
  job.run_dir = run_dir;
  job.resume = false;
  auto reducer = make_mpi_reducer(comm);
  if (reducer->rank() == 0) fs::remove_all(run_dir);
  reducer->barrier();
  if (reducer->rank() == 0) {
    RunDirSink sink(run_dir);
    return run_training(job, sink, *reducer);
  }
  NullSink sink;
  return run_training(job, sink, *reducer);
}

}  // namespace

TEST(MpiReducer, SumsBroadcastsAndBuckets) {
  auto world = mpi_world();
  ASSERT_EQ(world.size, 2) << "run this test under mpirun -np 2";
  // 12 + 16 + 28 bytes with 40-byte buckets: {0, 1} and {2}; rank-dependent values.
  auto reducer = make_mpi_reducer(MPI_COMM_WORLD, 40);
  std::vector<torch::Tensor> t{torch::full({3}, 1.0f + world.rank), torch::full({2, 2}, 10.0f * (world.rank + 1)),
                               torch::full({7}, -1.0f)};
  EXPECT_EQ(plan_buckets(t, 40), (std::vector<std::vector<std::size_t>>{{0, 1}, {2}}));
  reducer->allreduce_sum(t);
  EXPECT_TRUE(torch::equal(t[0], torch::full({3}, 3.0f)));
  EXPECT_TRUE(torch::equal(t[1], torch::full({2, 2}, 30.0f)));
  EXPECT_TRUE(torch::equal(t[2], torch::full({7}, -2.0f)));
  std::vector<torch::Tensor> b{torch::full({5}, static_cast<float>(world.rank + 7))};
  reducer->broadcast(b);
  EXPECT_TRUE(torch::equal(b[0], torch::full({5}, 7.0f)));
  std::vector<double> v{1.5, static_cast<double>(world.rank)};
  reducer->allreduce_sum(v);
  EXPECT_DOUBLE_EQ(v[0], 3.0);
  EXPECT_DOUBLE_EQ(v[1], 1.0);
}

TEST(DataParallel, TwoRanksWithHalfBatchesMatchOneRankWithTheWholeBatch) {
  test::register_tiny_convnet();
  auto world = mpi_world();
  ASSERT_EQ(world.size, 2);
  // batch_size 5: global batches split 2 + 3, so the per-rank weighting of uneven shares is exercised.
  const std::vector<std::string> sets{"epochs=2", "batch_size=5", "threads=1", "loss=mse", "lr=0.003"};
  const std::string base = (fs::temp_directory_path() / "fufi_dp").string();
  auto two = train_on(MPI_COMM_WORLD, base + "_two", sets);
  ASSERT_EQ(two.status, "done") << two.error;
  RunResult one;
  if (world.rank == 0) one = train_on(MPI_COMM_SELF, base + "_one", sets);
  MPI_Barrier(MPI_COMM_WORLD);
  if (world.rank != 0) return;
  ASSERT_EQ(one.status, "done") << one.error;

  // Final parameters of both runs (last.ckpt) agree to ~1e-5 relative.
  CheckpointMeta meta = read_checkpoint_meta(base + "_one/last.ckpt");
  auto a = model::ModelRegistry::instance().create(meta.model, meta.spec, meta.model_config);
  auto b = model::ModelRegistry::instance().create(meta.model, meta.spec, meta.model_config);
  load_checkpoint(base + "_one/last.ckpt", *a, nullptr);
  load_checkpoint(base + "_two/last.ckpt", *b, nullptr);
  auto pa = a->parameters(), pb = b->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    auto rel = ((pa[i] - pb[i]).abs().max() / (pa[i].abs().max() + 1e-12)).item<double>();
    worst = std::max(worst, rel);
  }
  EXPECT_LT(worst, 1e-5) << "largest relative parameter difference " << worst;
  EXPECT_NEAR(two.test.mse, one.test.mse, 1e-4 * one.test.mse);
  // Both ranks report the same metrics (they were reduced across ranks).
  EXPECT_EQ(two.ranks, 2);
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  mpi_world();  // initialise MPI before any test
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  // Only rank 0 prints gtest's report; every rank's exit code counts.
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  return RUN_ALL_TESTS();
}
