#include "sweep_progress.h"

#include <unistd.h>

#include <cmath>
#include <iostream>

#include <fmt/format.h>

namespace fufi::orchestrator {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string clock_text(double seconds) {
  if (seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02d}", s / 60, s % 60);
}

Progress::Progress(std::ostream& err, bool quiet, std::string name)
    : err_(err), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0 && &err == &std::cerr), name_(std::move(name)) {}

void Progress::event(const JobEvent& e, const Coordinator& c) {
  if (quiet_ && e.kind != JobEvent::Kind::Failed) return;
  const auto& j = *e.job;
  const std::string label = fmt::format("{} task={}{} seed={} (job {})", j.model(), j.task(),
                                        j.variant().empty() ? "" : " variant=" + j.variant(), j.seed, j.id.substr(0, 12));
  const std::string error_class(to_string(e.outcome.error_class));
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
      line = fmt::format("attempt {} of {} failed, will retry: {}: {}", e.attempt, label, error_class, e.outcome.error);
      break;
    case JobEvent::Kind::Failed:
      line = fmt::format("FAILED {} after {} attempt(s): {}: {}", label, e.attempt, error_class, e.outcome.error);
      break;
    case JobEvent::Kind::Cancelled:
      line = fmt::format("cancelled {} (it resumes from its checkpoint on the next run)", label);
      break;
  }
  print_line(line, c);
}

void Progress::tick(const Coordinator& c, bool force) {
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

void Progress::end() {
  if (live_) err_ << "\n";
  live_ = false;
}

std::string Progress::status(const Coordinator& c) const {
  const auto& n = c.counts();
  return fmt::format("[{}] {}/{} done, {} running, {} failed, {} pending | elapsed {} | ETA {}", name_, n.done, n.total,
                     n.running, n.failed, n.pending, clock_text(seconds_since(start_)),
                     c.finished() ? "0:00" : clock_text(c.eta_seconds()));
}

void Progress::print_line(const std::string& line, const Coordinator& c) {
  if (live_) err_ << "\r\x1b[K";
  err_ << line << "\n";
  last_line_ = Clock::now();
  if (live_) err_ << status(c) << std::flush;
}

}  // namespace fufi::orchestrator
