#include "sweep_session.h"

#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "fufi/orchestrator/provenance.h"

namespace fs = std::filesystem;

namespace fufi::orchestrator {

namespace {

constexpr double kCommitEverySeconds = 0.025;

CoordinatorOptions coordinator_options(const SweepRunOptions& o, const std::string& data_dir, int world_size,
                                       int groups) {
  CoordinatorOptions co;
  co.runs_dir = o.runs_dir.empty() ? default_runs_dir(o.db_path) : fs::absolute(o.runs_dir).lexically_normal().string();
  co.data_dir = data_dir;
  co.fail_fast = o.fail_fast;
  co.retry_failed = o.retry_failed;
  co.replace_sweep = o.replace_sweep;
  co.slots = std::max(1, groups);
  const auto here = local_provenance();
  co.run = {here.host, world_size, o.ranks_per_job, groups, here.fufi_version, here.git_commit};
  return co;
}

}  // namespace

std::unique_ptr<Session> open_session(const std::function<Sweep()>& load, const SweepRunOptions& o, int world_size,
                                      int groups, std::ostream& err) {
  auto s = std::make_unique<Session>();
  s->sweep = load();
  for (const auto& w : s->sweep.warnings) err << "fufi: warning: " << s->sweep.file << ": " << w << "\n";
  // The data first: a sweep whose data root is missing is the user's to fix, and must leave no DB or lock.
  DataCheckOptions check;
  check.validate = o.check_data;
  check.strict = o.strict_data;
  std::vector<std::string> data_warnings;
  const std::string data_dir = prepare_data(
      s->sweep, o.data_cache.empty() ? default_data_cache(o.db_path) : fs::absolute(o.data_cache).string(), check,
      &data_warnings);
  for (const auto& w : data_warnings) err << "fufi: warning: " << w << "\n";
  s->lock = std::make_unique<CoordinatorLock>(o.db_path);
  // Migrations run here, before any worker gets a job.
  s->store = std::make_unique<results::ResultsStore>(o.db_path);
  s->coordinator = std::make_unique<Coordinator>(*s->store, s->sweep, coordinator_options(o, data_dir, world_size, groups));
  s->progress = std::make_unique<Progress>(err, o.quiet, s->sweep.name);
  auto* progress = s->progress.get();
  auto* coordinator = s->coordinator.get();
  coordinator->on_event = [progress, coordinator](const JobEvent& e) { progress->event(e, *coordinator); };
  const auto& n = coordinator->counts();
  // Never left pending silently: jobs no sweep file has any more are named on every run (also with --quiet).
  err << orphans_warning(s->sweep.file, o.db_path, coordinator->orphaned());
  if (!o.quiet) {
    err << fmt::format("[{}] {} jobs: {} done already, {} failed, {} to run{}; DB {}\n", s->sweep.name, n.total, n.done,
                       n.failed, n.pending, n.requeued ? fmt::format(" ({} re-queued from a sweep that died)", n.requeued) : "",
                       o.db_path);
  }
  return s;
}

int close_session(Session& s, std::ostream& out) {
  auto& c = *s.coordinator;
  c.close();
  s.progress->tick(c, true);
  s.progress->end();
  const auto& n = c.counts();
  out << fmt::format("sweep {}: {} jobs: {} done ({} this run), {} failed{}; {:.1f} s; {}\n", s.sweep.name, n.total, n.done,
                     n.done_now, n.failed, c.stopping() ? ", stopped early (--fail-fast)" : "",
                     seconds_since(s.start), s.store->path());
  return n.failed > 0 || c.stopping() || n.done < n.total ? kExitRuntime : kExitOk;
}

void CommitClock::maybe() {
  if (seconds_since(last_) >= kCommitEverySeconds) now();
}

void CommitClock::now() {
  c_.commit();
  last_ = Clock::now();
}

}  // namespace fufi::orchestrator
