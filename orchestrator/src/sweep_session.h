#pragma once
// The coordinator's side of a sweep (private to fufi_orchestrator): everything before the first job (the
// sweep file, the DB's lock, migrations, data preparation, registration) and after the last (the run
// record and the summary line), and how often the DB commits in between.
#include <functional>
#include <iosfwd>
#include <memory>

#include "coordinator_lock.h"
#include "fufi/orchestrator/coordinator.h"
#include "fufi/orchestrator/sweep_run.h"
#include "sweep_progress.h"

namespace fufi::orchestrator {

struct Session {
  Sweep sweep;
  std::unique_ptr<CoordinatorLock> lock;
  std::unique_ptr<results::ResultsStore> store;
  std::unique_ptr<Coordinator> coordinator;
  std::unique_ptr<Progress> progress;
  Clock::time_point start = Clock::now();
};

// `world_size` ranks, `groups` rank groups taking jobs (for the run record and the ETA).
std::unique_ptr<Session> open_session(const std::function<Sweep()>& load, const SweepRunOptions& o, int world_size,
                                      int groups, std::ostream& err);
// Closes the run record and prints the summary to `out`. Returns run_sweep's exit code: 0 when every job is
// done, 1 when some failed for good or fail-fast stopped the sweep.
int close_session(Session& s, std::ostream& out);

// Commits at most every 25 ms: a stream of short jobs shares transactions (each commit appends every page it
// touched to the WAL), while readers lag by no more than that.
class CommitClock {
 public:
  explicit CommitClock(Coordinator& c) : c_(c) {}
  void maybe();
  void now();

 private:
  Coordinator& c_;
  Clock::time_point last_ = Clock::now();
};

}  // namespace fufi::orchestrator
