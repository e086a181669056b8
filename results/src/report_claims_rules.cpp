// The rule of each claim (docs/REPORT.md, "Claims"). Every rule names the cells it needs (a cell with jobs not
// done makes the claim "not measured"), makes its comparisons through ClaimCheck (which keeps the largest p), and
// decides on fixed thresholds stated in its `rule` text.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "fufi/core/strings.h"
#include "report_claims.h"
#include "report_format.h"
#include "report_items.h"
#include "report_naive.h"

namespace fufi::results::report {

namespace {

const std::string& metric_name(int m) { return kMetricNames[static_cast<std::size_t>(m)]; }
std::string pct(double x) { return fmt_pct(x) + " %"; }
std::string with_p(const Comparison& c) {
  return c.welch.valid ? fmt::format("{} (p = {})", pct(c.change_pct), fmt_p(c.welch.p)) : pct(c.change_pct);
}

// The trained models of a sweep, in the paper's order.
std::vector<std::string> trained_models(const SweepJobs& sweep) {
  std::set<std::string> models;
  for (const auto& j : sweep.jobs)
    if (!is_naive(j)) models.insert(j.model);
  std::vector<std::string> out(models.begin(), models.end());
  sort_models(out);
  return out;
}

// PLGF's cells by (task, channels, depth); jobs whose channels or depth are not integers are left out.
using WidthDepthCells = std::map<std::tuple<std::string, std::int64_t, std::int64_t>, CellStats>;
WidthDepthCells plgf_width_depth(const SweepJobs& sweep) {
  WidthDepthCells cells;
  for (const auto& j : sweep.jobs) {
    std::int64_t ch = 0, depth = 0;
    if (is_naive(j) || j.model != "plgf" || !parse_int(j.channels, ch) || !parse_int(j.depth, depth)) continue;
    cells[{j.task, ch, depth}].add(j);
  }
  return cells;
}

// Of the values `candidates` that have every one of `needed` (a predicate), `preferred` when it qualifies, else the
// smallest; nullopt when none does.
template <typename Pred>
std::optional<std::int64_t> pick(const std::set<std::int64_t>& candidates, std::int64_t preferred, Pred qualifies) {
  if (candidates.count(preferred) && qualifies(preferred)) return preferred;
  for (auto v : candidates)
    if (qualifies(v)) return v;
  return std::nullopt;
}

// "adds little" / "plateaus": |later − at| ≤ half of the gain (earlier − at), the gain positive.
bool within_half_gain(double earlier, double at, double later) {
  const double gain = earlier - at;
  return gain > 0 && std::fabs(later - at) <= 0.5 * gain;
}

}  // namespace

ClaimResult claim_table1_wins(const SweepJobs& sweep, const ReportItem& item, const std::string& db) {
  ClaimCheck check(claim_header("PLGF beats the best baseline on every task and metric", "Table 1",
                    "on every task of the sweep and each of MSE, MAE, MAPE, PLGF is better than the best other trained "
                    "model of that column (naive rows are not baselines)"),
                   sweep, item, db);
  std::vector<std::string> models = trained_models(sweep), baselines = models;
  baselines.erase(std::remove(baselines.begin(), baselines.end(), "plgf"), baselines.end());
  if (std::find(models.begin(), models.end(), "plgf") == models.end()) models.push_back("plgf");
  if (sweep.present && baselines.empty()) check.unmeasurable("a baseline (a trained model other than plgf)");
  const auto tasks = trained_tasks(sweep);
  std::map<std::pair<std::string, std::string>, CellStats> cells;
  for (const auto& task : tasks)
    for (const auto& model : models) check.need(cells[{model, task}] = cell_where(sweep, CellQuery(model, task)), model + " " + task);
  if (!check.complete()) return check.finish(false, "");
  bool holds = true;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::vector<std::string> lost;
  for (const auto& task : tasks)
    for (int m = 0; m < 3; ++m) {
      const std::string* best = &baselines.front();
      for (const auto& b : baselines)
        if (cells[{b, task}].mean(m) < cells[{*best, task}].mean(m)) best = &b;
      const auto& k = check.note(compare(cells[{"plgf", task}], cells[{*best, task}], m));
      lo = std::min(lo, k.change_pct);
      hi = std::max(hi, k.change_pct);
      if (!k.better()) {
        holds = false;
        lost.push_back(fmt::format("{} {} vs {} {}", task, metric_name(m), *best, with_p(k)));
      }
    }
  return check.finish(holds, fmt::format("PLGF vs the best baseline of each column: {} to {}; {}", pct(lo), pct(hi),
                                         lost.empty() ? "better in every column" : "not better: " + join(lost, ", ")));
}

ClaimResult claim_efficiency_mae(const SweepJobs& sweep, const ReportItem& item, const std::string& db) {
  ClaimCheck check(claim_header("PLGF has ~10 % lower MAE than UrbanFM and DeepLGR at comparable size", "§Efficiency",
                    "on every task of the sweep, PLGF's mean MAE is at least 8 % below each of UrbanFM's and DeepLGR's "
                    "(the paper's own 1.890 vs. 2.06 and 2.10 are −8.3 % and −10.0 %) and better (p < 0.05 with ≥ 2 "
                    "seeds); the parameter counts are shown, not tested"),
                   sweep, item, db);
  std::vector<std::string> parts;
  bool holds = true;
  const auto tasks = trained_tasks(sweep);
  std::map<std::pair<std::string, std::string>, CellStats> cells;
  for (const auto& task : tasks.empty() ? std::vector<std::string>{"P1"} : tasks)
    for (const char* model : {"plgf", "urbanfm", "deeplgr"})
      check.need(cells[{model, task}] = cell_where(sweep, CellQuery(model, task)), std::string(model) + " " + task);
  if (!check.complete()) return check.finish(false, "");
  for (const auto& task : tasks) {
    const auto& plgf = cells[{"plgf", task}];
    std::vector<std::string> sizes{fmt::format("PLGF {} M", fmt_params_m(mean_of(plgf.of(&JobRow::parameters))))};
    for (const char* model : {"urbanfm", "deeplgr"}) {
      const auto& base = cells[{model, task}];
      const auto& k = check.note(compare(plgf, base, 1));
      holds = holds && k.better() && k.change_pct <= -8.0;
      parts.push_back(fmt::format("{} MAE vs {}: {}", task, model, with_p(k)));
      sizes.push_back(fmt::format("{} {} M", model, fmt_params_m(mean_of(base.of(&JobRow::parameters)))));
    }
    parts.push_back("parameters " + join(sizes, ", "));
  }
  return check.finish(holds, join(parts, "; "));
}

ClaimResult claim_matches_uno(const SweepJobs& sweep, const ReportItem& item, const std::string& db) {
  ClaimCheck check(claim_header("PLGF matches UNO's MAE with ~97 % fewer parameters and ~5× less time per epoch",
                    "§Efficiency",
                    "on every task of the sweep, PLGF's mean MAE is at most 2 % above UNO's, its parameter count at "
                    "least 96.5 % below UNO's (rounds to 97 %), and UNO's mean seconds per epoch at least 4.5× PLGF's "
                    "(rounds to 5×), both timed on one kind of device"),
                   sweep, item, db);
  const auto tasks = trained_tasks(sweep);
  std::map<std::pair<std::string, std::string>, CellStats> cells;
  for (const auto& task : tasks.empty() ? std::vector<std::string>{"P1"} : tasks)
    for (const char* model : {"plgf", "uno"})
      check.need(cells[{model, task}] = cell_where(sweep, CellQuery(model, task)), std::string(model) + " " + task);
  std::set<std::string> devices;
  for (const auto& [key, c] : cells)
    for (const auto* j : c.jobs)
      if (j->done()) devices.insert(j->gpu.empty() ? j->device : j->device + " (" + j->gpu + ")");
  if (devices.size() > 1) check.unmeasurable("one kind of device for the times (has " + join({devices.begin(), devices.end()}, ", ") + ")");
  if (!check.complete()) return check.finish(false, "");
  bool holds = true;
  std::vector<std::string> parts;
  for (const auto& task : tasks) {
    const auto &plgf = cells[{"plgf", task}], &uno = cells[{"uno", task}];
    const auto& k = check.note(compare(plgf, uno, 1));
    const double pp = mean_of(plgf.of(&JobRow::parameters)), pu = mean_of(uno.of(&JobRow::parameters));
    const double sp = mean_of(plgf.of(&JobRow::epoch_seconds)), su = mean_of(uno.of(&JobRow::epoch_seconds));
    const double fewer = 100.0 * (1.0 - pp / pu), faster = su / sp;
    holds = holds && k.change_pct <= 2.0 && fewer >= 96.5 && faster >= 4.5;
    parts.push_back(fmt::format("{}: MAE vs UNO {}; parameters {:.1f} % fewer ({} M vs {} M); {:.2f}× less time per "
                                "epoch ({} s vs {} s on {})",
                                task, with_p(k), fewer, fmt_params_m(pp), fmt_params_m(pu), faster, fmt_seconds(sp),
                                fmt_seconds(su), devices.empty() ? "—" : *devices.begin()));
  }
  return check.finish(holds, join(parts, "; "));
}

ClaimResult claim_dualfocal_plugin(const SweepJobs& sweep, const ReportItem& item, const std::string& db) {
  ClaimCheck check(claim_header("DualFocal lowers MSE, MAE and MAPE for UrbanFM, CUFAR and UNO (Fig. 5: "
                    "−4.4/−3.6/−3.7 % MSE, −8.3/−8.0/−7.4 % MAPE)",
                    "Fig. 5",
                    "for each of UrbanFM, CUFAR and UNO on every task of the sweep, DualFocal is better than the "
                    "model's own loss on each of MSE, MAE and MAPE"),
                   sweep, item, db);
  const auto tasks = trained_tasks(sweep);
  std::map<std::tuple<std::string, std::string, bool>, CellStats> cells;
  for (const auto& task : tasks.empty() ? std::vector<std::string>{"P2"} : tasks)
    for (const char* model : {"urbanfm", "cufar", "uno"}) {
      check.need(cells[{model, task, false}] = cell_where(sweep, CellQuery(model, task).with_own_loss()), fmt::format("{} {} own loss", model, task));
      check.need(cells[{model, task, true}] = cell_where(sweep, CellQuery(model, task).with_loss("dualfocal")),
                 fmt::format("{} {} DualFocal", model, task));
    }
  if (!check.complete()) return check.finish(false, "");
  bool holds = true;
  std::vector<std::string> parts;
  for (const auto& task : tasks)
    for (const char* model : {"urbanfm", "cufar", "uno"}) {
      std::vector<std::string> changes;
      for (int m = 0; m < 3; ++m) {
        const auto& k = check.note(compare(cells[{model, task, true}], cells[{model, task, false}], m));
        holds = holds && k.better();
        changes.push_back(fmt::format("{} {}", metric_name(m), with_p(k)));
      }
      parts.push_back(fmt::format("{} {}: {}", model, task, join(changes, ", ")));
    }
  return check.finish(holds, "DualFocal vs own loss: " + join(parts, "; "));
}

ClaimResult claim_width(const SweepJobs& sweep, const ReportItem& item, const std::string& db) {
  ClaimCheck check(claim_header("going from 64 to 128 channels helps, and 192 adds little", "Fig. 6",
                                "at depth 4 (else the smallest depth with PLGF at 64, 128 and 192 channels), on every "
                                "task and on MSE and MAE: 128 channels is better than 64, and 192's mean differs from "
                                "128's by at most half of the 64 → 128 gain (either way)"),
                   sweep, item, db);
  const auto cells = plgf_width_depth(sweep);
  const auto tasks = trained_tasks(sweep);
  if (sweep.present && tasks.empty()) check.unmeasurable("PLGF jobs");
  std::map<std::string, std::int64_t> depth_of;
  for (const auto& task : tasks) {
    std::set<std::int64_t> depths;
    for (const auto& [key, c] : cells)
      if (std::get<0>(key) == task) depths.insert(std::get<2>(key));
    const auto d = pick(depths, 4, [&](std::int64_t depth) {
      return cells.count({task, 64, depth}) && cells.count({task, 128, depth}) && cells.count({task, 192, depth});
    });
    if (!d) {
      check.unmeasurable(task + ": PLGF at 64, 128 and 192 channels at one depth");
      continue;
    }
    depth_of[task] = *d;
    for (std::int64_t ch : {64, 128, 192}) check.need(cells.at({task, ch, *d}), fmt::format("plgf {} channels {} depth {}", task, ch, *d));
  }
  if (!check.complete()) return check.finish(false, "");
  bool holds = true;
  std::vector<std::string> parts;
  for (const auto& [task, d] : depth_of) {
    const auto &c64 = cells.at({task, 64, d}), &c128 = cells.at({task, 128, d}), &c192 = cells.at({task, 192, d});
    for (int m = 0; m < 2; ++m) {
      const auto& k = check.note(compare(c128, c64, m));
      holds = holds && k.better() && within_half_gain(c64.mean(m), c128.mean(m), c192.mean(m));
      parts.push_back(fmt::format("{} depth {} {}: 64 → 128 {}, 128 → 192 {}", task, d, metric_name(m), with_p(k),
                                  pct(relative_change_percent(c192.mean(m), c128.mean(m)))));
    }
  }
  return check.finish(holds, join(parts, "; "));
}

ClaimResult claim_depth(const SweepJobs& sweep, const ReportItem& item, const std::string& db) {
  ClaimCheck check(claim_header("going from depth 2 to 4 helps, then plateaus", "Fig. 6",
                                "at 128 channels (else the smallest width with PLGF at depths 2, 4 and one above 4), on "
                                "every task and on MSE and MAE: depth 4 is better than depth 2, and every depth above 4 "
                                "has a mean within half of the 2 → 4 gain of depth 4's (either way)"),
                   sweep, item, db);
  const auto cells = plgf_width_depth(sweep);
  const auto tasks = trained_tasks(sweep);
  if (sweep.present && tasks.empty()) check.unmeasurable("PLGF jobs");
  std::map<std::string, std::pair<std::int64_t, std::vector<std::int64_t>>> plan;  // task -> width, depths above 4
  for (const auto& task : tasks) {
    std::set<std::int64_t> widths;
    for (const auto& [key, c] : cells)
      if (std::get<0>(key) == task) widths.insert(std::get<1>(key));
    auto deeper = [&](std::int64_t w) {
      std::vector<std::int64_t> out;
      for (const auto& [key, c] : cells)
        if (std::get<0>(key) == task && std::get<1>(key) == w && std::get<2>(key) > 4) out.push_back(std::get<2>(key));
      return out;
    };
    const auto w = pick(widths, 128, [&](std::int64_t width) {
      return cells.count({task, width, 2}) && cells.count({task, width, 4}) && !deeper(width).empty();
    });
    if (!w) {
      check.unmeasurable(task + ": PLGF at depths 2, 4 and one above 4 at one width");
      continue;
    }
    plan[task] = {*w, deeper(*w)};
    for (std::int64_t d : {std::int64_t{2}, std::int64_t{4}}) check.need(cells.at({task, *w, d}), fmt::format("plgf {} {} channels depth {}", task, *w, d));
    for (auto d : plan[task].second) check.need(cells.at({task, *w, d}), fmt::format("plgf {} {} channels depth {}", task, *w, d));
  }
  if (!check.complete()) return check.finish(false, "");
  bool holds = true;
  std::vector<std::string> parts;
  for (const auto& [task, p] : plan) {
    const auto &d2 = cells.at({task, p.first, 2}), &d4 = cells.at({task, p.first, 4});
    for (int m = 0; m < 2; ++m) {
      const auto& k = check.note(compare(d4, d2, m));
      holds = holds && k.better();
      std::vector<std::string> beyond;
      for (auto d : p.second) {
        const auto& c = cells.at({task, p.first, d});
        holds = holds && within_half_gain(d2.mean(m), d4.mean(m), c.mean(m));
        beyond.push_back(fmt::format("{} {}", d, pct(relative_change_percent(c.mean(m), d4.mean(m)))));
      }
      parts.push_back(fmt::format("{} {} channels {}: 2 → 4 {}; vs 4: {}", task, p.first, metric_name(m), with_p(k),
                                  join(beyond, ", ")));
    }
  }
  return check.finish(holds, join(parts, "; "));
}

ClaimResult claim_ablations_hurt(const SweepJobs& sweep, const ReportItem& item, const std::string& db) {
  ClaimCheck check(claim_header("each ablation hurts", "Table 2",
                                "on every task of the sweep, every ablation (each PLGF variant but `full`; both "
                                "readings of w/o DualFocal count) is worse than `full`: `full` is better on at least two "
                                "of MSE, MAE and MAPE (the paper's own Table 2 meets this: w/o Logarithmic has a lower "
                                "MSE, but a higher MAE and MAPE)"),
                   sweep, item, db);
  std::vector<std::string> ablations;
  for (const auto& [key, label] : kAblations)
    for (const auto& j : sweep.jobs)
      if (!is_naive(j) && j.model == "plgf" && j.variant == key && key != "full") {
        ablations.push_back(key);
        break;
      }
  std::set<std::string> others;
  for (const auto& j : sweep.jobs)
    if (!is_naive(j) && j.model == "plgf" && !j.variant.empty() && j.variant != "full" &&
        std::none_of(kAblations.begin(), kAblations.end(), [&](const auto& a) { return a.first == j.variant; }))
      others.insert(j.variant);
  ablations.insert(ablations.end(), others.begin(), others.end());
  if (sweep.present && ablations.empty()) check.unmeasurable("an ablation variant");
  const auto tasks = trained_tasks(sweep);
  std::map<std::pair<std::string, std::string>, CellStats> cells;
  for (const auto& task : tasks) {
    check.need(cells[{"full", task}] = cell_where(sweep, CellQuery("plgf", task).with_variant("full")), "full " + task);
    for (const auto& a : ablations)
      check.need(cells[{a, task}] = cell_where(sweep, CellQuery("plgf", task).with_variant(a)), a + " " + task);
  }
  if (!check.complete()) return check.finish(false, "");
  bool holds = true;
  std::vector<std::string> parts;
  for (const auto& task : tasks)
    for (const auto& a : ablations) {
      int worse = 0;
      std::vector<std::string> changes;
      for (int m = 0; m < 3; ++m) {
        const auto& k = check.note(compare(cells[{"full", task}], cells[{a, task}], m));
        worse += k.better() ? 1 : 0;
        changes.push_back(pct(relative_change_percent(cells[{a, task}].mean(m), cells[{"full", task}].mean(m))));
      }
      holds = holds && worse >= 2;
      parts.push_back(fmt::format("{} {}: {} ({})", a, task, join(changes, "/"), worse >= 2 ? "hurts" : "does not hurt"));
    }
  return check.finish(holds, "vs full, MSE/MAE/MAPE: " + join(parts, "; "));
}

}  // namespace fufi::results::report
