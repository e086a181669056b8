// Rank 0 of an MPI sweep: receives the groups' messages, feeds them to the Coordinator (the DB's only
// writer), hands out jobs and, with fail-fast, cancels the running ones.
#include <algorithm>
#include <cmath>
#include <deque>
#include <ostream>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/core/mpi_check.h"
#include "mpi_transport.h"
#include "sweep_roles.h"
#include "sweep_session.h"
#include "wire_format.h"

namespace fufi::orchestrator {

namespace {

struct GroupInfo {
  int leader = 0;
  bool hello = false, stopped = false;
  std::deque<std::string> jobs;  // handed out, in order: the first is running, any others wait at the leader
  results::Provenance provenance;
};

// Groups get jobs ahead of time only when jobs are short (measured): the leader then starts the next one
// at once instead of waiting for the coordinator to wake up and answer, which dominates the cost of
// sub-second jobs on a busy node. Enough are queued to cover ~50 ms of work (at most 16). Long jobs are
// never reserved early, so for them the longest-first queue decides.
constexpr double kPrefetchBelowSeconds = 1.0;
constexpr double kPrefetchCoverSeconds = 0.05;
constexpr std::size_t kPrefetchMax = 16;
// Messages handled before the loop hands out jobs and commits again.
constexpr int kMessagesPerRound = 4096;

std::size_t queue_depth(const Coordinator& c) {
  const double expected = c.next_expected_seconds();
  if (expected < 0 || expected > kPrefetchBelowSeconds) return 1;
  const double cover = std::ceil(kPrefetchCoverSeconds / std::max(expected, 1e-6));
  return std::clamp<std::size_t>(static_cast<std::size_t>(cover) + 1, 2, kPrefetchMax);
}

class CoordinatorLoop {
 public:
  CoordinatorLoop(const SweepRunOptions& o, const Layout& layout, MPI_Comm comm, std::ostream& err)
      : o_(o), comm_(comm), err_(err), groups_(static_cast<std::size_t>(layout.groups)) {
    for (int g = 0; g < layout.groups; ++g) groups_[static_cast<std::size_t>(g)].leader = 1 + g * o.ranks_per_job;
  }

  // Every group gets STOP; the HELLOs still in flight are received so none is left unmatched.
  void stop_groups();
  // Until the sweep is finished and every group said hello; then the groups are stopped.
  void run(Session& session);

 private:
  void handle(const Message& m, Session& session);
  int hand_out_jobs(Coordinator& c);
  void cancel_running();

  const SweepRunOptions& o_;
  MPI_Comm comm_;
  std::ostream& err_;
  std::vector<GroupInfo> groups_;
  Outbox outbox_;
  bool cancelled_ = false;
};

void CoordinatorLoop::stop_groups() {
  for (auto& g : groups_)
    if (!g.stopped) {
      outbox_.send(comm_, g.leader, kStop, "");
      g.stopped = true;
    }
  for (auto& g : groups_) {
    while (!g.hello) {
      Message m = wait_receive(comm_, g.leader);
      if (m.tag == kHello) g.hello = true;
    }
  }
  outbox_.drain();
}

void CoordinatorLoop::handle(const Message& m, Session& session) {
  Coordinator& c = *session.coordinator;
  GroupInfo& g = groups_[static_cast<std::size_t>((m.source - 1) / o_.ranks_per_job)];
  switch (m.tag) {
    case kHello:
      g.hello = true;
      g.provenance = provenance_from_json(m.text);
      if (!o_.quiet && !g.provenance.gpu.empty())
        err_ << fmt::format("[{}] rank group {} on {}: GPU {}\n", session.sweep.name, g.provenance.rank_group,
                            g.provenance.host, g.provenance.gpu);
      break;
    case kBegin: {
      const auto b = begin_from_json(m.text);
      c.begin(b.job_id, b.last_epoch, b.replay);
      break;
    }
    case kEpoch: {
      const auto e = epoch_from_json(m.text);
      c.epoch(e.job_id, e.record);
      break;
    }
    case kHeartbeat:
      c.heartbeat(id_from_json(m.text));
      break;
    case kResult: {
      const auto r = result_from_json(m.text, g.provenance);
      FUFI_CHECK(!g.jobs.empty() && g.jobs.front() == r.job_id, RuntimeError,
                 "coordinator: rank {} reported job {}, which it was not running", m.source, r.job_id);
      c.finish(r.job_id, r.outcome);
      g.jobs.pop_front();
      break;
    }
    default:
      FUFI_THROW(RuntimeError, "coordinator: unexpected message tag {} from rank {}", m.tag, m.source);
  }
}

// Idle groups first, then (short jobs only) jobs queued ahead, one round per queue level. Returns how many.
int CoordinatorLoop::hand_out_jobs(Coordinator& c) {
  int sent = 0;
  for (std::size_t depth = 0; depth < queue_depth(c) && c.has_pending(); ++depth) {
    for (auto& g : groups_) {
      if (!g.hello || g.stopped || g.jobs.size() != depth) continue;
      auto ticket = c.next(g.provenance.host, g.provenance.rank_group);
      if (!ticket) break;
      outbox_.send(comm_, g.leader, kJob, to_json(*ticket));
      g.jobs.push_back(ticket->id);
      ++sent;
    }
  }
  return sent;
}

void CoordinatorLoop::cancel_running() {
  for (auto& g : groups_)
    for (const auto& id : g.jobs) outbox_.send(comm_, g.leader, kCancel, id_json(id));
  cancelled_ = true;
}

void CoordinatorLoop::run(Session& session) {
  Coordinator& c = *session.coordinator;
  Backoff backoff;
  CommitClock commit(c);
  while (true) {
    int handled = 0;
    Message m;
    // Handle what is waiting; the commit clock then makes one transaction of many messages.
    while (handled < kMessagesPerRound && try_receive(comm_, MPI_ANY_SOURCE, m)) {
      ++handled;
      handle(m, session);
    }
    handled += hand_out_jobs(c);
    if (c.stopping() && !cancelled_) cancel_running();
    outbox_.poll();
    if (handled) backoff.reset();
    commit.maybe();
    const bool all_hello = std::all_of(groups_.begin(), groups_.end(), [](const GroupInfo& g) { return g.hello; });
    if (c.finished() && all_hello) break;
    session.progress->tick(c);
    if (!handled) backoff.wait();
  }
  stop_groups();
}

}  // namespace

int run_coordinator(const std::function<Sweep()>& load, const SweepRunOptions& o, const Layout& layout, MPI_Comm comm,
                    std::ostream& out, std::ostream& err) {
  CoordinatorLoop loop(o, layout, comm, err);
  std::unique_ptr<Session> session;
  try {
    session = open_session(load, o, layout.size, layout.groups, err);
  } catch (...) {
    loop.stop_groups();
    throw;
  }
  const int idle_ranks = layout.size - 1 - layout.groups * o.ranks_per_job;
  if (idle_ranks > 0)
    err << fmt::format("fufi: warning: {} rank(s) left idle: {} workers do not divide into groups of {}\n", idle_ranks,
                       layout.size - 1, o.ranks_per_job);
  try {
    loop.run(*session);
    return close_session(*session, out);
  } catch (const std::exception& e) {
    // Workers may be inside a job: no orderly way to reach them. Commit what is known and take the
    // MPI job down; rerunning the command recovers (running jobs are re-queued from their checkpoints).
    try {
      session->coordinator->commit();
    } catch (...) {
    }
    const Error* fe = dynamic_cast<const Error*>(&e);
    err << "fufi: error: " << (fe ? fe->message() : std::string(e.what())) << "\n" << std::flush;
    FUFI_MPI_CHECK(MPI_Abort(MPI_COMM_WORLD, fe ? fe->exit_code() : kExitRuntime));
    return kExitRuntime;
  }
}

}  // namespace fufi::orchestrator
