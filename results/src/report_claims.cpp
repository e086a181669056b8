// The claims item: the paper's claims, each checked by its rule (report_claims_rules.cpp) on the sweep of the item
// it is about, as one table (and CSV) of holds / does not hold / not measured.
#include "report_claims.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "report_items.h"
#include "report_naive.h"

namespace fufi::results::report {

const char* to_string(ClaimVerdict v) {
  switch (v) {
    case ClaimVerdict::Holds: return "holds";
    case ClaimVerdict::DoesNotHold: return "does not hold";
    case ClaimVerdict::NotMeasured: return "not measured";
  }
  return "?";
}

Comparison compare(const CellStats& a, const CellStats& b, int metric) {
  Comparison c;
  c.a = a.mean(metric);
  c.b = b.mean(metric);
  c.change_pct = relative_change_percent(c.a, c.b);
  c.welch = welch_t_test(a.values(metric), b.values(metric));
  return c;
}

ClaimCheck::ClaimCheck(ClaimResult header, const SweepJobs& sweep, const ReportItem& item, const std::string& db_label)
    : r_(std::move(header)), sweep_(sweep), item_(item), db_label_(db_label) {}

const CellStats& ClaimCheck::need(const CellStats& cell, const std::string& what) {
  if (cell.jobs.empty()) {
    empty_.push_back(what);
    return cell;
  }
  if (cell.mixed()) {  // the rule would compare an average over configurations: it refuses, naming them
    const auto keys = differing_keys(cell.jobs);
    mixed_.push_back(fmt::format("{} ({} configurations{})", what, cell.groups.size(),
                                 keys.empty() ? "" : ", differing in " + join(keys, ", ")));
  }
  for (const auto* j : cell.jobs) data_.insert(j->data);
  if (unmeasured_.empty()) unmeasured_ = unmeasured_runner(cell.jobs);
  if (cell.done() < static_cast<int>(cell.jobs.size()))
    missing_.push_back(fmt::format("{}: {} of {} seeds done", what, cell.done(), cell.jobs.size()));
  return cell;
}

void ClaimCheck::unmeasurable(const std::string& why) { empty_.push_back(why); }

Comparison ClaimCheck::note(const Comparison& c) {
  if (!c.welch.valid) single_seed_ = true;
  else if (std::isnan(max_p_) || c.welch.p > max_p_) max_p_ = c.welch.p;
  return c;
}

ClaimResult ClaimCheck::finish(bool holds, const std::string& effect) const {
  ClaimResult r = r_;
  r.verdict = ClaimVerdict::NotMeasured;
  std::vector<std::string> data;
  for (const auto& d : data_) data.push_back(describe_data(d));
  r.data = data.empty() ? "—" : join(data, "; ");
  const std::string file = sweep_.present && !sweep_.file.empty() ? sweep_.file : item_.sweep_file;
  if (!sweep_.present) {
    r.why_not = fmt::format("sweep `{}` is not in this database; run it: `fufi sweep {} --db {}`", sweep_.name,
                            item_.sweep_file, db_label_);
  } else if (!mixed_.empty()) {
    r.why_not = fmt::format("sweep `{}` has several configurations where the rule needs one, and the report never "
                            "averages them: {}; give the claim a sweep with one configuration per cell "
                            "(`--sweep {}=SWEEP`)",
                            sweep_.name, join(mixed_, "; "), item_.id);
  } else if (!empty_.empty()) {
    r.why_not = fmt::format("sweep `{}` lacks {}; the paper's sweep measures it: `fufi sweep {} --db {}`", sweep_.name,
                            join(empty_, ", "), item_.sweep_file, db_label_);
  } else if (!missing_.empty()) {
    r.why_not = fmt::format("sweep `{}` is incomplete ({}); run it: `fufi sweep {} --db {}`", sweep_.name,
                            join(missing_, "; "), file, db_label_);
  } else if (!unmeasured_.empty()) {
    // The rule ran, but on numbers nobody measured: what it gives is shown, never as a verdict.
    r.why_not = fmt::format("{} (not measured): on them the rule gives \"{}\": {}", unmeasured_,
                            to_string(holds ? ClaimVerdict::Holds : ClaimVerdict::DoesNotHold), effect);
  } else {
    r.verdict = holds ? ClaimVerdict::Holds : ClaimVerdict::DoesNotHold;
    r.effect = effect + (single_seed_ ? " (a comparison with one seed on a side: decided on means, no Welch test)" : "");
    r.p = max_p_;
  }
  return r;
}

CellStats cell_where(const SweepJobs& sweep, const CellQuery& q) {
  CellStats c;
  for (const auto& j : sweep.jobs) {
    if (is_naive(j) || j.model != q.model) continue;
    if (!q.task.empty() && j.task != q.task) continue;
    if (!q.loss.empty() && j.loss != q.loss) continue;
    if (q.own_loss && j.loss == "dualfocal") continue;
    if (!q.channels.empty() && j.channels != q.channels) continue;
    if (!q.depth.empty() && j.depth != q.depth) continue;
    if (!q.variant.empty() && (j.variant.empty() ? "full" : j.variant) != q.variant) continue;
    c.add(j);
  }
  return c;
}

std::vector<std::string> trained_tasks(const SweepJobs& sweep) {
  std::set<std::string> tasks;
  for (const auto& j : sweep.jobs)
    if (!is_naive(j)) tasks.insert(j.task);
  return {tasks.begin(), tasks.end()};
}

namespace {

const ReportItem& item_of(const std::string& id) {
  for (const auto& e : catalogue())
    if (e.item().id == id) return e.item();
  FUFI_THROW(RuntimeError, "report: no catalogue item '{}'", id);
}

std::string effect_cell(const ClaimResult& r) {
  return r.verdict == ClaimVerdict::NotMeasured ? r.why_not : r.effect;
}

}  // namespace

ItemOutput build_claims(const ReportItem& item, const SweepSet& sweeps, const ReportOptions& o) {
  ItemOutput out;
  out.section.id = item.id;
  out.section.title = item.title;
  Section& s = out.section;
  const std::string& db = o.db_label.empty() ? o.db_path : o.db_label;
  using Rule = ClaimResult (*)(const SweepJobs&, const ReportItem&, const std::string&);
  const std::vector<std::pair<std::string, Rule>> rules{
      {"table1", claim_table1_wins},      {"fig4", claim_efficiency_mae}, {"fig4", claim_matches_uno},
      {"fig5", claim_dualfocal_plugin},   {"fig6", claim_width},          {"fig6", claim_depth},
      {"table2", claim_ablations_hurt}};
  std::vector<std::string> read;
  for (const auto& [id, sweep] : sweeps) read.push_back(fmt::format("{} → `{}`", id, sweep.name));
  s.blocks.push_back(text_block("Each claim reads the sweep of the item it is about: " + join(read, ", ") +
                                " (`--sweep ITEM=SWEEP` changes them)."));
  DocTable t;
  t.caption = "The paper's claims, checked on the measured numbers";
  t.header = {"#", "Claim", "Paper", "Verdict", "Measured (or what is missing)", "p", "Data", "Holds when"};
  t.right = {true, false, false, false, false, true, false, false};
  out.csv = csv_line({"claim", "paper", "verdict", "effect", "p_max", "data", "rule", "not_measured_because", "sweep"});
  int counts[3] = {0, 0, 0};
  bool taxibj = true, any_jobs = false;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& sweep = sweeps.at(rules[i].first);
    const ClaimResult r = rules[i].second(sweep, item_of(rules[i].first), db);
    ++counts[static_cast<int>(r.verdict)];
    any_jobs = any_jobs || !sweep.jobs.empty();
    taxibj = taxibj && (sweep.jobs.empty() || is_taxibj(all_rows(sweep)));
    t.rows.push_back({Cell{std::to_string(i + 1)}, Cell{r.claim}, Cell{r.source}, Cell{to_string(r.verdict)},
                      Cell{effect_cell(r)}, Cell{std::isnan(r.p) ? "—" : fmt_p(r.p)}, Cell{r.data}, Cell{r.rule}});
    out.csv += csv_line({r.claim, r.source, to_string(r.verdict), r.effect, std::isnan(r.p) ? "" : fmt_p(r.p), r.data,
                         r.rule, r.why_not, sweep.name});
  }
  s.blocks.push_back(table_block(t));
  s.blocks.push_back(text_block(fmt::format(
      "{} hold, {} do not hold, {} not measured. p: the largest Welch p (two-sided, over seeds) among the comparisons "
      "the rule makes; \"better\" in a rule means a lower mean and, where both sides have ≥ 2 seeds, Welch p < 0.05. "
      "The rules are fixed in docs/REPORT.md; none is loosened to make a claim hold.",
      counts[0], counts[1], counts[2])));
  if (any_jobs && !taxibj) s.blocks.push_back(text_block(kSyntheticCaveat));
  return out;
}

}  // namespace fufi::results::report
