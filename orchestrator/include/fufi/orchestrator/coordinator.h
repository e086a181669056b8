#pragma once
// The coordinator's state machine, independent of how jobs reach workers (MPI messages, or the same
// process running them one after another). It owns the queue and is the only writer of the results DB.
//
// Queue: a free rank group gets the pending job with the longest expected duration. Durations are
// estimated in seconds per unit of work (epochs x training samples), from the done jobs of the same
// configuration, else of the same model, else of any model; until anything is done every job counts as
// its work units, so longer jobs still go first. Estimates improve as jobs finish.
//
// Retries: a failed attempt re-queues its job until it has failed max_attempts times; then the job is
// failed for good (and with fail_fast the sweep stops). A bad_config failure (the model rejected its
// configuration) is final at once: it would fail the same way again. Interrupted attempts (the sweep
// died) and cancelled ones (fail-fast stopped them) do not count as failures.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "fufi/orchestrator/runner.h"
#include "fufi/orchestrator/sweep.h"
#include "fufi/results/sqlite.h"
#include "fufi/results/store.h"

namespace fufi::orchestrator {

struct CoordinatorOptions {
  std::string runs_dir;    // job run directories: <runs_dir>/<job id>
  std::string data_dir;    // what prepare_data() (sweep_data.h) returned: the root, or the synthetic data's cache
  bool fail_fast = false;
  bool retry_failed = false;  // failed jobs get max_attempts new attempts
  bool replace_sweep = false;  // another file may take over a sweep name already in the DB (--replace-sweep)
  int slots = 1;              // rank groups working in parallel (for the ETA)
  results::RunInfo run;
};

// Something worth telling the user about.
struct JobEvent {
  enum class Kind { Done, Retry, Failed, Cancelled } kind;
  const SweepJob* job;
  int attempt;
  results::Outcome outcome;
};

// A job the DB holds that no sweep file has any more (see orphaned_jobs).
struct Orphan {
  std::string id, model, task, status;
  std::int64_t seed = 0;
};

// Issue #20: a sweep name is bound to its file. The same content (the file copied or moved) or the same path
// (the file edited) is the same sweep; another file under the same name is a UsageError naming both files,
// unless `replace` (--replace-sweep).
void check_sweep_binding(results::Database& db, const Sweep& sweep, bool replace);
// Jobs not done that no sweep links, and (when `file_job_ids` is given, before a run has synced the sweep:
// --plan) those sweep `sweep_name` links that are not among `file_job_ids`.
std::vector<Orphan> orphaned_jobs(results::Database& db, const std::string& sweep_name,
                                  const std::unordered_set<std::string_view>& file_job_ids);
// "fufi: warning: FILE: N job(s) in DB belong to no sweep file any more ...", one line per job; "" for none.
std::string orphans_warning(const std::string& file, const std::string& db_path, const std::vector<Orphan>& orphans);

class Coordinator {
 public:
  // Recovers jobs a dead sweep left running, registers the sweep and its jobs, and opens a run record.
  // Call while holding the DB's coordinator lock and before any worker starts.
  // check_sweep_binding(options.replace_sweep) first: another file cannot take a sweep name over silently.
  Coordinator(results::ResultsStore& store, const Sweep& sweep, const CoordinatorOptions& options);

  // The next job for a free group (marked running), or nothing when none is pending or the sweep stops.
  std::optional<JobTicket> next(const std::string& host, const std::string& rank_group);
  // Expected seconds of the job next() would hand out; -1 when none is pending or nothing is measured yet.
  double next_expected_seconds() const;
  // The job (re)started from a checkpoint after `last_epoch` (-1: from scratch). `replay` holds the epoch
  // records of the run directory up to that checkpoint: ones the DB lacks (a dead sweep's worker can
  // checkpoint an epoch its coordinator never recorded) are filled in; later rows are dropped.
  void begin(const std::string& job_id, std::int64_t last_epoch, const std::vector<results::EpochRow>& replay = {});
  void epoch(const std::string& job_id, const results::EpochRow& row);
  void heartbeat(const std::string& job_id);
  void finish(const std::string& job_id, const results::Outcome& outcome);
  void commit() { store_.commit(); }
  // Closes the run record (finished, failed or stopped) and commits.
  void close();

  bool has_pending() const { return pending_count_ > 0; }
  int running() const { return static_cast<int>(running_.size()); }
  bool stopping() const { return stopping_; }
  // Nothing left to hand out and nothing running.
  bool finished() const { return running_.empty() && (stopping_ || pending_count_ == 0); }
  // Ids of jobs running now (what fail-fast cancels).
  std::vector<std::string> running_ids() const;

  struct Counts {
    int total = 0, done = 0, failed = 0, running = 0, pending = 0;
    int done_now = 0;     // done by this run
    int skipped = 0;      // already done when the run started
    int requeued = 0;     // left running by a dead sweep
    int failed_attempts = 0;
  };
  const Counts& counts() const { return counts_; }
  // Jobs not done that no sweep links any more (a configuration removed from its file, or the file
  // replaced): they will not run, and are listed instead of left pending silently (issue #20).
  const std::vector<Orphan>& orphaned() const { return orphaned_; }
  // Seconds until the queue is empty at the current estimates, with `slots` groups working.
  double eta_seconds() const;
  std::int64_t run_id() const { return run_id_; }
  std::int64_t sweep_id() const { return sweep_id_; }

  std::function<void(const JobEvent&)> on_event;

 private:
  std::vector<Orphan> orphaned_;
  struct JobState {
    JobStatus status = JobStatus::Pending;
    int attempts = 0, failures = 0;
    double started = 0;  // steady seconds when it was handed out
  };
  std::string run_dir_of(const SweepJob& job) const;
  std::string stored_run_dir(const std::string& run_dir) const;
  double rate_for(const SweepJob& job) const;
  std::map<std::string, std::deque<std::size_t>>::const_iterator pick(double* estimate) const;
  void learn(const SweepJob& job, double wall_seconds);
  void enqueue(std::size_t index);

  results::ResultsStore& store_;
  const Sweep& sweep_;
  CoordinatorOptions options_;
  std::int64_t sweep_id_ = 0, run_id_ = 0;
  std::map<std::string, std::size_t> index_;  // job id -> position in sweep_.jobs
  std::vector<JobState> state_;
  // Pending jobs by configuration: the queue picks among configurations, each keeps grid order.
  std::map<std::string, std::deque<std::size_t>> pending_;
  int pending_count_ = 0;
  std::map<std::string, std::size_t> running_;
  std::map<std::string, std::pair<double, double>> group_rate_, model_rate_;  // (seconds, work units)
  std::pair<double, double> global_rate_{0, 0};
  bool stopping_ = false;
  Counts counts_;
};

}  // namespace fufi::orchestrator
