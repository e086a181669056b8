// A worker rank of an MPI sweep. Ranks form groups of --ranks-per-job; each group's rank 0 (its leader)
// talks to the coordinator and relays every JOB or STOP to its group, and the whole group trains the job
// data-parallel over the group's communicator.
#include <cstdio>
#include <set>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/mpi_check.h"
#include "fufi/core/strings.h"
#include "fufi/worker/communicator.h"
#include "mpi_transport.h"
#include "sweep_progress.h"
#include "sweep_roles.h"
#include "sweep_sinks.h"
#include "wire_format.h"

namespace fufi::orchestrator {

namespace {

struct JobCancelled : std::runtime_error {
  JobCancelled() : std::runtime_error("cancelled by the coordinator (fail-fast)") {}
};

// The group's communicator for this job: NCCL for `device=cuda[:K]`, else MPI; none needed alone.
std::unique_ptr<worker::Communicator> group_reducer(MPI_Comm group, const JobTicket& t) {
  int size = 1;
  FUFI_MPI_CHECK(MPI_Comm_size(group, &size));
  if (size == 1) return worker::make_local_communicator();
  const std::string device = t.settings.get_string("device", "cpu");
  if (device.rfind("cuda", 0) != 0) return worker::make_mpi_communicator(group);
  const auto colon = device.find(':');
  std::int64_t index = 0;
  FUFI_CHECK(colon == std::string::npos || parse_int(device.substr(colon + 1), index), UsageError,
             "key 'device': '{}' is not cuda or cuda:N", device);
  return worker::make_nccl_communicator(group, static_cast<int>(index));
}

class Worker {
 public:
  Worker(const SweepRunOptions& o, const Layout& layout, MPI_Comm comm, MPI_Comm group, JobRunner& runner,
         results::Provenance provenance, int threads);
  void run();

 private:
  void say_hello();
  std::string next_relay();
  void note_cancels();
  void run_job(JobTicket ticket, bool cancel);
  worker::EngineCallbacks callbacks_for(const JobTicket& ticket, bool& cancel);

  const SweepRunOptions& o_;
  const Layout& layout_;
  MPI_Comm comm_, group_;
  JobRunner& runner_;
  results::Provenance provenance_;
  int threads_;
  int group_rank_ = 0, group_size_ = 1;
  bool leader_ = true;
  Outbox outbox_;
  std::set<std::string> cancelled_;  // ids the coordinator cancelled: the running job, or one handed out ahead
};

Worker::Worker(const SweepRunOptions& o, const Layout& layout, MPI_Comm comm, MPI_Comm group, JobRunner& runner,
               results::Provenance provenance, int threads)
    : o_(o), layout_(layout), comm_(comm), group_(group), runner_(runner), provenance_(std::move(provenance)), threads_(threads) {
  FUFI_MPI_CHECK(MPI_Comm_rank(group, &group_rank_));
  FUFI_MPI_CHECK(MPI_Comm_size(group, &group_size_));
  leader_ = group_rank_ == 0;
}

// The leader learns every member's GPU and tells the coordinator where the group runs.
void Worker::say_hello() {
  char gpu[32] = {0};
  std::snprintf(gpu, sizeof gpu, "%s", provenance_.gpu.c_str());
  std::vector<char> gpus(static_cast<std::size_t>(32 * group_size_), 0);
  FUFI_MPI_CHECK(MPI_Gather(gpu, 32, MPI_CHAR, gpus.data(), 32, MPI_CHAR, 0, group_));
  if (!leader_) return;
  std::vector<std::string> list;
  for (int r = 0; r < group_size_; ++r) list.emplace_back(gpus.data() + 32 * r);
  const bool any = std::any_of(list.begin(), list.end(), [](const std::string& s) { return !s.empty(); });
  provenance_.gpu = any ? join(list, ",") : "";
  provenance_.rank_group = group_size_ == 1 ? fmt::format("{} (rank {})", layout_.group, layout_.rank)
                                            : fmt::format("{} (ranks {}-{})", layout_.group, layout_.rank,
                                                          layout_.rank + group_size_ - 1);
  outbox_.send(comm_, 0, kHello, provenance_json(provenance_));
}

void Worker::note_cancels() {
  Message m;
  while (try_receive(comm_, 0, m, kCancel)) cancelled_.insert(id_from_json(m.text));
}

// What the group does next, as the leader relays it: "S" (stop), "J<ticket>" (run), "C<ticket>" (a job
// cancelled before it started: the whole group skips it). Only the leader's value counts.
std::string Worker::next_relay() {
  if (!leader_) return "";
  Message m = wait_receive(comm_, 0);
  while (m.tag == kCancel) {
    cancelled_.insert(id_from_json(m.text));
    m = wait_receive(comm_, 0);
  }
  if (m.tag == kStop) return "S";
  note_cancels();  // a cancel sent after this job may already be here
  return (cancelled_.count(id_from_json(m.text)) ? "C" : "J") + m.text;
}

worker::EngineCallbacks Worker::callbacks_for(const JobTicket& ticket, bool& cancel) {
  worker::EngineCallbacks callbacks;
  auto last_beat = std::make_shared<Clock::time_point>(Clock::now());
  callbacks.heartbeat = [this, &ticket, &cancel, last_beat] {
    if (leader_) {
      note_cancels();
      cancel = cancel || cancelled_.count(ticket.id) > 0;
      if (seconds_since(*last_beat) >= o_.heartbeat_seconds) {
        *last_beat = Clock::now();
        outbox_.send(comm_, 0, kHeartbeat, id_json(ticket.id));
      }
    }
    if (group_size_ > 1) {
      // Every rank of the group is at the same step: all of them stop together or none does.
      int flag = cancel ? 1 : 0;
      FUFI_MPI_CHECK(MPI_Bcast(&flag, 1, MPI_INT, 0, group_));
      cancel = flag != 0;
    }
    if (cancel) throw JobCancelled();
  };
  return callbacks;
}

void Worker::run_job(JobTicket ticket, bool cancel) {
  ticket.worker_threads = threads_;
  std::unique_ptr<worker::RecordSink> sink;
  if (leader_) sink = std::make_unique<LeaderSink>(comm_, outbox_, ticket);
  else sink = std::make_unique<NullSink>();
  const auto callbacks = callbacks_for(ticket, cancel);
  const auto t0 = Clock::now();
  worker::RunResult result;
  std::unique_ptr<worker::Communicator> comm;  // lives until the result is sent
  if (!cancel) {
    try {
      // Built per job (its device decides NCCL or MPI): a bad device fails this job, not the sweep.
      comm = group_reducer(group_, ticket);
      result = run_safely(runner_, ticket, *sink, *comm, callbacks);
    } catch (const std::exception& e) {
      result = failed_result(error_class_of(e), e);
    }
  }
  if (cancel) {
    result.status = std::string(to_string(JobStatus::Cancelled));
    result.error_class.clear();
    result.error.clear();
  }
  if (leader_) outbox_.send(comm_, 0, kResult, result_json(ticket.id, outcome_of(result, seconds_since(t0), provenance_)));
}

void Worker::run() {
  say_hello();
  while (true) {
    std::string relay = next_relay();
    if (group_size_ > 1) relay = group_broadcast(group_, relay);
    if (relay[0] == 'S') break;
    run_job(ticket_from_json(relay.substr(1)), relay[0] == 'C');
  }
  outbox_.drain();
}

}  // namespace

void run_worker(const SweepRunOptions& o, const Layout& layout, MPI_Comm comm, MPI_Comm group, JobRunner& runner,
                results::Provenance provenance, int threads) {
  Worker(o, layout, comm, group, runner, std::move(provenance), threads).run();
}

}  // namespace fufi::orchestrator
