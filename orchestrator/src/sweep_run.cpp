#include "fufi/orchestrator/sweep_run.h"

#include <fcntl.h>
#include <mpi.h>
#include <sched.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <list>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/core/version.h"
#include "fufi/orchestrator/coordinator.h"
#include "fufi/results/store.h"
#include "fufi/worker/reducer.h"

namespace fs = std::filesystem;

namespace fufi::orchestrator {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string default_runs_dir(const std::string& db_path) {
  return (fs::absolute(db_path).parent_path() / "runs").lexically_normal().string();
}

std::string default_data_cache(const std::string& db_path) {
  return (fs::absolute(db_path).parent_path() / "data").lexically_normal().string();
}

int detect_gpus() {
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
    int n = 0;
    for (const auto& id : split(visible, ','))
      if (!trim(id).empty() && trim(id) != "-1" && trim(id) != "NoDevFiles") ++n;
    return n;
  }
  std::error_code ec;
  int n = 0;
  for (const auto& entry : fs::directory_iterator("/proc/driver/nvidia/gpus", ec)) {
    (void)entry;
    ++n;
  }
  return n;
}

int gpu_slot(int local_worker, int jobs_per_gpu, int gpus) {
  if (gpus <= 0) return -1;
  return (local_worker / std::max(1, jobs_per_gpu)) % gpus;
}

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Sleeps that grow from 20 us to 2 ms while nothing happens: quick answers when busy, ~nothing when idle.
class Backoff {
 public:
  void reset() { sleep_us_ = 20; }
  void wait() {
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    sleep_us_ = std::min(2000, sleep_us_ * 2);
  }

 private:
  int sleep_us_ = 20;
};

// Compact JSON; bytes that are not UTF-8 (in an error message, say) are replaced, never a throw.
std::string text_of(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

enum Tag : int { kHello = 101, kJob, kStop, kCancel, kBegin, kEpoch, kHeartbeat, kResult };

// Sends that never block: two ranks that MPI_Send to each other at the same moment can both wait in
// the send (a rendezvous needs the other side to receive), which costs each job milliseconds of
// spinning. Messages are kept until their MPI_Isend completes; poll() releases them.
class Outbox {
 public:
  void send(MPI_Comm comm, int dest, int tag, std::string text) {
    pending_.push_back({std::move(text), MPI_REQUEST_NULL});
    auto& p = pending_.back();
    MPI_Isend(p.text.data(), static_cast<int>(p.text.size()), MPI_CHAR, dest, tag, comm, &p.request);
    poll();
  }
  void poll() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      int done = 0;
      MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
      it = done ? pending_.erase(it) : std::next(it);
    }
  }
  // Until every message was delivered (before a rank leaves the sweep).
  void drain();

 private:
  struct Pending {
    std::string text;
    MPI_Request request;
  };
  std::list<Pending> pending_;  // nodes do not move: the buffers stay where MPI_Isend saw them
};

void Outbox::drain() {
  Backoff backoff;
  for (poll(); !pending_.empty(); poll()) backoff.wait();
}

struct Message {
  int source = -1, tag = 0;
  std::string text;
};

// A message if one is waiting (from `source`, any tag), without blocking.
bool try_receive(MPI_Comm comm, int source, Message& m) {
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(source, MPI_ANY_TAG, comm, &flag, &status);
  if (!flag) return false;
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  m.text.assign(static_cast<std::size_t>(count), '\0');
  MPI_Recv(m.text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, comm, MPI_STATUS_IGNORE);
  m.source = status.MPI_SOURCE;
  m.tag = status.MPI_TAG;
  return true;
}

// A message with this tag, if one is waiting (other messages stay queued, in order).
bool try_receive_tag(MPI_Comm comm, int source, int tag, Message& m) {
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(source, tag, comm, &flag, &status);
  if (!flag) return false;
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  m.text.assign(static_cast<std::size_t>(count), '\0');
  MPI_Recv(m.text.data(), count, MPI_CHAR, status.MPI_SOURCE, tag, comm, MPI_STATUS_IGNORE);
  m.source = status.MPI_SOURCE;
  m.tag = tag;
  return true;
}

Message wait_receive(MPI_Comm comm, int source) {
  Message m;
  Backoff backoff;
  while (!try_receive(comm, source, m)) backoff.wait();
  return m;
}

void wait_request(MPI_Request& request) {
  Backoff backoff;
  int done = 0;
  while (true) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    backoff.wait();
  }
}

// The leader's text reaches every rank of the group (non-blocking broadcasts, polled).
std::string group_broadcast(MPI_Comm group, const std::string& text) {
  long long length = static_cast<long long>(text.size());
  MPI_Request request;
  MPI_Ibcast(&length, 1, MPI_LONG_LONG, 0, group, &request);
  wait_request(request);
  std::string out = text;
  out.resize(static_cast<std::size_t>(length));
  MPI_Ibcast(out.data(), static_cast<int>(length), MPI_CHAR, 0, group, &request);
  wait_request(request);
  return out;
}

double number(const json& j, const char* key) {
  const auto& v = j.at(key);
  return v.is_null() ? std::nan("") : v.get<double>();
}

json metrics_json(const results::Metrics& m) { return json::array({m.mse, m.rmse, m.mae, m.mape}); }
results::Metrics metrics_from(const json& j) {
  auto at = [&](std::size_t i) { return j.at(i).is_null() ? std::nan("") : j.at(i).get<double>(); };
  return {at(0), at(1), at(2), at(3)};
}

std::string epoch_json(const std::string& id, const results::EpochRow& r) {
  return text_of(json{{"id", id},           {"epoch", r.epoch}, {"train_loss", r.train_loss}, {"valid", metrics_json(r.valid)},
              {"lr", r.lr},         {"seconds", r.seconds}, {"samples_per_second", r.samples_per_second},
              {"best", r.best}});
}

results::EpochRow epoch_from(const json& j) {
  results::EpochRow r;
  r.epoch = j.at("epoch").get<std::int64_t>();
  r.train_loss = number(j, "train_loss");
  r.valid = metrics_from(j.at("valid"));
  r.lr = number(j, "lr");
  r.seconds = number(j, "seconds");
  r.samples_per_second = number(j, "samples_per_second");
  r.best = j.at("best").get<bool>();
  return r;
}

std::string result_json(const std::string& id, const results::Outcome& o) {
  return text_of(json{{"id", id},
              {"status", o.status},
              {"error_class", o.error_class},
              {"error", o.error},
              {"test", metrics_json(o.test)},
              {"valid", metrics_json(o.valid)},
              {"parameters", o.parameters},
              {"epochs_run", o.epochs_run},
              {"best_epoch", o.best_epoch},
              {"peak_memory_bytes", o.peak_memory_bytes},
              {"early_stopped", o.early_stopped},
              {"mean_epoch_seconds", o.mean_epoch_seconds},
              {"wall_seconds", o.wall_seconds},
              {"device", o.provenance.device},
              {"ranks", o.provenance.ranks}});
}

results::Outcome outcome_from(const json& j, const results::Provenance& where) {
  results::Outcome o;
  o.status = j.at("status").get<std::string>();
  o.error_class = j.at("error_class").get<std::string>();
  o.error = j.at("error").get<std::string>();
  o.test = metrics_from(j.at("test"));
  o.valid = metrics_from(j.at("valid"));
  o.parameters = j.at("parameters").get<std::int64_t>();
  o.epochs_run = j.at("epochs_run").get<std::int64_t>();
  o.best_epoch = j.at("best_epoch").get<std::int64_t>();
  o.peak_memory_bytes = j.at("peak_memory_bytes").get<std::int64_t>();
  o.early_stopped = j.at("early_stopped").get<bool>();
  o.mean_epoch_seconds = number(j, "mean_epoch_seconds");
  o.wall_seconds = number(j, "wall_seconds");
  o.provenance = where;
  o.provenance.device = j.at("device").get<std::string>();
  o.provenance.ranks = j.at("ranks").get<int>();
  return o;
}

std::string provenance_json(const results::Provenance& p) {
  return text_of(json{{"fufi_version", p.fufi_version}, {"git_commit", p.git_commit}, {"torch_version", p.torch_version},
              {"cuda", p.cuda},                 {"nccl", p.nccl},             {"mpi_library", p.mpi_library},
              {"host", p.host},                 {"gpu", p.gpu},               {"rank_group", p.rank_group},
              {"blas", p.blas},                 {"malloc", p.malloc_library}});
}

results::Provenance provenance_from(const json& j) {
  results::Provenance p;
  p.fufi_version = j.at("fufi_version").get<std::string>();
  p.git_commit = j.at("git_commit").get<std::string>();
  p.torch_version = j.at("torch_version").get<std::string>();
  p.cuda = j.at("cuda").get<std::string>();
  p.nccl = j.at("nccl").get<std::string>();
  p.mpi_library = j.at("mpi_library").get<std::string>();
  p.host = j.at("host").get<std::string>();
  p.gpu = j.at("gpu").get<std::string>();
  p.rank_group = j.at("rank_group").get<std::string>();
  p.blas = j.at("blas").get<std::string>();
  p.malloc_library = j.at("malloc").get<std::string>();
  return p;
}

// One writer per DB: an advisory lock next to it, released by the kernel when the holder dies (kill -9
// included), so a rerun after a crash never waits for a stale lock.
class CoordinatorLock {
 public:
  explicit CoordinatorLock(const std::string& db_path) : path_(db_path + ".lock") {
    fs::create_directories(fs::absolute(path_).parent_path());
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    FUFI_CHECK(fd_ >= 0, InputError, "{}: cannot create the coordinator lock file", path_);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      std::ifstream in(path_);
      std::string holder;
      std::getline(in, holder);
      ::close(fd_);
      fd_ = -1;
      FUFI_THROW(RuntimeError, "{}: another fufi sweep is writing this database ({}); wait for it to finish or stop it",
                 db_path, holder.empty() ? "holder unknown" : holder);
    }
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    const std::string holder = fmt::format("pid {} on {}\n", ::getpid(), host);
    if (::ftruncate(fd_, 0) == 0) {
      const auto written = ::write(fd_, holder.data(), holder.size());
      (void)written;
    }
  }
  ~CoordinatorLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  std::string path_;
  int fd_ = -1;
};

std::string clock_text(double seconds) {
  if (seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02d}", s / 60, s % 60);
}

// One live line on a terminal, plain lines otherwise; job failures always get their own line.
class Progress {
 public:
  Progress(std::ostream& err, bool quiet, std::string name)
      : err_(err), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0 && &err == &std::cerr), name_(std::move(name)) {}

  void event(const JobEvent& e, const Coordinator& c) {
    if (quiet_ && e.kind != JobEvent::Kind::Failed) return;
    const auto& j = *e.job;
    const std::string label = fmt::format("{} task={}{} seed={} (job {})", j.model, j.task,
                                          j.variant.empty() ? "" : " variant=" + j.variant, j.seed, j.id.substr(0, 12));
    std::string line;
    switch (e.kind) {
      case JobEvent::Kind::Done:
        // On a terminal the live line counts completions. In a log every job gets a line, except that
        // jobs shorter than a second (a benchmark of trivial jobs) get at most one line per second.
        if (tty_ || (e.outcome.wall_seconds < 1.0 && seconds_since(last_line_) < 1.0)) return;
        line = fmt::format("done [{}/{}] {} test mse {:.4g} mae {:.4g} mape {:.4g} ({:.1f} s)", c.counts().done,
                           c.counts().total, label, e.outcome.test.mse, e.outcome.test.mae, e.outcome.test.mape,
                           e.outcome.wall_seconds);
        break;
      case JobEvent::Kind::Retry:
        line = fmt::format("attempt {} of {} failed, will retry: {}: {}", e.attempt, label, e.outcome.error_class,
                           e.outcome.error);
        break;
      case JobEvent::Kind::Failed:
        line = fmt::format("FAILED {} after {} attempt(s): {}: {}", label, e.attempt, e.outcome.error_class, e.outcome.error);
        break;
      case JobEvent::Kind::Cancelled:
        line = fmt::format("cancelled {} (it resumes from its checkpoint on the next run)", label);
        break;
    }
    print_line(line, c);
  }

  void tick(const Coordinator& c, bool force = false) {
    if (quiet_) return;
    if (tty_) {
      if (!force && seconds_since(last_line_) < 0.25) return;
      err_ << "\r\x1b[K" << status(c) << std::flush;
      live_ = true;
      last_line_ = Clock::now();
    } else if (force || seconds_since(last_status_) >= 60.0) {
      err_ << status(c) << "\n";
      last_line_ = last_status_ = Clock::now();
    }
  }

  void end() {
    if (live_) err_ << "\n";
    live_ = false;
  }

 private:
  std::string status(const Coordinator& c) const {
    const auto& n = c.counts();
    return fmt::format("[{}] {}/{} done, {} running, {} failed, {} pending | elapsed {} | ETA {}", name_, n.done, n.total,
                       n.running, n.failed, n.pending, clock_text(seconds_since(start_)),
                       c.finished() ? "0:00" : clock_text(c.eta_seconds()));
  }
  void print_line(const std::string& line, const Coordinator& c) {
    if (live_) err_ << "\r\x1b[K";
    err_ << line << "\n";
    last_line_ = Clock::now();
    if (live_) err_ << status(c) << std::flush;
  }

  std::ostream& err_;
  bool quiet_, tty_;
  bool live_ = false;
  std::string name_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_line_ = Clock::now() - std::chrono::hours(1);
  Clock::time_point last_status_ = Clock::now();
};

struct JobCancelled : std::runtime_error {
  JobCancelled() : std::runtime_error("cancelled by the coordinator (fail-fast)") {}
};

// The coordinator's side of a sweep: everything before the first job and after the last.
struct Session {
  Sweep sweep;
  std::unique_ptr<CoordinatorLock> lock;
  std::unique_ptr<results::ResultsStore> store;
  std::unique_ptr<Coordinator> coordinator;
  std::unique_ptr<Progress> progress;
  Clock::time_point start = Clock::now();
};

std::unique_ptr<Session> open_session(const std::function<Sweep()>& load, const SweepRunOptions& o, int world_size,
                                      int groups, std::ostream& err) {
  auto s = std::make_unique<Session>();
  s->sweep = load();
  for (const auto& w : s->sweep.warnings) err << "fufi: warning: " << s->sweep.file << ": " << w << "\n";
  s->lock = std::make_unique<CoordinatorLock>(o.db_path);
  // Migrations run here, before any worker gets a job.
  s->store = std::make_unique<results::ResultsStore>(o.db_path);
  CoordinatorOptions co;
  co.runs_dir = o.runs_dir.empty() ? default_runs_dir(o.db_path) : fs::absolute(o.runs_dir).lexically_normal().string();
  co.data_dir = prepare_data(s->sweep, o.data_cache.empty() ? default_data_cache(o.db_path) : fs::absolute(o.data_cache).string());
  co.fail_fast = o.fail_fast;
  co.retry_failed = o.retry_failed;
  co.slots = std::max(1, groups);
  const auto here = local_provenance();
  co.run = {here.host, world_size, o.ranks_per_job, groups, here.fufi_version, here.git_commit};
  s->coordinator = std::make_unique<Coordinator>(*s->store, s->sweep, co);
  s->progress = std::make_unique<Progress>(err, o.quiet, s->sweep.name);
  auto* progress = s->progress.get();
  auto* coordinator = s->coordinator.get();
  coordinator->on_event = [progress, coordinator](const JobEvent& e) { progress->event(e, *coordinator); };
  const auto& n = coordinator->counts();
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
  return n.failed > 0 || c.stopping() || n.done < n.total ? 1 : 0;
}

constexpr double kCommitEverySeconds = 0.025;

// Commits at most every kCommitEverySeconds: a stream of short jobs shares transactions (each commit
// appends every page it touched to the WAL), while readers lag by no more than that.
class CommitClock {
 public:
  explicit CommitClock(Coordinator& c) : c_(c) {}
  void maybe() {
    if (seconds_since(last_) >= kCommitEverySeconds) now();
  }
  void now() {
    c_.commit();
    last_ = Clock::now();
  }

 private:
  Coordinator& c_;
  Clock::time_point last_ = Clock::now();
};

// The single-process path: the engine's records go to the run directory (as with `fufi train`) and
// straight to the coordinator.
class CoordinatorSink : public worker::RecordSink {
 public:
  CoordinatorSink(Coordinator& c, CommitClock& commit, const JobTicket& t)
      : c_(c), commit_(commit), id_(t.id), run_dir_(t.run_dir) {}
  void begin(std::int64_t last_epoch) override {
    files().begin(last_epoch);
    c_.begin(id_, last_epoch, read_epoch_log(run_dir_));
    commit_.maybe();
  }
  void epoch(const worker::EpochRecord& r) override {
    files().epoch(r);
    c_.epoch(id_, epoch_row(r));
    commit_.maybe();
  }
  void result(const worker::RunResult& r) override { files().result(r); }

 private:
  Coordinator& c_;
  CommitClock& commit_;
  std::string id_, run_dir_;
  // Created on first use: a job that never reports (a no-op runner) leaves no directory behind.
  std::optional<worker::RunDirSink> files_;
  worker::RunDirSink& files() {
    if (!files_) files_.emplace(run_dir_);
    return *files_;
  }
};

worker::RunResult run_safely(JobRunner& runner, const JobTicket& t, worker::RecordSink& sink, worker::Reducer& reducer,
                             const worker::EngineCallbacks& callbacks) {
  try {
    return runner.run(t, sink, reducer, callbacks);
  } catch (const std::exception& e) {
    worker::RunResult r;
    r.status = "failed";
    r.error_class = "runtime";
    r.error = e.what();
    return r;
  }
}

// Without workers: this process runs each job in turn.
int run_local(const std::function<Sweep()>& load, const SweepRunOptions& o, JobRunner& runner, std::ostream& out,
              std::ostream& err) {
  auto session = open_session(load, o, 1, 1, err);
  auto& c = *session->coordinator;
  auto provenance = local_provenance();
  provenance.rank_group = "local";
  auto reducer = worker::make_local_reducer();
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
    const auto result = run_safely(runner, *ticket, sink, *reducer, callbacks);
    c.finish(ticket->id, outcome_of(result, seconds_since(t0), provenance));
    // A result is committed at once: the next job may run for hours without another event.
    commit.now();
  }
  return close_session(*session, out);
}

struct Layout {
  int rank = 0, size = 1;
  int group = -1;  // this rank's group; -1: coordinator or idle
  int groups = 0;
  int local_worker = 0, local_workers = 1;  // among the workers of this node
};

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

std::size_t queue_depth(const Coordinator& c) {
  const double expected = c.next_expected_seconds();
  if (expected < 0 || expected > kPrefetchBelowSeconds) return 1;
  const double cover = std::ceil(kPrefetchCoverSeconds / std::max(expected, 1e-6));
  return std::clamp<std::size_t>(static_cast<std::size_t>(cover) + 1, 2, kPrefetchMax);
}

void stop_groups(MPI_Comm comm, std::vector<GroupInfo>& groups, Outbox& outbox) {
  for (auto& g : groups)
    if (!g.stopped) {
      outbox.send(comm, g.leader, kStop, "");
      g.stopped = true;
    }
  // Every leader says hello once; receive the ones still in flight so none is left unmatched.
  for (auto& g : groups) {
    while (!g.hello) {
      Message m = wait_receive(comm, g.leader);
      if (m.tag == kHello) g.hello = true;
    }
  }
  outbox.drain();
}

int run_coordinator(const std::function<Sweep()>& load, const SweepRunOptions& o, const Layout& layout, MPI_Comm comm,
                    std::ostream& out, std::ostream& err) {
  std::vector<GroupInfo> groups(static_cast<std::size_t>(layout.groups));
  for (int g = 0; g < layout.groups; ++g) groups[static_cast<std::size_t>(g)].leader = 1 + g * o.ranks_per_job;

  Outbox outbox;
  std::unique_ptr<Session> session;
  try {
    session = open_session(load, o, layout.size, layout.groups, err);
  } catch (...) {
    stop_groups(comm, groups, outbox);
    throw;
  }
  const int idle_ranks = layout.size - 1 - layout.groups * o.ranks_per_job;
  if (idle_ranks > 0)
    err << fmt::format("fufi: warning: {} rank(s) left idle: {} workers do not divide into groups of {}\n", idle_ranks,
                       layout.size - 1, o.ranks_per_job);

  auto& c = *session->coordinator;
  try {
    bool cancelled = false;
    Backoff backoff;
    CommitClock commit(c);
    while (true) {
      int handled = 0;
      Message m;
      // Handle what is waiting; the commit clock then makes one transaction of many messages.
      while (handled < 4096 && try_receive(comm, MPI_ANY_SOURCE, m)) {
        ++handled;
        GroupInfo& g = groups[static_cast<std::size_t>((m.source - 1) / o.ranks_per_job)];
        switch (m.tag) {
          case kHello:
            g.hello = true;
            g.provenance = provenance_from(json::parse(m.text));
            if (!o.quiet && !g.provenance.gpu.empty())
              err << fmt::format("[{}] rank group {} on {}: GPU {}\n", session->sweep.name, g.provenance.rank_group,
                                 g.provenance.host, g.provenance.gpu);
            break;
          case kBegin: {
            const auto j = json::parse(m.text);
            std::vector<results::EpochRow> replay;
            for (const auto& e : j.at("epochs")) replay.push_back(epoch_from(e));
            c.begin(j.at("id").get<std::string>(), j.at("last_epoch").get<std::int64_t>(), replay);
            break;
          }
          case kEpoch: {
            const auto j = json::parse(m.text);
            c.epoch(j.at("id").get<std::string>(), epoch_from(j));
            break;
          }
          case kHeartbeat:
            c.heartbeat(json::parse(m.text).at("id").get<std::string>());
            break;
          case kResult: {
            const auto j = json::parse(m.text);
            const auto id = j.at("id").get<std::string>();
            FUFI_CHECK(!g.jobs.empty() && g.jobs.front() == id, RuntimeError,
                       "coordinator: rank {} reported job {}, which it was not running", m.source, id);
            c.finish(id, outcome_from(j, g.provenance));
            g.jobs.pop_front();
            break;
          }
          default:
            FUFI_THROW(RuntimeError, "coordinator: unexpected message tag {} from rank {}", m.tag, m.source);
        }
      }
      // Idle groups first, then (short jobs only) jobs queued ahead, one round per queue level.
      for (std::size_t depth = 0; depth < queue_depth(c) && c.has_pending(); ++depth) {
        for (auto& g : groups) {
          if (!g.hello || g.stopped || g.jobs.size() != depth) continue;
          auto ticket = c.next(g.provenance.host, g.provenance.rank_group);
          if (!ticket) break;
          outbox.send(comm, g.leader, kJob, to_json(*ticket));
          g.jobs.push_back(ticket->id);
          ++handled;
        }
      }
      if (c.stopping() && !cancelled) {
        for (auto& g : groups)
          for (const auto& id : g.jobs) outbox.send(comm, g.leader, kCancel, text_of(json{{"id", id}}));
        cancelled = true;
      }
      outbox.poll();
      if (handled) backoff.reset();
      commit.maybe();
      const bool all_hello = std::all_of(groups.begin(), groups.end(), [](const GroupInfo& g) { return g.hello; });
      if (c.finished() && all_hello) break;
      session->progress->tick(c);
      if (!handled) backoff.wait();
    }
    stop_groups(comm, groups, outbox);
    return close_session(*session, out);
  } catch (const std::exception& e) {
    // Workers may be inside a job: no orderly way to reach them. Commit what is known and take the
    // MPI job down; rerunning the command recovers (running jobs are re-queued from their checkpoints).
    try {
      c.commit();
    } catch (...) {
    }
    const Error* fe = dynamic_cast<const Error*>(&e);
    err << "fufi: error: " << (fe ? fe->message() : std::string(e.what())) << "\n" << std::flush;
    MPI_Abort(MPI_COMM_WORLD, fe ? fe->exit_code() : 1);
    return 1;
  }
}

// A rank group's leader writes the run directory (as `fufi train` does) and forwards the engine's records
// to the coordinator. On a resume it also sends the run directory's records up to the checkpoint, so the
// DB gets epochs that a dead sweep's worker checkpointed but its coordinator never recorded.
class LeaderSink : public worker::RecordSink {
 public:
  LeaderSink(MPI_Comm comm, Outbox& outbox, const JobTicket& t)
      : comm_(comm), outbox_(outbox), id_(t.id), run_dir_(t.run_dir) {}
  void begin(std::int64_t last_epoch) override {
    files().begin(last_epoch);
    json epochs = json::array();
    for (const auto& row : read_epoch_log(run_dir_)) epochs.push_back(json::parse(epoch_json(id_, row)));
    outbox_.send(comm_, 0, kBegin, text_of(json{{"id", id_}, {"last_epoch", last_epoch}, {"epochs", epochs}}));
  }
  void epoch(const worker::EpochRecord& r) override {
    files().epoch(r);
    outbox_.send(comm_, 0, kEpoch, epoch_json(id_, epoch_row(r)));
  }
  void result(const worker::RunResult& r) override { files().result(r); }

 private:
  MPI_Comm comm_;
  Outbox& outbox_;
  std::string id_, run_dir_;
  // Created on first use: a job that never reports (a no-op runner) leaves no directory behind.
  std::optional<worker::RunDirSink> files_;
  worker::RunDirSink& files() {
    if (!files_) files_.emplace(run_dir_);
    return *files_;
  }
};

class NullSink : public worker::RecordSink {
 public:
  void epoch(const worker::EpochRecord&) override {}
  void result(const worker::RunResult&) override {}
};

std::unique_ptr<worker::Reducer> group_reducer(MPI_Comm group, const JobTicket& t) {
  int size = 1;
  MPI_Comm_size(group, &size);
  if (size == 1) return worker::make_local_reducer();
  const std::string device = t.settings.get_string("device", "cpu");
  if (device.rfind("cuda", 0) == 0) {
    const auto colon = device.find(':');
    const int index = colon == std::string::npos ? 0 : std::stoi(device.substr(colon + 1));
    return worker::make_nccl_reducer(group, index);
  }
  return worker::make_mpi_reducer(group);
}

void run_worker(const SweepRunOptions& o, const Layout& layout, MPI_Comm comm, MPI_Comm group, JobRunner& runner,
                results::Provenance provenance, int threads) {
  int group_rank = 0, group_size = 1;
  MPI_Comm_rank(group, &group_rank);
  MPI_Comm_size(group, &group_size);
  const bool leader = group_rank == 0;
  Outbox outbox;

  // The leader learns every member's GPU for the provenance.
  char gpu[32] = {0};
  std::snprintf(gpu, sizeof gpu, "%s", provenance.gpu.c_str());
  std::vector<char> gpus(static_cast<std::size_t>(32 * group_size), 0);
  MPI_Gather(gpu, 32, MPI_CHAR, gpus.data(), 32, MPI_CHAR, 0, group);
  if (leader) {
    std::vector<std::string> list;
    for (int r = 0; r < group_size; ++r) list.emplace_back(gpus.data() + 32 * r);
    const bool any = std::any_of(list.begin(), list.end(), [](const std::string& s) { return !s.empty(); });
    provenance.gpu = any ? join(list, ",") : "";
    provenance.rank_group = group_size == 1 ? fmt::format("{} (rank {})", layout.group, layout.rank)
                                            : fmt::format("{} (ranks {}-{})", layout.group, layout.rank,
                                                          layout.rank + group_size - 1);
    outbox.send(comm, 0, kHello, provenance_json(provenance));
  }

  // Ids the coordinator cancelled (fail-fast): the running job, or one handed out ahead that has not started.
  std::set<std::string> cancelled;
  auto note_cancel = [&](const Message& m) { cancelled.insert(json::parse(m.text).at("id").get<std::string>()); };
  while (true) {
    std::string relay;
    if (leader) {
      Message m = wait_receive(comm, 0);
      while (m.tag == kCancel) {
        note_cancel(m);
        m = wait_receive(comm, 0);
      }
      if (m.tag == kStop) {
        relay = "S";
      } else {
        // A cancel sent after this job may already be here; a cancelled job that has not started is skipped
        // by the whole group ("C"), a job cancelled while it runs stops at its next training step.
        Message c;
        while (try_receive_tag(comm, 0, kCancel, c)) note_cancel(c);
        const std::string id = json::parse(m.text).at("id").get<std::string>();
        relay = (cancelled.count(id) ? "C" : "J") + m.text;
      }
    }
    if (group_size > 1) relay = group_broadcast(group, relay);
    if (relay[0] == 'S') break;
    JobTicket ticket = ticket_from_json(relay.substr(1));
    ticket.worker_threads = threads;

    auto reducer = group_reducer(group, ticket);
    std::unique_ptr<worker::RecordSink> sink;
    if (leader) sink = std::make_unique<LeaderSink>(comm, outbox, ticket);
    else sink = std::make_unique<NullSink>();
    bool cancel = relay[0] == 'C';
    auto last_beat = Clock::now();
    worker::EngineCallbacks callbacks;
    callbacks.heartbeat = [&] {
      if (leader) {
        Message m;
        while (try_receive_tag(comm, 0, kCancel, m)) note_cancel(m);
        cancel = cancel || cancelled.count(ticket.id) > 0;
        if (seconds_since(last_beat) >= o.heartbeat_seconds) {
          last_beat = Clock::now();
          outbox.send(comm, 0, kHeartbeat, text_of(json{{"id", ticket.id}}));
        }
      }
      if (group_size > 1) {
        // Every rank of the group is at the same step: all of them stop together or none does.
        int flag = cancel ? 1 : 0;
        MPI_Bcast(&flag, 1, MPI_INT, 0, group);
        cancel = flag != 0;
      }
      if (cancel) throw JobCancelled();
    };
    const auto t0 = Clock::now();
    worker::RunResult result;
    if (!cancel) result = run_safely(runner, ticket, *sink, *reducer, callbacks);
    if (cancel) {
      result.status = "cancelled";
      result.error_class.clear();
      result.error.clear();
    }
    if (leader) outbox.send(comm, 0, kResult, result_json(ticket.id, outcome_of(result, seconds_since(t0), provenance)));
  }
  outbox.drain();
}

// Torch threads of a worker: the cores a launcher bound it to, else the node's cores shared by the
// node's workers (the coordinator mostly sleeps and is not counted).
int worker_threads(int local_workers) {
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int allowed = CPU_COUNT(&set);
    if (allowed > 0 && allowed < hardware) return allowed;
  }
  return std::max(1, hardware / std::max(1, local_workers));
}

}  // namespace

int run_sweep(const std::function<Sweep()>& load, const SweepRunOptions& o, JobRunner& runner, std::ostream& out,
              std::ostream& err) {
  FUFI_CHECK(o.ranks_per_job >= 1, UsageError, "--ranks-per-job must be >= 1, got {}", o.ranks_per_job);
  FUFI_CHECK(o.jobs_per_gpu >= 1, UsageError, "--jobs-per-gpu must be >= 1, got {}", o.jobs_per_gpu);
  if (!worker::mpi_launched()) return run_local(load, o, runner, out, err);

  const auto world = worker::mpi_world();
  if (world.size == 1) return run_local(load, o, runner, out, err);

  Layout layout;
  layout.rank = world.rank;
  layout.size = world.size;
  layout.groups = (world.size - 1) / o.ranks_per_job;
  if (layout.groups < 1) {
    // Every rank stops with status 2; one of them says why.
    if (world.rank != 0) return 2;
    FUFI_THROW(UsageError, "--ranks-per-job {}: needs at least {} ranks (one coordinator and one group), mpirun started {}",
               o.ranks_per_job, o.ranks_per_job + 1, world.size);
  }
  if (world.rank > 0 && world.rank <= layout.groups * o.ranks_per_job) layout.group = (world.rank - 1) / o.ranks_per_job;

  MPI_Comm comm, role, node, group;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  // Workers of this node (the coordinator apart) number themselves for the GPU mapping.
  MPI_Comm_split(MPI_COMM_WORLD, world.rank == 0 ? 0 : 1, world.rank, &role);
  MPI_Comm_split_type(role, MPI_COMM_TYPE_SHARED, world.rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &layout.local_worker);
  MPI_Comm_size(node, &layout.local_workers);
  MPI_Comm_split(MPI_COMM_WORLD, layout.group >= 0 ? layout.group : MPI_UNDEFINED, world.rank, &group);

  int code = 0;
  if (world.rank == 0) {
    code = run_coordinator(load, o, layout, comm, out, err);
  } else if (layout.group >= 0) {
    auto provenance = local_provenance();
    const int gpus = o.gpus >= 0 ? o.gpus : detect_gpus();
    const int slot = gpu_slot(layout.local_worker, o.jobs_per_gpu, gpus);
    if (slot >= 0) {
      // Before anything touches CUDA: this process sees one GPU, so `device=cuda` means that GPU and a
      // job's configuration does not depend on where it runs.
      std::string physical = std::to_string(slot);
      if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
        auto ids = split(visible, ',');
        if (static_cast<std::size_t>(slot) < ids.size()) physical = trim(ids[static_cast<std::size_t>(slot)]);
      }
      setenv("CUDA_VISIBLE_DEVICES", physical.c_str(), 1);
      provenance.gpu = physical;
    }
    run_worker(o, layout, comm, group, runner, provenance, worker_threads(layout.local_workers));
  }
  if (group != MPI_COMM_NULL) MPI_Comm_free(&group);
  MPI_Comm_free(&node);
  MPI_Comm_free(&role);
  MPI_Comm_free(&comm);
  return code;
}

}  // namespace fufi::orchestrator
