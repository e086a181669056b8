#pragma once
// The results database: schema (migrated by PRAGMA user_version), and the writer that the sweep
// coordinator, its only writer, uses. Readers (`fufi query`, sqlite3, pandas, Datasette) open the same
// file read-only; docs/DATABASE.md documents every table and view.
//
// Writes are batched: each write joins an open BEGIN IMMEDIATE transaction that commit() ends, so the
// coordinator commits once per batch of worker messages (WAL, synchronous=NORMAL: no fsync per job).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fufi/core/job.h"
#include "fufi/core/metrics.h"
#include "fufi/core/status.h"
#include "fufi/results/schema.h"
#include "fufi/results/sqlite.h"

namespace fufi::results {

// The one metrics type (fufi/core/metrics.h): what the engine measures is what the DB stores.
using Metrics = ::fufi::FlowMetrics;

struct SweepRecord {
  std::string name;
  std::string description;
  std::string file;       // the sweep file's path as given
  std::string file_sha256;
  std::string file_text;  // the whole file, so the DB says exactly what was asked for
  std::string data;       // the dataset identity (synthetic preset and seed, or the data root)
  int max_attempts = 2;
};

// A job as the DB stores it: the JobSpec (id, group_id, model, task, variant, seed; `resolved` becomes the
// config columns) and where it reads and writes.
struct JobRecord : JobSpec {
  std::string data;  // the dataset identity
  std::string run_dir;
};

struct JobState {
  JobStatus status = JobStatus::Pending;  // Pending | Running | Done | Failed
  int attempts = 0;    // attempts started, interrupted ones included
  int failures = 0;    // failed attempts: what max_attempts bounds
  double wall_seconds = 0;  // of the successful attempt (done jobs)
};

// Whether a sweep run would run this job again: it is not done, and not failed for good (a failed job gets
// new attempts while it has failed fewer than `max_attempts` times, or always with `reset_failures`). The
// rule sync_jobs applies in SQL, for callers that only read (`fufi sweep --plan`).
bool runs_again(const JobState& state, int max_attempts, bool reset_failures);

struct RunInfo {
  std::string host;
  int world_size = 1;
  int ranks_per_job = 1;
  int groups = 1;
  std::string fufi_version, git_commit;
};

// One row of the `epochs` table: the engine's own record (fufi/core/job.h).
using EpochRow = ::fufi::EpochRecord;

// Where and with what a job ran: what `provenance` holds.
struct Provenance {
  std::string fufi_version, git_commit, torch_version, cuda, nccl, mpi_library;
  std::string host, device, gpu, rank_group;
  std::string blas, malloc_library;  // fufi::blas_library(), fufi::malloc_library() of the worker
  // The memory format the job trained in (channels_last | contiguous) and how it was chosen: set | measured |
  // cached (channels_last=auto, worker/autotune.h). Empty for runners that do not train.
  std::string memory_format, memory_format_source;
  int ranks = 1;
};

struct Outcome {
  JobStatus status = JobStatus::Done;  // Done | Failed | Cancelled
  ErrorClass error_class = ErrorClass::None;
  std::string error;
  Metrics test, valid;
  std::int64_t parameters = 0, epochs_run = 0, best_epoch = -1, peak_memory_bytes = 0;
  bool early_stopped = false;
  double mean_epoch_seconds = 0, wall_seconds = 0;
  Provenance provenance;
};

class ResultsStore {
 public:
  // Opens (creating) DB for writing: WAL, synchronous=NORMAL, busy_timeout, foreign keys, migrations.
  explicit ResultsStore(const std::string& path);
  ~ResultsStore();

  const std::string& path() const { return db_.path(); }
  Database& database() { return db_; }

  // Jobs and attempts left `running` by a sweep that died go back to pending (attempts: interrupted),
  // runs left `running` become `interrupted`. Only safe while no other coordinator writes (the caller
  // holds the coordinator lock). Returns the number of jobs re-queued.
  int recover_interrupted();

  // Inserts or updates the sweep by name; returns its id.
  std::int64_t register_sweep(const SweepRecord& sweep);
  // Adds the jobs not yet in the DB (pending), links all of them to the sweep with their variant and
  // position, and unlinks jobs the sweep no longer has (their rows and results stay). Failed jobs with
  // fewer than `max_attempts` failures go back to pending (max_attempts may have been raised);
  // `reset_failures` re-queues every failed job with a fresh count. Returns the state of every job, by id.
  std::map<std::string, JobState> sync_jobs(std::int64_t sweep_id, const std::vector<JobRecord>& jobs, int max_attempts,
                                            bool reset_failures);
  std::int64_t begin_run(std::int64_t sweep_id, const RunInfo& info);
  void end_run(std::int64_t run_id, RunStatus status, int jobs_done, int jobs_failed);

  // Buffered into the open transaction; commit() makes them durable.
  void start_attempt(const std::string& job_id, int attempt, std::int64_t run_id, const std::string& host,
                     const std::string& rank_group);
  // The job resumed from a checkpoint whose last finished epoch is `last_epoch`: later epoch rows
  // (written by a run that died before its next checkpoint) are dropped; they will be run again.
  void resumed(const std::string& job_id, std::int64_t last_epoch);
  // keep_existing: a replayed record (see Coordinator::begin) only fills a gap, never replaces a row.
  void epoch(const std::string& job_id, int attempt, const EpochRow& row, bool keep_existing = false);
  void heartbeat(const std::string& job_id);
  // Ends an attempt. done: results and provenance are written and the job becomes done (exactly once:
  // a job that is not running is a RuntimeError). failed: `final` decides failed or pending again.
  // cancelled: back to pending, not counted as a failure.
  void finish_attempt(const std::string& job_id, int attempt, const Outcome& outcome, bool final);
  void commit();
  bool in_transaction() const { return transaction_ != nullptr; }

 private:
  void write();  // opens the batch transaction if none is open
  Statement& statement(const char* key, const char* sql);
  Database db_;
  std::unique_ptr<WriteTransaction> transaction_;
  std::map<std::string, Statement> statements_;
};

// Reads the state of the given jobs from a database that may not exist (then: no states), read-only.
std::map<std::string, JobState> read_job_states(const std::string& db_path, const std::vector<std::string>& job_ids);

// "2025-11-22T06:07:08.123Z": the timestamps the database holds (UTC, sortable, julianday() reads them).
std::string utc_now();

}  // namespace fufi::results
