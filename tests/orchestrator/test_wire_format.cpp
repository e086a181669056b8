// The sweep's messages (wire_format.cpp) survive the wire, NaN included, with their fields by name.
#include <gtest/gtest.h>

#include <cmath>

#include "flow_metrics.h"
#include "wire_format.h"

namespace fufi_test_wire_format {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::orchestrator;

TEST(WireFormat, TicketsSurviveTheWire) {
  JobTicket t;
  t.id = "abc";
  t.model = "srcnn";
  t.task = "P1";
  t.variant = "wo_film";
  t.seed = 42;
  t.attempt = 2;
  t.settings.set("channels", "8");
  t.settings.set("lr", "0.0003");
  t.data_dir = "/data";
  t.run_dir = "/runs/abc";
  t.synthetic = true;
  t.synth.coarse_size = 8;
  t.synth.seed = 9;
  t.worker_threads = 5;  // set where the job runs: not sent
  const auto back = ticket_from_json(to_json(t));
  EXPECT_EQ(back.id, t.id);
  EXPECT_EQ(back.model, t.model);
  EXPECT_EQ(back.task, t.task);
  EXPECT_EQ(back.variant, t.variant);
  EXPECT_EQ(back.seed, 42u);
  EXPECT_EQ(back.attempt, 2);
  EXPECT_EQ(back.settings.canonical(), t.settings.canonical());
  EXPECT_EQ(back.data_dir, t.data_dir);
  EXPECT_EQ(back.run_dir, t.run_dir);
  EXPECT_TRUE(back.synthetic);
  EXPECT_EQ(back.synth.coarse_size, 8);
  EXPECT_EQ(back.synth.seed, 9u);
  EXPECT_EQ(back.worker_threads, 0);
  EXPECT_TRUE(back.resume);
}

TEST(WireFormat, EpochsAndBeginsKeepEveryMetricByName) {
  EpochRecord r;
  r.epoch = 4;
  r.train_loss = 0.5;
  r.valid = test::flow_metrics(4, 1.5, 0.25);
  r.valid.rmse = 2.5;  // not sqrt(mse): a swapped field would show
  r.lr = 1e-3;
  r.best = true;
  const auto e = epoch_from_json(epoch_json("job", r));
  EXPECT_EQ(e.job_id, "job");
  EXPECT_EQ(e.record.epoch, 4);
  EXPECT_EQ(e.record.valid.mse, 4);
  EXPECT_EQ(e.record.valid.mae, 1.5);
  EXPECT_EQ(e.record.valid.mape, 0.25);
  EXPECT_EQ(e.record.valid.rmse, 2.5);
  EXPECT_TRUE(e.record.best);
  const auto b = begin_from_json(begin_json("job", 4, {r, r}));
  EXPECT_EQ(b.job_id, "job");
  EXPECT_EQ(b.last_epoch, 4);
  ASSERT_EQ(b.replay.size(), 2u);
  EXPECT_EQ(b.replay[1].valid.rmse, 2.5);
  EXPECT_TRUE(begin_from_json(begin_json("job", -1, {})).replay.empty());
}

TEST(WireFormat, ResultsCarryStatusClassAndNotANumber) {
  results::Outcome o;
  o.status = JobStatus::Failed;
  o.error_class = ErrorClass::Diverged;
  o.error = "loss is NaN at epoch 3 \xff";  // not UTF-8: replaced, never a throw
  o.test.mse = std::nan("");
  o.parameters = 123;
  o.wall_seconds = 2.5;
  o.provenance.device = "cpu";
  o.provenance.ranks = 2;
  results::Provenance group;
  group.host = "node7";
  group.rank_group = "0 (rank 1)";
  const auto m = result_from_json(result_json("job", o), group);
  EXPECT_EQ(m.job_id, "job");
  EXPECT_EQ(m.outcome.status, JobStatus::Failed);
  EXPECT_EQ(m.outcome.error_class, ErrorClass::Diverged);
  EXPECT_EQ(m.outcome.error.rfind("loss is NaN at epoch 3 ", 0), 0u);
  EXPECT_TRUE(std::isnan(m.outcome.test.mse));
  EXPECT_EQ(m.outcome.parameters, 123);
  EXPECT_EQ(m.outcome.wall_seconds, 2.5);
  EXPECT_EQ(m.outcome.provenance.host, "node7");  // where: from the group's HELLO
  EXPECT_EQ(m.outcome.provenance.device, "cpu");  // what: from the result
  EXPECT_EQ(m.outcome.provenance.ranks, 2);
}

TEST(WireFormat, HelloAndIds) {
  results::Provenance p;
  p.fufi_version = "0.1.0";
  p.host = "h";
  p.gpu = "0,1";
  p.rank_group = "1 (ranks 3-4)";
  p.malloc_library = "libc.so.6";
  const auto back = provenance_from_json(provenance_json(p));
  EXPECT_EQ(back.fufi_version, "0.1.0");
  EXPECT_EQ(back.gpu, "0,1");
  EXPECT_EQ(back.rank_group, "1 (ranks 3-4)");
  EXPECT_EQ(back.malloc_library, "libc.so.6");
  EXPECT_EQ(id_from_json(id_json("abc")), "abc");
  EXPECT_LT(kHello, kResult);
}

}  // namespace fufi_test_wire_format
