#include "fufi/orchestrator/coordinator.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "fufi/core/error.h"

namespace fufi::orchestrator {

// Issue #20: another file under a taken name would take the sweep and its jobs over silently.
void check_sweep_binding(results::Database& db, const Sweep& sweep, bool replace) {
  auto q = db.prepare("SELECT file, file_sha256 FROM sweeps WHERE name = ?1");
  q.bind(1, sweep.name);
  if (!q.step()) return;
  const std::string file = q.column_text(0), sha = q.column_text(1);
  if (sha == sweep.file_sha256 || replace) return;
  std::error_code e1, e2;
  const auto a = std::filesystem::weakly_canonical(std::filesystem::absolute(file), e1);
  const auto b = std::filesystem::weakly_canonical(std::filesystem::absolute(sweep.file), e2);
  if (!e1 && !e2 && a == b) return;
  FUFI_THROW(UsageError,
             "{}: the sweep name '{}' is taken in {} by another file, {} (sha256 {}); give this file another name, "
             "or pass --replace-sweep to make it the sweep '{}' (jobs the old file has and this one does not are "
             "then listed as orphaned)",
             sweep.file, sweep.name, db.path(), file, sha.substr(0, 12), sweep.name);
}

std::vector<Orphan> orphaned_jobs(results::Database& db, const std::string& sweep_name,
                                  const std::unordered_set<std::string_view>& file_job_ids) {
  std::vector<Orphan> out;
  // Jobs no sweep links any more (sync_jobs unlinks what a file drops): listed on every run of any sweep.
  auto unlinked = db.prepare(R"SQL(
    SELECT job_id, model, task, seed, status FROM jobs
    WHERE status != 'done' AND job_id NOT IN (SELECT job_id FROM sweep_jobs) ORDER BY created_at, job_id)SQL");
  while (unlinked.step())
    out.push_back({unlinked.column_text(0), unlinked.column_text(1), unlinked.column_text(2), unlinked.column_text(4),
                   unlinked.column_int(3)});
  // Before a run has synced (--plan): the jobs this sweep still links that its file no longer has.
  if (!file_job_ids.empty()) {
    auto linked = db.prepare(R"SQL(
      SELECT j.job_id, j.model, j.task, j.seed, j.status FROM sweeps s JOIN sweep_jobs sj ON sj.sweep_id = s.sweep_id
      JOIN jobs j ON j.job_id = sj.job_id WHERE s.name = ?1 AND j.status != 'done' ORDER BY sj.position)SQL");
    linked.bind(1, sweep_name);
    while (linked.step())
      if (!file_job_ids.count(linked.column_text(0)))
        out.push_back({linked.column_text(0), linked.column_text(1), linked.column_text(2), linked.column_text(4),
                       linked.column_int(3)});
  }
  return out;
}

std::string orphans_warning(const std::string& file, const std::string& db_path, const std::vector<Orphan>& orphans) {
  if (orphans.empty()) return {};
  std::string list;
  for (const auto& j : orphans)
    list += fmt::format("\n  {} {} {} seed {} ({})", j.id.substr(0, 12), j.model, j.task, j.seed, j.status);
  return fmt::format("fufi: warning: {}: {} job(s) in {} belong to no sweep file any more (a configuration was removed "
                     "or a file replaced); they will not run and keep their rows:{}\n",
                     file, orphans.size(), db_path, list);
}

namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Coordinator::Coordinator(results::ResultsStore& store, const Sweep& sweep, const CoordinatorOptions& options)
    : store_(store), sweep_(sweep), options_(options) {
  // Jobs a dead sweep left running go back to pending; only those this file still has are announced as
  // re-queued (the others are orphans, listed as such: issue #20).
  std::set<std::string> was_running;
  {
    auto q = store_.database().prepare("SELECT job_id FROM jobs WHERE status = 'running'");
    while (q.step()) was_running.insert(q.column_text(0));
  }
  store_.recover_interrupted();

  results::SweepRecord record;
  record.name = sweep.name;
  record.description = sweep.description;
  record.file = sweep.file;
  record.file_sha256 = sweep.file_sha256;
  record.file_text = sweep.file_text;
  record.data = sweep.data.identity();
  record.max_attempts = sweep.max_attempts;
  check_sweep_binding(store_.database(), sweep, options_.replace_sweep);
  sweep_id_ = store_.register_sweep(record);
  std::vector<results::JobRecord> jobs;
  jobs.reserve(sweep.jobs.size());
  for (std::size_t i = 0; i < sweep.jobs.size(); ++i) {
    const SweepJob& j = sweep.jobs[i];
    results::JobRecord r;
    static_cast<JobSpec&>(r) = j.spec();
    r.data = record.data;
    r.run_dir = stored_run_dir(run_dir_of(j));
    jobs.push_back(std::move(r));
    index_[j.id] = i;
  }
  const auto states = store_.sync_jobs(sweep_id_, jobs, sweep.max_attempts, options_.retry_failed);
  orphaned_ = orphaned_jobs(store_.database(), sweep.name, {});
  for (const auto& id : was_running) counts_.requeued += index_.count(id) ? 1 : 0;
  run_id_ = store_.begin_run(sweep_id_, options_.run);

  state_.resize(sweep.jobs.size());
  counts_.total = static_cast<int>(sweep.jobs.size());
  for (std::size_t i = 0; i < sweep.jobs.size(); ++i) {
    auto it = states.find(sweep.jobs[i].id);
    FUFI_CHECK(it != states.end(), RuntimeError, "{}: job {} is missing after it was registered", store_.path(),
               sweep.jobs[i].id);
    JobState& s = state_[i];
    s.status = it->second.status;
    s.attempts = it->second.attempts;
    s.failures = it->second.failures;
    if (s.status == JobStatus::Done) {
      ++counts_.done;
      ++counts_.skipped;
      if (it->second.wall_seconds > 0) learn(sweep.jobs[i], it->second.wall_seconds);
    } else if (s.status == JobStatus::Failed) {
      ++counts_.failed;
    } else {
      FUFI_CHECK(s.status == JobStatus::Pending, RuntimeError, "{}: job {} is '{}' although no sweep is running",
                 store_.path(), sweep.jobs[i].id, to_string(s.status));
      enqueue(i);
    }
  }
  counts_.pending = pending_count_;
}

// jobs.run_dir: relative to the DB's directory when the run directory is under it (the default
// <DB dir>/runs/<id>), so a sweep directory moved or copied with its DB still resolves (issue #20);
// absolute when --runs named a directory elsewhere.
std::string Coordinator::stored_run_dir(const std::string& run_dir) const {
  const auto db_dir = std::filesystem::absolute(store_.path()).parent_path().lexically_normal();
  const auto rel = std::filesystem::path(run_dir).lexically_normal().lexically_relative(db_dir);
  if (rel.empty() || *rel.begin() == "..") return run_dir;
  return rel.string();
}

std::string Coordinator::run_dir_of(const SweepJob& job) const {
  return (std::filesystem::path(options_.runs_dir) / job.id).string();
}

void Coordinator::enqueue(std::size_t index) {
  pending_[sweep_.jobs[index].group_id()].push_back(index);
  ++pending_count_;
}

void Coordinator::learn(const SweepJob& job, double wall_seconds) {
  for (auto* rate : {&group_rate_[job.group_id()], &model_rate_[job.model()], &global_rate_}) {
    rate->first += wall_seconds;
    rate->second += job.work();
  }
}

double Coordinator::rate_for(const SweepJob& job) const {
  auto g = group_rate_.find(job.group_id());
  if (g != group_rate_.end() && g->second.second > 0) return g->second.first / g->second.second;
  auto m = model_rate_.find(job.model());
  if (m != model_rate_.end() && m->second.second > 0) return m->second.first / m->second.second;
  if (global_rate_.second > 0) return global_rate_.first / global_rate_.second;
  return 1.0;  // nothing measured yet: compare jobs by their work units alone
}

std::map<std::string, std::deque<std::size_t>>::const_iterator Coordinator::pick(double* estimate) const {
  // The configuration whose next job is expected to take longest; ties keep grid order.
  auto best = pending_.end();
  double best_estimate = -1;
  std::size_t best_position = 0;
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    const std::size_t index = it->second.front();
    const double e = rate_for(sweep_.jobs[index]) * sweep_.jobs[index].work();
    if (e > best_estimate || (e == best_estimate && index < best_position)) {
      best = it;
      best_estimate = e;
      best_position = index;
    }
  }
  if (estimate) *estimate = best_estimate;
  return best;
}

double Coordinator::next_expected_seconds() const {
  if (stopping_ || pending_count_ == 0 || global_rate_.second <= 0) return -1;
  double estimate = -1;
  pick(&estimate);
  return estimate;
}

std::optional<JobTicket> Coordinator::next(const std::string& host, const std::string& rank_group) {
  if (stopping_ || pending_count_ == 0) return std::nullopt;
  auto best = pending_.find(pick(nullptr)->first);
  const std::size_t index = best->second.front();
  best->second.pop_front();
  if (best->second.empty()) pending_.erase(best);
  --pending_count_;

  const SweepJob& job = sweep_.jobs[index];
  JobState& s = state_[index];
  ++s.attempts;
  s.status = JobStatus::Running;
  s.started = steady_seconds();
  store_.start_attempt(job.id, s.attempts, run_id_, host, rank_group);
  running_[job.id] = index;
  counts_.pending = pending_count_;
  counts_.running = static_cast<int>(running_.size());

  JobTicket t;
  static_cast<JobSpec&>(t) = job.spec();
  t.attempt = s.attempts;
  t.data_dir = options_.data_dir;
  t.run_dir = run_dir_of(job);
  t.synthetic = sweep_.data.synthetic;
  t.synth = sweep_.data.synth;
  return t;
}

void Coordinator::begin(const std::string& job_id, std::int64_t last_epoch, const std::vector<results::EpochRow>& replay) {
  auto it = running_.find(job_id);
  FUFI_CHECK(it != running_.end(), RuntimeError, "a worker began job {}, which is not running", job_id);
  store_.resumed(job_id, last_epoch);
  for (const auto& row : replay)
    if (row.epoch <= last_epoch) store_.epoch(job_id, state_[it->second].attempts, row, /*keep_existing=*/true);
}

void Coordinator::epoch(const std::string& job_id, const results::EpochRow& row) {
  auto it = running_.find(job_id);
  FUFI_CHECK(it != running_.end(), RuntimeError, "a worker reported an epoch of job {}, which is not running", job_id);
  store_.epoch(job_id, state_[it->second].attempts, row);
}

void Coordinator::heartbeat(const std::string& job_id) {
  if (running_.count(job_id)) store_.heartbeat(job_id);
}

void Coordinator::finish(const std::string& job_id, const results::Outcome& outcome) {
  auto it = running_.find(job_id);
  FUFI_CHECK(it != running_.end(), RuntimeError, "a worker finished job {}, which is not running", job_id);
  const std::size_t index = it->second;
  running_.erase(it);
  const SweepJob& job = sweep_.jobs[index];
  JobState& s = state_[index];
  JobEvent event{JobEvent::Kind::Done, &job, s.attempts, outcome};

  switch (outcome.status) {
    case JobStatus::Done:
      store_.finish_attempt(job_id, s.attempts, outcome, false);
      s.status = JobStatus::Done;
      ++counts_.done;
      ++counts_.done_now;
      learn(job, outcome.wall_seconds);
      break;
    case JobStatus::Failed: {
      ++s.failures;
      ++counts_.failed_attempts;
      // What fails the same way on every attempt is not retried: a configuration the model rejects
      // (bad_config), invalid data (bad_data), a divergence (diverged: an attempt reruns the same seed, and
      // training is deterministic), and what does not fit in memory (out_of_memory: the same sizes would be
      // asked for again).
      const bool final = s.failures >= sweep_.max_attempts || outcome.error_class == ErrorClass::BadConfig ||
                         outcome.error_class == ErrorClass::BadData || outcome.error_class == ErrorClass::Diverged ||
                         outcome.error_class == ErrorClass::OutOfMemory;
      store_.finish_attempt(job_id, s.attempts, outcome, final);
      if (final) {
        s.status = JobStatus::Failed;
        ++counts_.failed;
        event.kind = JobEvent::Kind::Failed;
        if (options_.fail_fast) stopping_ = true;
      } else {
        s.status = JobStatus::Pending;
        enqueue(index);
        event.kind = JobEvent::Kind::Retry;
      }
      break;
    }
    case JobStatus::Cancelled:
      store_.finish_attempt(job_id, s.attempts, outcome, false);
      s.status = JobStatus::Pending;
      enqueue(index);
      event.kind = JobEvent::Kind::Cancelled;
      break;
    default:
      FUFI_THROW(RuntimeError, "job {}: unknown outcome '{}'", job_id, to_string(outcome.status));
  }
  counts_.pending = pending_count_;
  counts_.running = static_cast<int>(running_.size());
  if (on_event) on_event(event);
}

std::vector<std::string> Coordinator::running_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, index] : running_) ids.push_back(id);
  return ids;
}

double Coordinator::eta_seconds() const {
  double total = 0;
  for (const auto& [group, queue] : pending_)
    for (auto index : queue) total += rate_for(sweep_.jobs[index]) * sweep_.jobs[index].work();
  const double now = steady_seconds();
  for (const auto& [id, index] : running_)
    total += std::max(0.0, rate_for(sweep_.jobs[index]) * sweep_.jobs[index].work() - (now - state_[index].started));
  // Before anything is measured the estimates are work units, not seconds: no ETA yet.
  if (global_rate_.second <= 0) return -1;
  return total / std::max(1, options_.slots);
}

void Coordinator::close() {
  const RunStatus status = stopping_ ? RunStatus::Stopped : counts_.failed > 0 ? RunStatus::Failed : RunStatus::Finished;
  store_.end_run(run_id_, status, counts_.done_now, counts_.failed);
}

}  // namespace fufi::orchestrator
