#pragma once
// The sweep's progress on stderr (private to fufi_orchestrator): one live status line on a terminal, plain
// lines (at most one a minute) in a log; job failures always get their own line.
#include <chrono>
#include <iosfwd>
#include <string>

#include "fufi/orchestrator/coordinator.h"

namespace fufi::orchestrator {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0);

// "m:ss" or "h:mm:ss"; "?" for a negative (unknown) duration.
std::string clock_text(double seconds);

class Progress {
 public:
  Progress(std::ostream& err, bool quiet, std::string name);
  void event(const JobEvent& e, const Coordinator& c);
  // The status line, at most every 0.25 s on a terminal and every minute in a log, unless forced.
  void tick(const Coordinator& c, bool force = false);
  void end();

 private:
  std::string status(const Coordinator& c) const;
  void print_line(const std::string& line, const Coordinator& c);

  std::ostream& err_;
  bool quiet_, tty_;
  bool live_ = false;
  std::string name_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_line_ = Clock::now() - std::chrono::hours(1);
  Clock::time_point last_status_ = Clock::now();
};

}  // namespace fufi::orchestrator
