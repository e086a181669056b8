#include "fufi/bench/op_profile.h"

#include <ATen/record_function.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include <fmt/format.h>

#include "fufi/core/error.h"

namespace fufi::bench {

namespace {

using Clock = std::chrono::steady_clock;

// One operator in flight: when it started and how long the operators it called took, so that its self time
// is its own. Nested calls on one thread form a stack (RecordFunction calls start and end in LIFO order).
struct OpContext : at::ObserverContext {
  Clock::time_point start;
  double children_us = 0;
  OpContext* parent = nullptr;
};

thread_local OpContext* t_innermost = nullptr;
std::atomic<OpProfile*> g_profile{nullptr};  // one profile at a time (the callback is global)

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction&) {
  auto ctx = std::make_unique<OpContext>();
  ctx->parent = t_innermost;
  t_innermost = ctx.get();
  ctx->start = Clock::now();
  return ctx;
}

void on_end(const at::RecordFunction& fn, at::ObserverContext* observed) {
  auto* ctx = static_cast<OpContext*>(observed);
  if (!ctx) return;
  const double total_us = std::chrono::duration<double, std::micro>(Clock::now() - ctx->start).count();
  t_innermost = ctx->parent;
  if (ctx->parent) ctx->parent->children_us += total_us;
  if (auto* profile = g_profile.load()) profile->add(fn.name(), std::max(0.0, total_us - ctx->children_us));
}

}  // namespace

OpProfile::OpProfile() {
  OpProfile* expected = nullptr;
  FUFI_CHECK(g_profile.compare_exchange_strong(expected, this), UsageError, "--profile: a profile is already running");
  handle_ = at::addGlobalCallback(
      at::RecordFunctionCallback(&on_start, &on_end)
          .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION, at::RecordScope::USER_SCOPE}));
}

OpProfile::~OpProfile() {
  at::removeCallback(handle_);
  g_profile.store(nullptr);
}

void OpProfile::add(const std::string& name, double self_us) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& entry = self_us_[name];
  entry.first += self_us;
  entry.second += 1;
}

std::vector<OpShare> OpProfile::top(std::size_t top, std::int64_t steps, double step_ms) const {
  FUFI_CHECK(steps > 0 && step_ms > 0, UsageError, "--profile: needs at least one profiled step");
  std::vector<OpShare> out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, entry] : self_us_) {
      OpShare s;
      s.name = name;
      s.self_ms = entry.first / 1000.0 / static_cast<double>(steps);
      s.calls = (entry.second + steps / 2) / steps;
      s.share = s.self_ms / step_ms;
      out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(), [](const OpShare& a, const OpShare& b) {
    return a.self_ms != b.self_ms ? a.self_ms > b.self_ms : a.name < b.name;
  });
  if (out.size() > top) out.resize(top);
  return out;
}

std::string to_table(const std::vector<OpShare>& shares, double step_ms) {
  std::string s = fmt::format("step {:.1f} ms (profiled)\n\n| operator | self ms / step | share | calls / step |\n|---|---:|---:|---:|\n",
                              step_ms);
  double listed = 0;
  for (const auto& o : shares) {
    s += fmt::format("| {} | {:.2f} | {:.1f} % | {} |\n", o.name, o.self_ms, 100.0 * o.share, o.calls);
    listed += o.self_ms;
  }
  s += fmt::format("| (the listed operators) | {:.2f} | {:.1f} % | |\n", listed, 100.0 * listed / step_ms);
  return s;
}

}  // namespace fufi::bench
