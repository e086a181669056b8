// Fidelity: the choices the paper leaves open (docs/MODELS.md), each a variant of a fidelity sweep
// (sweeps/fidelity.toml, sweeps/fidelity_bikenyc.toml) that flips one switch away from `defaults`. For every model
// and task: each variant's relative change in test MSE, MAE and MAPE against the `defaults` variant of the same
// model, Welch's p over seeds, and the switch, read from the jobs' resolved configurations (never from the
// variant's name). Above it, each model at its defaults beside the sweep's naive references.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "fufi/core/strings.h"
#include "fufi/results/report_stats.h"
#include "report_items.h"
#include "report_naive.h"

namespace fufi::results::report {

namespace {

const char* const kDefaults = "defaults";  // the reference variant of sweeps/fidelity*.toml

// The jobs of one (model, task), by variant.
struct ModelTask {
  std::map<std::string, CellStats> variants;
};

struct FidelityData {
  std::map<std::pair<std::string, std::string>, ModelTask> trained;  // (model, task)
  std::map<std::pair<std::string, std::string>, CellStats> naive;    // (naive key, task)
  std::vector<std::pair<std::string, std::string>> trained_keys, naive_keys;
};

FidelityData group_fidelity(const SweepJobs& sweep) {
  FidelityData d;
  for (const auto& j : sweep.jobs) {
    if (is_naive(j)) d.naive[{naive_key(j), j.task}].add(j);
    else d.trained[{j.model, j.task}].variants[(j.variant.empty() ? kDefaults : j.variant) + j.distinct].add(j);
  }
  std::vector<std::string> models, naive;
  std::set<std::string> tasks;
  for (const auto& [key, mt] : d.trained) {
    if (std::find(models.begin(), models.end(), key.first) == models.end()) models.push_back(key.first);
    tasks.insert(key.second);
  }
  for (const auto& [key, c] : d.naive) {
    if (std::find(naive.begin(), naive.end(), key.first) == naive.end()) naive.push_back(key.first);
    tasks.insert(key.second);
  }
  sort_models(models);
  sort_naive_keys(naive);
  for (const auto& m : models)
    for (const auto& t : tasks)
      if (d.trained.count({m, t})) d.trained_keys.emplace_back(m, t);
  for (const auto& n : naive)
    for (const auto& t : tasks)
      if (d.naive.count({n, t})) d.naive_keys.emplace_back(n, t);
  return d;
}

// The keys whose values differ between two configurations: "loss: dualfocal → mse; ...". The seed is not a switch.
std::string switch_between(const CellStats& defaults, const CellStats& variant) {
  if (defaults.jobs.empty() || variant.jobs.empty()) return "—";
  const auto& a = defaults.jobs.front()->config;
  const auto& b = variant.jobs.front()->config;
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  std::vector<std::string> changes;
  for (const auto& k : keys) {
    if (k == "seed") continue;
    const auto ia = a.find(k), ib = b.find(k);
    // A key a job does not set is at the default of the model or loss that reads it.
    const std::string va = ia == a.end() ? "(default)" : ia->second, vb = ib == b.end() ? "(default)" : ib->second;
    if (va != vb) changes.push_back(fmt::format("{}: {} → {}", k, va, vb));
  }
  return changes.empty() ? "none (same configuration)" : join(changes, "; ");
}

DocTable defaults_table(const FidelityData& d, const ReportOptions& o, std::vector<std::string>& beaten) {
  DocTable t;
  t.caption = "Each model at its defaults, and the naive references";
  t.header = {"Model", "Task", "MSE", "MAE", "MAPE", "n"};
  t.right = {false, false, true, true, true, true};
  for (const auto& [model, task] : d.trained_keys) {
    const auto& variants = d.trained.at({model, task}).variants;
    if (!variants.count(kDefaults)) continue;
    const auto& c = variants.at(kDefaults);
    std::vector<Cell> row{Cell{model}, Cell{task}};
    std::vector<BeatenMetric> beaten_by;
    for (int m = 0; m < 3; ++m) {
      std::vector<NaiveMean> refs;
      for (const auto& [n, nt] : d.naive_keys)
        if (nt == task) refs.push_back({n, d.naive.at({n, nt}).mean(m)});
      Cell cell{cell_text(c, m, o.with_std)};
      beaten_by.push_back({kMetricNames[static_cast<std::size_t>(m)], naive_below(c.mean(m), refs)});
      cell.naive_beats = !beaten_by.back().by.empty();
      row.push_back(cell);
    }
    row.push_back(Cell{std::to_string(c.done())});
    t.rows.push_back(row);
    const std::string what = beaten_metrics(beaten_by);
    if (!what.empty()) beaten.push_back(fmt::format("{} {} at its defaults: {}", model, task, what));
  }
  if (!d.naive_keys.empty()) t.rule_before.push_back(t.rows.size());
  for (const auto& [n, task] : d.naive_keys) {
    const auto& c = d.naive.at({n, task});
    t.rows.push_back({Cell{naive_label(n)}, Cell{task}, Cell{cell_text(c, 0, o.with_std)}, Cell{cell_text(c, 1, o.with_std)},
                      Cell{cell_text(c, 2, o.with_std)}, Cell{std::to_string(c.done())}});
  }
  return t;
}

// The switches table and the CSV (one line per model, task, variant and metric).
DocTable switches_table(const FidelityData& d, const std::vector<std::string>& prov, std::string& csv) {
  DocTable t;
  t.caption = "Each switch against `defaults`: change in % (p: Welch's t-test over seeds)";
  t.header = {"Model", "Task", "Variant", "Switch", "MSE %", "p", "MAE %", "p", "MAPE %", "p", "n"};
  t.right = {false, false, false, false, true, true, true, true, true, true, true};
  for (const auto& [model, task] : d.trained_keys) {
    const auto& variants = d.trained.at({model, task}).variants;
    const auto it = variants.find(kDefaults);
    for (const auto& [variant, c] : variants) {
      if (variant == kDefaults) continue;
      const std::string flip = it == variants.end() ? "— (no `defaults` variant)" : switch_between(it->second, c);
      std::vector<Cell> row{Cell{model}, Cell{task}, Cell{variant}, Cell{flip}};
      static const CellStats kNone;
      const CellStats& base = it == variants.end() ? kNone : it->second;
      for (int m = 0; m < 3; ++m) {
        const double change = relative_change_percent(c.mean(m), base.mean(m));
        const auto w = welch_t_test(base.values(m), c.values(m));
        row.push_back(Cell{fmt_pct(change), 0, w.valid && w.p < kAlpha});
        row.push_back(Cell{w.valid ? fmt_p(w.p) : "—"});
        csv += csv_line({model, task, variant, flip, kMetrics[static_cast<std::size_t>(m)], std::to_string(base.done()),
                         fmt_csv(base.mean(m)), fmt_csv(base.std(m)), std::to_string(c.done()), fmt_csv(c.mean(m)),
                         fmt_csv(c.std(m)), fmt_csv(change), w.valid ? fmt_p(w.p) : "", prov[0], prov[1]});
      }
      row.push_back(Cell{std::to_string(c.done())});
      t.rows.push_back(row);
    }
  }
  return t;
}

}  // namespace

ItemOutput build_fidelity(const ReportItem& item, const SweepJobs& input, const ReportOptions& o) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, input, prov);
  Section& s = out.section;
  // Cells are (model, task, variant); a variant with several configurations there gets a row for each.
  const SweepJobs sweep = split_rows(
      input, [](const JobRow& j) { return naive_or(j, j.model + "\n" + (j.variant.empty() ? kDefaults : j.variant)); },
      true);
  const FidelityData d = group_fidelity(sweep);
  std::vector<std::string> beaten;
  s.blocks.push_back(table_block(defaults_table(d, o, beaten)));
  if (!d.naive_keys.empty()) s.blocks.push_back(text_block(kNaiveLegend));
  out.csv = csv_line({"model", "task", "variant", "switch", "metric", "n_defaults", "defaults_mean", "defaults_std",
                      "n_variant", "variant_mean", "variant_std", "change_pct", "p_welch", "data", "device"});
  s.blocks.push_back(table_block(switches_table(d, prov, out.csv)));
  s.blocks.push_back(text_block(
      "change % = (variant − defaults) / defaults (negative: the switch lowers the error). †: Welch's t-test over "
      "seeds, p < 0.05 (needs ≥ 2 seeds on both sides). Switch: the keys whose resolved values differ between the "
      "variant's jobs and the `defaults` jobs of the same model (docs/MODELS.md names each switch and its default)."));
  const std::string flags = naive_flag_note(beaten);
  if (!flags.empty()) s.footnotes.push_back(flags);
  MissingNotes notes;
  for (const auto& key : d.trained_keys)
    for (const auto& [variant, c] : d.trained.at(key).variants)
      note_missing(notes, fmt::format("{} {} {}", key.first, key.second, variant), c);
  for (const auto& key : d.naive_keys) note_missing(notes, fmt::format("{} {}", key.first, key.second), d.naive.at(key));
  close_item(s, notes, sweep, item, o);
  return out;
}

}  // namespace fufi::results::report
