// The fake-metrics runner (fake_metrics_runner.cpp): deterministic made-up numbers, never passed off as real.
#include <gtest/gtest.h>

#include <cmath>

#include "data_spec.h"
#include "fufi/model/registry.h"
#include "fufi/orchestrator/runner.h"

namespace fufi_test_fake_metrics_runner {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

namespace {

class RecordingSink : public worker::RecordSink {
 public:
  std::vector<worker::EpochRecord> epochs;
  int results = 0;
  std::int64_t begun = -2;
  void begin(std::int64_t last) override { begun = last; }
  void epoch(const worker::EpochRecord& r) override { epochs.push_back(r); }
  void result(const worker::RunResult&) override { ++results; }
};

JobTicket ticket(const std::string& id) {
  JobTicket t;
  t.id = id;
  t.model = "srcnn";
  t.settings.set("channels", "8");
  return t;
}

}  // namespace

TEST(FakeMetricsRunner, TheSameJobGetsTheSameNumbersAndAnotherJobOthers) {
  auto comm = worker::make_local_communicator();
  RecordingSink a, b, c;
  const auto ra = FakeMetricsRunner().run(ticket("0123456789abcdef00"), a, *comm, {});
  const auto rb = FakeMetricsRunner().run(ticket("0123456789abcdef00"), b, *comm, {});
  const auto rc = FakeMetricsRunner().run(ticket("fedcba9876543210ff"), c, *comm, {});
  EXPECT_EQ(ra.status, "done");
  EXPECT_EQ(ra.device, "fixture");  // what the report prints as "fixture metrics (not measured)"
  EXPECT_EQ(ra.test.mse, rb.test.mse);
  EXPECT_NE(ra.test.mse, rc.test.mse);
  EXPECT_DOUBLE_EQ(ra.test.rmse, std::sqrt(ra.test.mse));
  EXPECT_GE(ra.test.mse, 5.0);
  EXPECT_LE(ra.test.mse, 25.0);
}

TEST(FakeMetricsRunner, ReportsUpToThreeImprovingEpochsAndTheRealParameterCount) {
  auto comm = worker::make_local_communicator();
  RecordingSink sink;
  auto t = ticket("00000000000000aa");
  const auto r = FakeMetricsRunner().run(t, sink, *comm, {});
  EXPECT_EQ(sink.begun, -1);
  ASSERT_EQ(sink.epochs.size(), 3u);  // epochs=100 by default, at most 3 reported
  EXPECT_EQ(sink.results, 1);
  EXPECT_GT(sink.epochs[0].valid.mse, sink.epochs[2].valid.mse);
  EXPECT_EQ(r.best_epoch, 2);
  EXPECT_EQ(r.best_valid.mse, sink.epochs[2].valid.mse);
  // The registry's count at TaxiBJ's shape (the ticket is not synthetic).
  EXPECT_EQ(r.parameters, model::count_parameters(*model::ModelRegistry::instance().create(
                              "srcnn", test::taxibj_spec(), Config::from_assignments({"channels=8"}))));
  t.settings.set("epochs", "1");
  RecordingSink one;
  EXPECT_EQ(FakeMetricsRunner().run(t, one, *comm, {}).epochs_run, 1);
  EXPECT_EQ(one.epochs.size(), 1u);
}

}  // namespace fufi_test_fake_metrics_runner
