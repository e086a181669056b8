#include "fufi/results/store.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <ctime>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/results/table.h"

namespace fufi::results {

std::string utc_now() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t seconds = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", text, static_cast<int>(millis));
}

namespace {

// The resolved configuration as a JSON object of strings (values are stored as the text the engine
// parses), so that json_extract(config, '$.channels') works in any SQLite reader.
std::string config_json(const Config& config) {
  std::string out = "{";
  for (const auto& [key, value] : config.items())
    out += fmt::format("{}\"{}\": \"{}\"", out.size() > 1 ? ", " : "", json_escape(key), json_escape(value));
  return out + "}";
}

// A JobState from the columns status, attempts, failures, wall_seconds starting at `first`.
JobState job_state_at(Statement& s, int first) {
  JobState state;
  state.status = parse_job_status(s.column_text(first));
  state.attempts = static_cast<int>(s.column_int(first + 1));
  state.failures = static_cast<int>(s.column_int(first + 2));
  state.wall_seconds = s.column_double(first + 3);
  return state;
}

}  // namespace

ResultsStore::ResultsStore(const std::string& path) : db_(path, Database::Mode::ReadWrite) {
  // WAL: readers never block the writer and the writer never blocks readers (`fufi query` during a
  // sweep). NORMAL: a commit does not fsync; the WAL is synced at checkpoints, and a power cut can lose
  // only the last batches, which the next run redoes (jobs not recorded done are re-queued).
  const std::string mode = [&] {
    auto s = db_.prepare("PRAGMA journal_mode = WAL");
    return s.step() ? s.column_text(0) : std::string();
  }();
  FUFI_CHECK(mode == "wal", InputError,
             "{}: cannot use write-ahead logging (journal mode '{}'); keep the database on a local disk, not NFS",
             path, mode);
  db_.exec("PRAGMA synchronous = NORMAL");
  // 64 MiB of page cache: the writer touches job rows all over the file; re-reading them costs syscalls.
  db_.exec("PRAGMA cache_size = -65536");
  db_.exec("PRAGMA foreign_keys = ON");
  migrate(db_);
}

ResultsStore::~ResultsStore() {
  try {
    if (transaction_) commit();
  } catch (...) {
    // A destructor must not throw; an uncommitted batch is redone by the next run.
  }
}

Statement& ResultsStore::statement(const char* key, const char* sql) {
  auto it = statements_.find(key);
  if (it == statements_.end()) it = statements_.emplace(key, db_.prepare(sql)).first;
  return it->second;
}

void ResultsStore::write() {
  // A batch SQLite rolled back by itself (a full disk mid-batch) fails here, naming that error, rather than
  // letting the next statements run outside any transaction and the COMMIT fail with "no transaction is active".
  if (transaction_) transaction_->check_open();
  else transaction_ = std::make_unique<WriteTransaction>(db_);
}

void ResultsStore::commit() {
  if (!transaction_) return;
  transaction_->commit();
  transaction_.reset();
}

int ResultsStore::recover_interrupted() {
  WriteTransaction t(db_);
  const std::string now = utc_now();
  db_.prepare("UPDATE attempts SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'").bind(1, now).run();
  db_.prepare("UPDATE jobs SET status = 'pending' WHERE status = 'running'").run();
  const int jobs = static_cast<int>(db_.changes());
  db_.prepare("UPDATE sweep_runs SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'").bind(1, now).run();
  t.commit();
  return jobs;
}

std::int64_t ResultsStore::register_sweep(const SweepRecord& s) {
  WriteTransaction t(db_);
  const std::string now = utc_now();
  db_.prepare(R"SQL(
    INSERT INTO sweeps (name, description, file, file_sha256, file_text, data, max_attempts, created_at, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
    ON CONFLICT (name) DO UPDATE SET description = excluded.description, file = excluded.file,
      file_sha256 = excluded.file_sha256, file_text = excluded.file_text, data = excluded.data,
      max_attempts = excluded.max_attempts, updated_at = excluded.updated_at)SQL")
      .bind(1, s.name).bind(2, s.description).bind(3, s.file).bind(4, s.file_sha256).bind(5, s.file_text)
      .bind(6, s.data).bind(7, s.max_attempts).bind(8, now).run();
  auto id = db_.prepare("SELECT sweep_id FROM sweeps WHERE name = ?1");
  id.bind(1, s.name);
  FUFI_CHECK(id.step(), RuntimeError, "{}: sweep '{}' vanished after it was written", db_.path(), s.name);
  const auto sweep_id = id.column_int(0);
  t.commit();
  return sweep_id;
}

std::map<std::string, JobState> ResultsStore::sync_jobs(std::int64_t sweep_id, const std::vector<JobRecord>& jobs,
                                                       int max_attempts, bool reset_failures) {
  WriteTransaction t(db_);
  const std::string now = utc_now();
  auto insert_job = db_.prepare(R"SQL(
    INSERT OR IGNORE INTO jobs (job_id, group_id, model, task, seed, data, config, run_dir, created_at, config_set)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10))SQL");
  // A configuration's keys are stored once, as a config set (schema v6, issue #17): its text is SQLite's
  // json_group_object of the keys in key order, the same text the v6 migration builds from older DBs, so a
  // configuration registered before and after an upgrade shares its set.
  auto insert_set = db_.prepare(R"SQL(
    INSERT OR IGNORE INTO config_sets (keys)
    SELECT json_group_object(key, value) FROM (SELECT key, value FROM json_each(?1) ORDER BY key))SQL");
  auto find_set = db_.prepare(R"SQL(
    SELECT config_set FROM config_sets
    WHERE keys = (SELECT json_group_object(key, value) FROM (SELECT key, value FROM json_each(?1) ORDER BY key)))SQL");
  auto insert_set_keys = db_.prepare(
      "INSERT OR IGNORE INTO config_set_keys (config_set, key, value) SELECT ?1, key, value FROM json_each(?2)");
  std::map<std::string, std::int64_t> set_of_keys;  // config_json of a set's keys -> its config_set
  std::vector<std::int64_t> new_sets;                // sets this call created
  auto config_set_of = [&](const JobRecord& j) {
    // The keys but the seed (job_config's view adds it from jobs.config), with task and data, which job_config
    // has always held, where the resolved configuration lacks them.
    Config keys = j.resolved;
    keys.erase("seed");
    if (!keys.has("task")) keys.set("task", j.task);
    if (!keys.has("data")) keys.set("data", j.data);
    const std::string text = config_json(keys);
    if (const auto known = set_of_keys.find(text); known != set_of_keys.end()) return known->second;
    insert_set.bind(1, text).run();
    const bool inserted = db_.changes() > 0;
    find_set.bind(1, text);
    FUFI_CHECK(find_set.step(), RuntimeError, "{}: config set of job {} vanished after it was written", db_.path(), j.id);
    const std::int64_t id = find_set.column_int(0);
    find_set.reset();
    if (inserted) {
      insert_set_keys.bind(1, id).bind(2, text).run();
      new_sets.push_back(id);
    }
    return set_of_keys[text] = id;
  };
  auto link = db_.prepare(R"SQL(
    INSERT INTO sweep_jobs (sweep_id, job_id, variant, position) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (sweep_id, job_id) DO UPDATE SET variant = excluded.variant, position = excluded.position)SQL");
  // The job rows in the sweep's order: their rowids keep it, and readers that scan `jobs` see the jobs in the
  // order they were registered (v_summary's seeds list, for one).
  for (const JobRecord& j : jobs) {
    insert_job.bind(1, j.id).bind(2, j.group_id).bind(3, j.model).bind(4, j.task)
        .bind(5, static_cast<std::int64_t>(j.seed)).bind(6, j.data).bind(7, config_json(j.resolved)).bind(8, j.run_dir)
        .bind(9, now).bind(10, config_set_of(j)).run();
  }
  // A job registered before keeps its set; a set made for such jobs only (other execution-only keys this time)
  // is referenced by nothing and goes again.
  auto set_used = db_.prepare("SELECT EXISTS (SELECT 1 FROM jobs WHERE config_set = ?1)");
  for (const std::int64_t id : new_sets) {
    set_used.bind(1, id);
    const bool used = set_used.step() && set_used.column_int(0) != 0;
    set_used.reset();
    if (used) continue;
    db_.prepare("DELETE FROM config_set_keys WHERE config_set = ?1").bind(1, id).run();
    db_.prepare("DELETE FROM config_sets WHERE config_set = ?1").bind(1, id).run();
  }
  // The sweep links in job-id order: sweep_jobs is keyed by the job id, a hash, so in grid order every insert
  // lands on a page far from the last one and, once the table outgrows the page cache, reads and rewrites it; in
  // id order each lands next to the previous one (issue #17).
  std::vector<std::size_t> order(jobs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return jobs[a].id < jobs[b].id; });
  for (const std::size_t position : order) {
    const JobRecord& j = jobs[position];
    link.bind(1, sweep_id).bind(2, j.id).bind(3, j.variant).bind(4, static_cast<std::int64_t>(position)).run();
  }
  // Jobs the sweep file no longer describes leave the sweep (their rows and results are kept).
  db_.exec("CREATE TEMP TABLE IF NOT EXISTS current_jobs (job_id TEXT PRIMARY KEY) WITHOUT ROWID");
  db_.exec("DELETE FROM current_jobs");
  auto add_current = db_.prepare("INSERT OR IGNORE INTO current_jobs (job_id) VALUES (?1)");
  for (const std::size_t i : order) add_current.bind(1, jobs[i].id).run();
  db_.prepare("DELETE FROM sweep_jobs WHERE sweep_id = ?1 AND job_id NOT IN (SELECT job_id FROM current_jobs)")
      .bind(1, sweep_id).run();
  // runs_again()'s rule: failed jobs with retries left (or all, with reset_failures) go back to pending.
  db_.prepare(R"SQL(
    UPDATE jobs SET status = 'pending', failures = CASE WHEN ?2 THEN 0 ELSE failures END
    WHERE status = 'failed' AND (?2 OR failures < ?3) AND job_id IN (SELECT job_id FROM sweep_jobs WHERE sweep_id = ?1))SQL")
      .bind(1, sweep_id).bind(2, reset_failures ? 1 : 0).bind(3, max_attempts).run();

  std::map<std::string, JobState> states;
  auto read = db_.prepare(R"SQL(
    SELECT j.job_id, j.status, j.attempts, j.failures, coalesce(p.wall_seconds, 0)
    FROM sweep_jobs sj JOIN jobs j ON j.job_id = sj.job_id LEFT JOIN provenance p ON p.job_id = j.job_id
    WHERE sj.sweep_id = ?1)SQL");
  read.bind(1, sweep_id);
  while (read.step()) states[read.column_text(0)] = job_state_at(read, 1);
  t.commit();
  return states;
}

std::int64_t ResultsStore::begin_run(std::int64_t sweep_id, const RunInfo& info) {
  WriteTransaction t(db_);
  db_.prepare(R"SQL(
    INSERT INTO sweep_runs (sweep_id, status, started_at, host, world_size, ranks_per_job, groups, fufi_version, git_commit)
    VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, ?8))SQL")
      .bind(1, sweep_id).bind(2, utc_now()).bind(3, info.host).bind(4, info.world_size).bind(5, info.ranks_per_job)
      .bind(6, info.groups).bind(7, info.fufi_version).bind(8, info.git_commit).run();
  const auto id = db_.query_int("SELECT last_insert_rowid()");
  t.commit();
  return id;
}

void ResultsStore::end_run(std::int64_t run_id, RunStatus status, int jobs_done, int jobs_failed) {
  write();
  statement("end_run", "UPDATE sweep_runs SET status = ?2, finished_at = ?3, jobs_done = ?4, jobs_failed = ?5 WHERE run_id = ?1")
      .bind(1, run_id).bind(2, std::string(to_string(status))).bind(3, utc_now()).bind(4, jobs_done).bind(5, jobs_failed).run();
  commit();
}

void ResultsStore::start_attempt(const std::string& job_id, int attempt, std::int64_t run_id, const std::string& host,
                                 const std::string& rank_group) {
  write();
  const std::string now = utc_now();
  auto& job = statement("start_job", R"SQL(
    UPDATE jobs SET status = 'running', attempts = ?2, started_at = ?3, heartbeat_at = ?3, finished_at = NULL,
      host = ?4, rank_group = ?5
    WHERE job_id = ?1 AND status = 'pending')SQL");
  job.bind(1, job_id).bind(2, attempt).bind(3, now).bind(4, host).bind(5, rank_group).run();
  FUFI_CHECK(db_.changes() == 1, RuntimeError, "{}: job {} was not pending when it was started", db_.path(), job_id);
  statement("start_attempt", R"SQL(
    INSERT INTO attempts (job_id, attempt, run_id, status, host, rank_group, started_at)
    VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6))SQL")
      .bind(1, job_id).bind(2, attempt).bind(3, run_id).bind(4, host).bind(5, rank_group).bind(6, now).run();
}

void ResultsStore::resumed(const std::string& job_id, std::int64_t last_epoch) {
  write();
  statement("resumed", "DELETE FROM epochs WHERE job_id = ?1 AND epoch > ?2").bind(1, job_id).bind(2, last_epoch).run();
}

void ResultsStore::epoch(const std::string& job_id, int attempt, const EpochRow& r, bool keep_existing) {
  write();
  auto& s = keep_existing ? statement("epoch_fill", R"SQL(
    INSERT OR IGNORE INTO epochs (job_id, epoch, attempt, train_loss, valid_mse, valid_rmse, valid_mae, valid_mape,
                                  lr, seconds, samples_per_second, best)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))SQL")
                          : statement("epoch", R"SQL(
    INSERT OR REPLACE INTO epochs (job_id, epoch, attempt, train_loss, valid_mse, valid_rmse, valid_mae, valid_mape,
                                   lr, seconds, samples_per_second, best)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))SQL");
  s.bind(1, job_id).bind(2, r.epoch).bind(3, attempt).bind(4, r.train_loss).bind(5, r.valid.mse)
      .bind(6, r.valid.rmse).bind(7, r.valid.mae).bind(8, r.valid.mape).bind(9, r.lr).bind(10, r.seconds)
      .bind(11, r.samples_per_second).bind(12, r.best ? 1 : 0).run();
}

void ResultsStore::heartbeat(const std::string& job_id) {
  write();
  statement("heartbeat", "UPDATE jobs SET heartbeat_at = ?2 WHERE job_id = ?1").bind(1, job_id).bind(2, utc_now()).run();
}

void ResultsStore::finish_attempt(const std::string& job_id, int attempt, const Outcome& o, bool final) {
  write();
  const std::string now = utc_now();
  const auto text = [](std::string_view s) { return s.empty() ? std::optional<std::string>() : std::string(s); };
  switch (o.status) {
  case JobStatus::Done: {
    // The status guard makes "done" happen once: a second result for the same job is an error, never a
    // second row.
    auto& job = statement("job_done", R"SQL(
      UPDATE jobs SET status = 'done', finished_at = ?2, heartbeat_at = ?2, error_class = NULL, error = NULL
      WHERE job_id = ?1 AND status = 'running')SQL");
    job.bind(1, job_id).bind(2, now).run();
    FUFI_CHECK(db_.changes() == 1, RuntimeError, "{}: job {} finished but was not running", db_.path(), job_id);
    auto& result = statement("result", R"SQL(
      INSERT INTO results (job_id, split, mse, rmse, mae, mape) VALUES (?1, ?2, ?3, ?4, ?5, ?6))SQL");
    for (const auto& [split, m] : std::vector<std::pair<std::string, Metrics>>{{"valid", o.valid}, {"test", o.test}})
      result.bind(1, job_id).bind(2, split).bind(3, m.mse).bind(4, m.rmse).bind(5, m.mae).bind(6, m.mape).run();
    const Provenance& p = o.provenance;
    statement("provenance", R"SQL(
      INSERT OR REPLACE INTO provenance (job_id, attempt, fufi_version, git_commit, torch_version, cuda, nccl, mpi_library,
        host, device, gpu, ranks, rank_group, parameters, epochs_run, best_epoch, early_stopped, mean_epoch_seconds,
        wall_seconds, peak_memory_bytes, started_at, finished_at, blas, malloc, memory_format, memory_format_source)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
        (SELECT started_at FROM attempts WHERE job_id = ?1 AND attempt = ?2), ?21, ?22, ?23, ?24, ?25))SQL")
        .bind(1, job_id).bind(2, attempt).bind(3, p.fufi_version).bind(4, p.git_commit).bind(5, p.torch_version)
        .bind(6, p.cuda).bind(7, p.nccl).bind(8, p.mpi_library).bind(9, p.host).bind(10, p.device).bind(11, p.gpu)
        .bind(12, p.ranks).bind(13, p.rank_group).bind(14, o.parameters).bind(15, o.epochs_run).bind(16, o.best_epoch)
        .bind(17, o.early_stopped ? 1 : 0).bind(18, o.mean_epoch_seconds).bind(19, o.wall_seconds)
        .bind(20, o.peak_memory_bytes).bind(21, now).bind(22, p.blas).bind(23, p.malloc_library)
        .bind(24, p.memory_format).bind(25, p.memory_format_source).run();
    break;
  }
  case JobStatus::Failed:
    statement("job_failed", R"SQL(
      UPDATE jobs SET status = ?2, failures = failures + 1, error_class = ?3, error = ?4, finished_at = ?5
      WHERE job_id = ?1 AND status = 'running')SQL")
        .bind(1, job_id).bind(2, std::string(to_string(final ? JobStatus::Failed : JobStatus::Pending)))
        .bind(3, std::string(to_string(o.error_class))).bind(4, o.error).bind(5, now).run();
    break;
  case JobStatus::Cancelled:
    statement("job_cancelled", "UPDATE jobs SET status = 'pending' WHERE job_id = ?1 AND status = 'running'")
        .bind(1, job_id).run();
    break;
  default:
    FUFI_THROW(RuntimeError, "job {}: an attempt cannot end as '{}'", job_id, to_string(o.status));
  }
  statement("finish_attempt", R"SQL(
    UPDATE attempts SET status = ?3, error_class = ?4, error = ?5, finished_at = ?6 WHERE job_id = ?1 AND attempt = ?2)SQL")
      .bind(1, job_id).bind(2, attempt).bind(3, std::string(to_string(o.status))).bind(4, text(to_string(o.error_class)))
      .bind(5, text(o.error)).bind(6, now).run();
}

bool runs_again(const JobState& state, int max_attempts, bool reset_failures) {
  if (state.status == JobStatus::Done) return false;
  if (state.status == JobStatus::Failed) return reset_failures || state.failures < max_attempts;
  return true;
}

std::map<std::string, JobState> read_job_states(const std::string& db_path, const std::vector<std::string>& job_ids) {
  std::map<std::string, JobState> states;
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) return states;
  Database db(db_path, Database::Mode::ReadOnly);
  check_schema_not_newer(db);
  if (db.user_version() == 0) return states;
  auto read = db.prepare(R"SQL(
    SELECT j.status, j.attempts, j.failures, coalesce(p.wall_seconds, 0)
    FROM jobs j LEFT JOIN provenance p ON p.job_id = j.job_id WHERE j.job_id = ?1)SQL");
  for (const auto& id : job_ids) {
    read.bind(1, id);
    if (read.step()) states[id] = job_state_at(read, 0);
    read.reset();
  }
  return states;
}

}  // namespace fufi::results
