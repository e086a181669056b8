#pragma once
// The claims item (private to fufi_results): each claim of the PLGF paper as a row that says holds, does not
// hold, or not measured, with the measured effect, its p-value, the data it came from and the rule that decided
// it. Each claim reads the sweep of the item whose numbers it is about (Table 1, Table 2, Figures 4, 5, 6: the
// catalogue's sweep, or the one --sweep names for that item). The rules are in report_claims_rules.cpp and
// docs/REPORT.md; a rule is never loosened to make a claim hold.
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "fufi/results/report.h"
#include "fufi/results/report_stats.h"
#include "report_data.h"

namespace fufi::results::report {

enum class ClaimVerdict { Holds, DoesNotHold, NotMeasured };
const char* to_string(ClaimVerdict v);

struct ClaimResult {
  std::string claim;   // the paper's claim, in the words
  std::string source;  // where in the paper: "Table 1", "§Efficiency", "Fig. 5", ...
  ClaimVerdict verdict = ClaimVerdict::NotMeasured;
  std::string effect;  // what was measured, in numbers ("" when not measured)
  double p = kNaN;     // the largest Welch p over the comparisons the rule makes; NaN: none tested
  std::string data;    // the data of the jobs it read (synthetic preset, or the data root)
  std::string rule;    // when it holds
  std::string why_not; // not measured: what is missing and the command that measures it
};

// A claim's row before its rule ran: not measured, with the claim, where the paper makes it, and the rule.
inline ClaimResult claim_header(std::string claim, std::string source, std::string rule) {
  ClaimResult r;
  r.claim = std::move(claim);
  r.source = std::move(source);
  r.rule = std::move(rule);
  return r;
}

// Two cells on one metric: means, the relative change of `a` against `b` in %, Welch's test when both have
// ≥ 2 done seeds.
struct Comparison {
  double a = kNaN, b = kNaN, change_pct = kNaN;
  WelchResult welch;
  bool lower() const { return a < b; }
  // The rules' "better": a lower mean, and Welch p < 0.05 where both sides have ≥ 2 seeds.
  bool better() const { return lower() && (!welch.valid || welch.p < kAlpha); }
};
Comparison compare(const CellStats& a, const CellStats& b, int metric);

// What one claim's rule gathers while it runs: the cells it needs that are not complete, the data they came
// from, the largest p and whether some comparison had a single seed.
class ClaimCheck {
 public:
  ClaimCheck(ClaimResult header, const SweepJobs& sweep, const ReportItem& item, const std::string& db_label);
  // A cell the rule needs, named `what`: missing when it has no job or fewer done seeds than jobs; a cell of
  // several configurations makes the claim "not measured" (never an average over them).
  const CellStats& need(const CellStats& cell, const std::string& what);
  // A comparison the rule makes: its p counts toward the row's p.
  Comparison note(const Comparison& c);  // by value: callers pass a temporary
  // A requirement the sweep does not meet (e.g. "a depth with PLGF at 64, 128 and 192 channels"): not measured.
  void unmeasurable(const std::string& why);
  bool absent() const { return !sweep_.present; }
  bool complete() const { return sweep_.present && missing_.empty() && empty_.empty() && mixed_.empty(); }
  // The row: not measured when the sweep is absent or a needed cell incomplete, else holds or not, with `effect`.
  ClaimResult finish(bool holds, const std::string& effect) const;

 private:
  ClaimResult r_;
  const SweepJobs& sweep_;
  const ReportItem& item_;
  std::string db_label_;
  std::vector<std::string> missing_, empty_, mixed_;
  std::string unmeasured_;  // "fixture metrics" when a needed job's numbers come from a runner that does not train
  std::set<std::string> data_;
  double max_p_ = kNaN;
  bool single_seed_ = false;
};

// The jobs of a sweep that match `model` (a trained model) and, when given, task, loss, channels, depth, variant.
struct CellQuery {
  std::string model, task, loss, channels, depth, variant;
  bool own_loss = false;  // loss other than "dualfocal" (Figure 5's own loss)
  CellQuery(std::string m, std::string t) : model(std::move(m)), task(std::move(t)) {}
  CellQuery& with_loss(std::string l) { return loss = std::move(l), *this; }
  CellQuery& with_own_loss() { return own_loss = true, *this; }
  CellQuery& with_variant(std::string v) { return variant = std::move(v), *this; }
};
CellStats cell_where(const SweepJobs& sweep, const CellQuery& q);
// The tasks of a sweep's trained jobs, sorted.
std::vector<std::string> trained_tasks(const SweepJobs& sweep);

// The claims, in the paper's order (report_claims_rules.cpp). Each gets the sweep of the item it reads.
ClaimResult claim_table1_wins(const SweepJobs& sweep, const ReportItem& item, const std::string& db);
ClaimResult claim_efficiency_mae(const SweepJobs& sweep, const ReportItem& item, const std::string& db);
ClaimResult claim_matches_uno(const SweepJobs& sweep, const ReportItem& item, const std::string& db);
ClaimResult claim_dualfocal_plugin(const SweepJobs& sweep, const ReportItem& item, const std::string& db);
ClaimResult claim_width(const SweepJobs& sweep, const ReportItem& item, const std::string& db);
ClaimResult claim_depth(const SweepJobs& sweep, const ReportItem& item, const std::string& db);
ClaimResult claim_ablations_hurt(const SweepJobs& sweep, const ReportItem& item, const std::string& db);

}  // namespace fufi::results::report
