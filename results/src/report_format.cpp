#include "report_format.h"

#include <cmath>
#include <cstdint>
#include <set>

#include <fmt/format.h>

#include "fufi/core/data_identity.h"
#include "fufi/core/strings.h"
#include "fufi/results/table.h"

namespace fufi::results::report {

const char* const kSyntheticCaveat =
    "The measured numbers are not from TaxiBJ: the comparison with the paper shows scale and direction only.";

std::string fmt_metric(double x) {
  if (std::isnan(x)) return "—";
  if (x != 0 && std::fabs(x) < 0.01) return fmt::format("{:.3e}", x);
  return fmt::format("{:.3f}", x);
}
std::string fmt_pct(double x) { return std::isnan(x) ? "—" : fmt::format("{:+.2f}", x); }
std::string fmt_arrow(double x) {
  if (std::isnan(x)) return "—";
  return fmt::format("{}{:.2f}", x <= 0 ? "↓" : "↑", std::fabs(x));
}
std::string fmt_csv(double x) { return std::isnan(x) ? "" : fmt::format("{:.9g}", x); }
std::string fmt_p(double p) { return std::isnan(p) ? "" : fmt::format("{:.4g}", p); }
std::string fmt_params_m(double x) { return std::isnan(x) ? "—" : fmt::format("{:.3g}", x / 1e6); }
std::string fmt_seconds(double x) { return std::isnan(x) ? "—" : fmt::format("{:.3g}", x); }

std::string cell_text(const CellStats& c, int metric, bool with_std) {
  if (c.mixed()) return "mixed";
  const double m = c.mean(metric);
  if (std::isnan(m)) return "—";
  std::string text = fmt_metric(m);
  const double sd = c.std(metric);
  // The spread at the mean's precision: "1.351 ± 0.008", not "1.351 ± 7.787e-03".
  const bool fixed_mean = !(m != 0 && std::fabs(m) < 0.01);
  if (with_std && !std::isnan(sd)) text += " ± " + (fixed_mean ? fmt::format("{:.3f}", sd) : fmt_metric(sd));
  if (c.done() < static_cast<int>(c.jobs.size())) text += "*";
  return text;
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_escape(cells[i]);
  return out + "\n";
}

std::string describe_data(const std::string& identity) {
  const auto d = DataIdentity::parse(identity);
  if (!d) return "`" + identity + "`";
  if (d->synthetic)
    return fmt::format("synthetic TaxiBJ-like data (preset {}, seed {}, {}x{} → {}x{}, {} samples per task) — not TaxiBJ",
                       d->preset, d->seed, d->coarse_size, d->coarse_size, d->coarse_size * d->upscale,
                       d->coarse_size * d->upscale, d->samples_per_task);
  const std::string lower = to_lower(d->root);
  const char* name = lower.find("taxibj") != std::string::npos    ? "TaxiBJ"
                     : lower.find("bikenyc") != std::string::npos ? "BikeNYC"
                                                                 : "a dataset";
  return fmt::format("{} (data root `{}`, named by its path)", name, d->root);
}

std::string unmeasured_runner(const std::vector<const JobRow*>& rows) {
  bool fake = false, noop = false;
  for (const auto* j : rows) {
    if (!j->done()) continue;
    fake = fake || j->device == "fixture";
    noop = noop || j->device == "noop";
  }
  return fake ? "fixture metrics" : noop ? "noop runner's zero metrics" : "";
}

std::vector<std::string> provenance_lines(const SweepJobs& sweep, const std::vector<const JobRow*>& rows) {
  std::set<std::string> data, devices;
  bool fake = false, noop = false;
  int done = 0;
  for (const auto* j : rows) {
    data.insert(j->data);
    if (!j->done()) continue;
    ++done;
    // The names the orchestrator's runners give as their device (orchestrator/src/fake_metrics_runner.cpp,
    // runners.cpp): their numbers are not measurements.
    fake = fake || j->device == "fixture";
    noop = noop || j->device == "noop";
    devices.insert(j->gpu.empty() ? j->device : j->device + " (" + j->gpu + ")");
  }
  if (data.empty() && !sweep.data.empty()) data.insert(sweep.data);
  std::vector<std::string> described;
  for (const auto& d : data) described.push_back(describe_data(d));
  std::vector<std::string> lines;
  lines.push_back("Data: " + (described.empty() ? std::string("none (no jobs)") : join(described, "; ")) + ".");
  std::string device = devices.empty() ? "none (no job done)" : join(std::vector<std::string>(devices.begin(), devices.end()), ", ");
  if (fake) device += " — **fixture metrics (not measured)**: derived from a hash of each job id by `--runner fixture`";
  if (noop) device += " — **noop runner: zero metrics (not measured)**";
  lines.push_back(fmt::format("Device: {}. Sweep `{}`: {} of {} jobs done.", device, sweep.name, done, rows.size()));
  return lines;
}

bool is_taxibj(const std::vector<const JobRow*>& rows) {
  if (rows.empty()) return false;
  for (const auto* j : rows)
    if (to_lower(j->data).find("taxibj") == std::string::npos) return false;
  return true;
}

void note_missing(MissingNotes& notes, const std::string& what, const CellStats& cell) {
  if (cell.mixed()) {
    const auto keys = differing_keys(cell.jobs);
    std::vector<std::string> groups;
    for (const auto& g : cell.groups) groups.push_back("`" + g.substr(0, 12) + "`");
    notes.mixed.push_back(fmt::format("{}: {} configurations ({}){}", what, cell.groups.size(), join(groups, ", "),
                                      keys.empty() ? ", which no configuration key tells apart"
                                                   : ", differing in " + join(keys, ", ")));
  }
  std::vector<std::string> jobs;
  for (const auto* j : cell.jobs) {
    if (j->done()) continue;
    std::string status(to_string(j->status));
    if (j->status == JobStatus::Failed) {
      notes.any_failed = true;
      std::string error = j->error.size() > 80 ? j->error.substr(0, 77) + "..." : j->error;
      for (char& c : error)
        if (c == '\n' || c == '`' || c == '|') c = ' ';
      status = fmt::format("failed ({}{}{})", to_string(j->error_class), error.empty() ? "" : ": ", error);
    }
    jobs.push_back(fmt::format("`{}` seed {} {}", j->job_id.substr(0, 12), j->seed, status));
  }
  if (jobs.empty()) return;
  notes.any_missing = true;
  notes.lines.push_back(fmt::format("{}: {} of {} seeds done; {}", what, cell.done(), cell.jobs.size(), join(jobs, ", ")));
}

namespace {

std::string run_command(const SweepJobs& sweep, const ReportItem& item, const std::string& db_label, bool retry) {
  const std::string file = sweep.present && !sweep.file.empty() ? sweep.file : item.sweep_file;
  return fmt::format("`fufi sweep {} --db {}{}`", file, db_label, retry ? " --retry-failed" : "");
}

}  // namespace

void add_missing_footnotes(Section& s, const MissingNotes& notes, const SweepJobs& sweep, const ReportItem& item,
                           const std::string& db_label) {
  if (!notes.mixed.empty()) {
    s.footnotes.push_back("mixed: jobs of several configurations fall in one cell of this item, and the report never "
                          "averages different configurations (give them their own sweep, or `--sweep ITEM=SWEEP`):");
    for (const auto& l : notes.mixed) s.footnotes.push_back(l);
  }
  if (!sweep.present) {
    s.footnotes.push_back(fmt::format("— : sweep `{}` is not in this database; run it: {}", sweep.name,
                                      run_command(sweep, item, db_label, false)));
    return;
  }
  if (!notes.any_missing) return;
  s.footnotes.push_back("— : no seed done; * : the mean of fewer seeds than the sweep has. Jobs not done:");
  for (const auto& l : notes.lines) s.footnotes.push_back(l);
  s.footnotes.push_back("Run them: " + run_command(sweep, item, db_label, notes.any_failed) +
                        (notes.any_failed ? " (failed jobs get new attempts)" : ""));
}

}  // namespace fufi::results::report
