// The job runners (runners.cpp) and how failures and results become the store's outcome.
#include <gtest/gtest.h>

#include <new>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/orchestrator/runner.h"
#include "scratch_dir.h"

namespace fufi_test_runners {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

namespace {

class CountingSink : public worker::RecordSink {
 public:
  int epochs = 0, results = 0;
  void epoch(const worker::EpochRecord&) override { ++epochs; }
  void result(const worker::RunResult&) override { ++results; }
};

}  // namespace

TEST(Runners, MadeByTheirCliNames) {
  EXPECT_NE(dynamic_cast<TrainingRunner*>(make_runner("train").get()), nullptr);
  EXPECT_NE(dynamic_cast<NoopRunner*>(make_runner("noop").get()), nullptr);
  EXPECT_NE(dynamic_cast<FakeMetricsRunner*>(make_runner("fixture").get()), nullptr);
  test::expect_error<UsageError>([] { make_runner("fake"); }, {"--runner", "'fake'", "train, noop, fixture"});
}

TEST(Runners, ExceptionsGetTheClassOfTheOneMapping) {
  EXPECT_EQ(error_class_of(UsageError("x", __FILE__, __LINE__)), ErrorClass::BadConfig);
  EXPECT_EQ(error_class_of(InputError("x", __FILE__, __LINE__)), ErrorClass::BadData);
  EXPECT_EQ(error_class_of(RuntimeError("x", __FILE__, __LINE__)), ErrorClass::Runtime);
  EXPECT_EQ(error_class_of(std::bad_alloc()), ErrorClass::OutOfMemory);
  EXPECT_EQ(error_class_of(std::runtime_error("x")), ErrorClass::Runtime);
  EXPECT_EQ(error_class_of(IoError("x", __FILE__, __LINE__)), ErrorClass::Io);
  // c10's allocator failure (channels=100000) is out_of_memory too, with the engine's human message.
  const std::runtime_error c10_like("DefaultCPUAllocator: can't allocate memory: you tried to allocate 8 bytes.");
  EXPECT_EQ(error_class_of(c10_like), ErrorClass::OutOfMemory);
  EXPECT_EQ(failed_result(ErrorClass::OutOfMemory, c10_like).error.rfind("out of memory: ", 0), 0u);
  const auto r = failed_result(ErrorClass::BadData, InputError("X.npy: bad magic", "src.cpp", 3));
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "bad_data");
  EXPECT_EQ(r.error, "X.npy: bad magic");  // the message, not the throw site
}

TEST(Runners, NoopReportsSuccessAndNothingElse) {
  JobTicket t;
  CountingSink sink;
  auto comm = worker::make_local_communicator();
  const auto r = NoopRunner().run(t, sink, *comm, {});
  EXPECT_EQ(r.status, "done");
  EXPECT_EQ(r.device, "noop");
  EXPECT_EQ(r.ranks, 1);
  EXPECT_EQ(sink.epochs + sink.results, 0);
}

TEST(Runners, TrainingFailuresAreClassifiedNotThrown) {
  test::ScratchDir dir("runners");
  JobTicket t;
  t.model = "uniform";
  t.task = "P1";
  t.data_dir = dir / "absent";
  t.run_dir = dir / "run";
  CountingSink sink;
  auto comm = worker::make_local_communicator();
  auto r = TrainingRunner().run(t, sink, *comm, {});
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.error_class, "bad_data");
  EXPECT_NE(r.error.find(t.data_dir), std::string::npos) << r.error;
  t.settings.set("threads", "many");
  t.worker_threads = 2;
  r = TrainingRunner().run(t, sink, *comm, {});
  EXPECT_EQ(r.error_class, "bad_config");  // a bad value of a key is the configuration's fault
  EXPECT_NE(r.error.find("threads"), std::string::npos) << r.error;
}

TEST(Runners, OutcomesTakeEveryFieldByName) {
  worker::RunResult r;
  r.status = "failed";
  r.error_class = "out_of_memory";
  r.error = "CUDA out of memory";
  r.test.mse = 4;
  r.test.rmse = 2;
  r.best_valid.mae = 3;
  r.parameters = 10;
  r.epochs_run = 5;
  r.best_epoch = 3;
  r.peak_memory_bytes = 1 << 20;
  r.early_stopped = true;
  r.mean_epoch_seconds = 1.5;
  r.device = "cuda:0";
  r.ranks = 4;
  results::Provenance where;
  where.host = "node1";
  const auto o = outcome_of(r, 9.5, where);
  EXPECT_EQ(o.status, JobStatus::Failed);
  EXPECT_EQ(o.error_class, ErrorClass::OutOfMemory);
  EXPECT_EQ(o.error, "CUDA out of memory");
  EXPECT_EQ(o.test.mse, 4);
  EXPECT_EQ(o.test.rmse, 2);
  EXPECT_EQ(o.valid.mae, 3);  // the best validation epoch's
  EXPECT_EQ(o.parameters, 10);
  EXPECT_EQ(o.epochs_run, 5);
  EXPECT_EQ(o.best_epoch, 3);
  EXPECT_EQ(o.peak_memory_bytes, 1 << 20);
  EXPECT_TRUE(o.early_stopped);
  EXPECT_EQ(o.mean_epoch_seconds, 1.5);
  EXPECT_EQ(o.wall_seconds, 9.5);
  EXPECT_EQ(o.provenance.host, "node1");
  EXPECT_EQ(o.provenance.device, "cuda:0");
  EXPECT_EQ(o.provenance.ranks, 4);
  r.status = "finished";
  test::expect_error<RuntimeError>([&] { outcome_of(r, 0, where); }, "'finished'");
}

}  // namespace fufi_test_runners
