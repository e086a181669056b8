#include "report_verdict.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "fufi/core/strings.h"
#include "fufi/results/report_stats.h"
#include "report_format.h"
#include "report_items.h"
#include "report_naive.h"

namespace fufi::results::report {

namespace {

// One row of a task: a trained model or a naive reference, over its done seeds.
struct Row {
  std::string key;
  bool naive = false;
  CellStats cell;
  std::string name() const { return naive ? "naive " + key : key; }
};

// The row with the lowest mean on `metric` among those `naive` or not; null when none has one. Ties: the first
// in the rows' order (the paper's model order, then the naive order).
const Row* best_of(const std::vector<Row>& rows, bool naive, int metric) {
  const Row* best = nullptr;
  for (const auto& r : rows) {
    const double m = r.cell.mean(metric);
    if (r.naive != naive || std::isnan(m)) continue;
    if (!best || m < best->cell.mean(metric)) best = &r;
  }
  return best;
}

std::string welch_words(const Row& a, const Row& b, int metric) {
  const auto w = welch_t_test(a.cell.values(metric), b.cell.values(metric));
  return w.valid ? "Welch " + p_in_words(w.p) : "one seed: no Welch test";
}

std::string pct(double x) { return fmt::format("{:.1f} %", std::fabs(x)); }

// "urbanfm won MSE (20.230), 3.3 % below the best naive row (historical, 20.930; Welch p = 0.002)", or
// "naive historical by_hour won MAE (1.924): the best trained model, urbanfm (2.183), is 13.5 % above it (...)".
std::string metric_clause(const std::vector<Row>& rows, int m) {
  const std::string& name = kMetricNames[static_cast<std::size_t>(m)];
  const Row* trained = best_of(rows, false, m);
  const Row* naive = best_of(rows, true, m);
  if (!trained && !naive) return fmt::format("no row has a test {}", name);
  if (!naive) return fmt::format("{} won {} ({}; no naive row on this task)", trained->name(), name, fmt_metric(trained->cell.mean(m)));
  if (!trained)
    return fmt::format("{} won {} ({}; no trained model done on this task)", naive->name(), name, fmt_metric(naive->cell.mean(m)));
  const double t = trained->cell.mean(m), n = naive->cell.mean(m);
  const std::string test = welch_words(*trained, *naive, m);
  if (t < n)
    return fmt::format("{} won {} ({}), {} below the best naive row ({}, {}; {})", trained->name(), name, fmt_metric(t),
                       pct(relative_change_percent(t, n)), naive->key, fmt_metric(n), test);
  return fmt::format("{} won {} ({}): the best trained model, {} ({}), is {} above it ({})", naive->name(), name,
                     fmt_metric(n), trained->name(), fmt_metric(t), pct(relative_change_percent(t, n)), test);
}

// "PLGF won every metric", or "PLGF lost MSE to urbanfm (+242.3 %) ..., and a naive row beats it on MSE".
std::string plgf_clause(const std::vector<Row>& rows) {
  std::vector<const Row*> plgfs;
  for (const auto& r : rows)
    if (!r.naive && base_key(r.key) == "plgf") plgfs.push_back(&r);
  // Several configurations of PLGF: the sentence does not pick one (nor average them).
  if (plgfs.size() > 1) {
    std::vector<std::string> keys;
    for (const auto* r : plgfs) keys.push_back(r->key);
    return fmt::format("PLGF has {} configurations in this sweep ({}): no verdict on PLGF", plgfs.size(), join(keys, "; "));
  }
  const auto plgf = std::find_if(rows.begin(), rows.end(), [](const Row& r) { return !r.naive && r.key == "plgf"; });
  if (plgf == rows.end() || plgf->cell.done() == 0) return "PLGF has no result in this sweep";
  std::vector<std::string> lost, naive_wins;
  for (int m = 0; m < 3; ++m) {
    const std::string& name = kMetricNames[static_cast<std::size_t>(m)];
    const double mine = plgf->cell.mean(m);
    const Row* winner = nullptr;
    bool naive_below = false;
    for (const auto& r : rows) {
      const double v = r.cell.mean(m);
      if (std::isnan(v) || !(v < mine)) continue;
      if (!winner || v < winner->cell.mean(m)) winner = &r;
      naive_below = naive_below || r.naive;
    }
    if (winner)
      lost.push_back(fmt::format("{} to {} (PLGF {}, +{}; {})", name, winner->name(), fmt_metric(mine),
                                 pct(relative_change_percent(mine, winner->cell.mean(m))), welch_words(*plgf, *winner, m)));
    if (naive_below) naive_wins.push_back(name);
  }
  if (lost.empty()) return "PLGF won every metric";
  std::string out = "PLGF lost " + join(lost, ", ");
  if (!naive_wins.empty()) out += ", and a naive row beats it on " + join(naive_wins, ", ");
  return out;
}

std::string seeds_in_words(const std::vector<Row>& rows) {
  std::set<int> done;
  for (const auto& r : rows) done.insert(r.cell.done());
  const int lo = *done.begin(), hi = *done.rbegin();
  if (lo == hi) return fmt::format("{} seed{}", lo, lo == 1 ? "" : "s");
  return fmt::format("{}–{} seeds", lo, hi);
}

}  // namespace

std::string p_in_words(double p) {
  if (std::isnan(p)) return "p n/a";
  return p < 0.001 ? "p < 0.001" : fmt::format("p = {:.3f}", p);
}

std::string verdict_sentence(const SweepJobs& input) {
  // Rows are models per task; a model with several configurations in a task gets a row for each (never pooled).
  const SweepJobs sweep = split_rows(input, [](const JobRow& j) { return naive_or(j, j.model); }, true);
  std::map<std::string, std::map<std::string, Row>> by_task;  // task -> row key -> row
  for (const auto& j : sweep.jobs) {
    if (!j.done()) continue;
    const bool naive = is_naive(j);
    const std::string key = naive ? naive_key(j) : j.model + j.distinct;
    Row& r = by_task[j.task][key];
    r.key = key;
    r.naive = naive;
    r.cell.add(j);
  }
  if (by_task.empty()) return "";
  std::vector<std::string> parts;
  for (const auto& [task, keyed] : by_task) {
    std::vector<std::string> trained_keys, naive_keys;
    for (const auto& [key, r] : keyed) (r.naive ? naive_keys : trained_keys).push_back(key);
    sort_models(trained_keys);
    sort_naive_keys(naive_keys);
    std::vector<Row> rows;
    for (const auto& k : trained_keys) rows.push_back(keyed.at(k));
    for (const auto& k : naive_keys) rows.push_back(keyed.at(k));
    std::vector<std::string> clauses;
    for (int m = 0; m < 3; ++m) clauses.push_back(metric_clause(rows, m));
    clauses.push_back(plgf_clause(rows));
    parts.push_back(fmt::format("task {} ({}): {}", task, seeds_in_words(rows), join(clauses, "; ")));
  }
  const std::string fake = unmeasured_runner(all_rows(sweep));
  return fmt::format("On sweep {}{}, {}.", sweep.name, fake.empty() ? "" : " (" + fake + ", not measured)",
                     join(parts, "; on "));
}

}  // namespace fufi::results::report
