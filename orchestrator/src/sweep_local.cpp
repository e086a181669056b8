#include <algorithm>
#include <thread>

#include "fufi/orchestrator/provenance.h"
#include "fufi/worker/communicator.h"
#include "sweep_roles.h"
#include "sweep_session.h"
#include "sweep_sinks.h"

namespace fufi::orchestrator {

worker::RunResult run_safely(JobRunner& runner, const JobTicket& t, worker::RecordSink& sink, worker::Communicator& comm,
                             const worker::EngineCallbacks& callbacks) {
  try {
    return runner.run(t, sink, comm, callbacks);
  } catch (const std::exception& e) {
    return failed_result(error_class_of(e), e);
  }
}

int run_local(const std::function<Sweep()>& load, const SweepRunOptions& o, JobRunner& runner, std::ostream& out,
              std::ostream& err) {
  auto session = open_session(load, o, 1, 1, err);
  auto& c = *session->coordinator;
  auto provenance = local_provenance();
  provenance.rank_group = "local";
  auto comm = worker::make_local_communicator();
  CommitClock commit(c);
  // The engine's default for one process on a node: every core.
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  while (auto ticket = c.next(provenance.host, "local")) {
    ticket->worker_threads = threads;
    commit.maybe();
    session->progress->tick(c);
    CoordinatorSink sink(c, commit, *ticket);
    auto last_beat = Clock::now();
    worker::EngineCallbacks callbacks;
    callbacks.heartbeat = [&] {
      if (seconds_since(last_beat) < o.heartbeat_seconds) return;
      last_beat = Clock::now();
      c.heartbeat(ticket->id);
      commit.now();
      session->progress->tick(c);
    };
    const auto t0 = Clock::now();
    const auto result = run_safely(runner, *ticket, sink, *comm, callbacks);
    c.finish(ticket->id, outcome_of(result, seconds_since(t0), provenance));
    // A result is committed at once: the next job may run for hours without another event.
    commit.now();
  }
  return close_session(*session, out);
}

}  // namespace fufi::orchestrator
