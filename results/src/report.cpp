// fufi report: the paper's tables and figures from a results DB (read-only), beside the paper's numbers.
#include "fufi/results/report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/results/report_paper.h"
#include "fufi/results/report_stats.h"
#include "fufi/results/sqlite.h"
#include "fufi/results/store.h"
#include "fufi/results/table.h"
#include "report_doc.h"

namespace fufi::results {

namespace fs = std::filesystem;
using namespace report;

const std::vector<ReportItem>& report_items() {
  static const std::vector<ReportItem> items{
      {"table1", "Table 1: overall performance (test MSE, MAE, MAPE)", "table1", "sweeps/table1.toml", false},
      {"table2", "Table 2: ablation of PLGF's components (Task 1)", "table2_ablation", "sweeps/table2_ablation.toml", false},
      {"fig4", "Figure 4: efficiency (MAE vs. training time per epoch, bubble area = parameters)", "fig4_efficiency",
       "sweeps/fig4_efficiency.toml", true},
      {"fig5", "Figure 5: DualFocal as a plug-in loss (Task 2)", "fig5_dualfocal_plugin", "sweeps/fig5_dualfocal_plugin.toml",
       true},
      {"fig6", "Figure 6: PLGF width (channels) and depth", "fig6_width_depth", "sweeps/fig6_width_depth.toml", true},
      {"fig7", "Figure 7: DualFocal as a plug-in loss on all tasks", "fig7_dualfocal_all_tasks",
       "sweeps/fig7_dualfocal_all_tasks.toml", true},
  };
  return items;
}

std::vector<std::string> parse_report_list(const std::string& text, const std::string& option,
                                           const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  for (const auto& raw : split(text, ',')) {
    const std::string word = trim(raw);
    if (word.empty()) continue;
    FUFI_CHECK(std::find(allowed.begin(), allowed.end(), word) != allowed.end(), UsageError, "{}: unknown name '{}'{}; valid: {}",
               option, word, did_you_mean(word, allowed), join(allowed, ", "));
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);
  }
  return out;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::vector<std::string> kMetrics{"mse", "mae", "mape"};
const std::vector<std::string> kMetricNames{"MSE", "MAE", "MAPE"};
// Table 1's rows in the paper's order; models the paper does not have follow, by name.
const std::vector<std::string> kPaperModels{"srcnn", "espcn",   "vdsr",     "deepsd",  "srresnet", "urbanfm", "deeplgr",
                                            "fode",  "urbanode", "urbanpy", "cufar",   "uno",      "plgf"};
const std::vector<std::string> kPaperTasks{"P1", "P2", "P3", "P4"};
const std::vector<std::pair<std::string, std::string>> kAblations{
    {"full", "PLGF"},
    {"wo_film", "w/o FiLM"},
    {"wo_local_global", "w/o Local-Global Fusion"},
    {"wo_context_gate", "w/o Context-Gated Attention"},
    {"wo_dualfocal", "w/o DualFocal"},
    {"wo_logarithmic", "w/o Logarithmic"},
};
constexpr double kAlpha = 0.05;

// ---------------------------------------------------------------- reading the DB

struct JobRow {
  std::string variant, job_id, group_id, model, task, status, error_class, error, data, loss, channels, depth, device,
      gpu;
  std::int64_t seed = 0;
  double metric[3] = {kNaN, kNaN, kNaN};  // test mse, mae, mape (done jobs)
  double parameters = kNaN, epoch_seconds = kNaN;
  bool done() const { return status == "done"; }
};

struct SweepJobs {
  bool present = false;
  std::string name, file, data;
  std::vector<JobRow> jobs;
};

double column_or_nan(Statement& s, int c) { return s.is_null(c) ? kNaN : s.column_double(c); }

SweepJobs load_sweep(Database& db, const std::string& name) {
  SweepJobs out;
  out.name = name;
  auto sweep = db.prepare("SELECT file, data FROM sweeps WHERE name = ?1");
  sweep.bind(1, name);
  if (!sweep.step()) return out;
  out.present = true;
  out.file = sweep.column_text(0);
  out.data = sweep.column_text(1);
  auto s = db.prepare(R"SQL(
    SELECT sj.variant, j.job_id, j.group_id, j.model, j.task, j.seed, j.status, coalesce(j.error_class, ''),
           coalesce(j.error, ''), j.data,
           coalesce((SELECT value FROM job_config c WHERE c.job_id = j.job_id AND c.key = 'loss'), ''),
           coalesce((SELECT value FROM job_config c WHERE c.job_id = j.job_id AND c.key = 'channels'), ''),
           coalesce((SELECT value FROM job_config c WHERE c.job_id = j.job_id AND c.key = 'depth'), ''),
           t.mse, t.mae, t.mape, p.parameters, p.mean_epoch_seconds, coalesce(p.device, ''), coalesce(p.gpu, '')
    FROM sweeps sw
    JOIN sweep_jobs sj ON sj.sweep_id = sw.sweep_id
    JOIN jobs j ON j.job_id = sj.job_id
    LEFT JOIN results t ON t.job_id = j.job_id AND t.split = 'test'
    LEFT JOIN provenance p ON p.job_id = j.job_id
    WHERE sw.name = ?1
    ORDER BY j.model, j.task, sj.variant, j.seed, j.job_id)SQL");
  s.bind(1, name);
  while (s.step()) {
    JobRow r;
    r.variant = s.column_text(0);
    r.job_id = s.column_text(1);
    r.group_id = s.column_text(2);
    r.model = s.column_text(3);
    r.task = s.column_text(4);
    r.seed = s.column_int(5);
    r.status = s.column_text(6);
    r.error_class = s.column_text(7);
    r.error = s.column_text(8);
    r.data = s.column_text(9);
    r.loss = s.column_text(10);
    r.channels = s.column_text(11);
    r.depth = s.column_text(12);
    if (r.done()) {
      for (int m = 0; m < 3; ++m) r.metric[m] = column_or_nan(s, 13 + m);
      r.parameters = column_or_nan(s, 16);
      r.epoch_seconds = column_or_nan(s, 17);
    }
    r.device = s.column_text(18);
    r.gpu = s.column_text(19);
    out.jobs.push_back(std::move(r));
  }
  return out;
}

// The jobs of one cell of a table (one configuration, its seeds) and their statistics.
struct CellStats {
  std::vector<const JobRow*> jobs;
  std::set<std::string> groups;
  std::vector<double> values(int metric) const {
    std::vector<double> v;
    for (const auto* j : jobs)
      if (j->done() && !std::isnan(j->metric[metric])) v.push_back(j->metric[metric]);
    return v;
  }
  std::vector<double> of(double JobRow::*field) const {
    std::vector<double> v;
    for (const auto* j : jobs)
      if (j->done() && !std::isnan(j->*field)) v.push_back(j->*field);
    return v;
  }
  int done() const {
    int n = 0;
    for (const auto* j : jobs) n += j->done();
    return n;
  }
  double mean(int metric) const { return mean_of(values(metric)); }
  double std(int metric) const { return sample_std(values(metric)); }
};

// ---------------------------------------------------------------- formatting

std::string fmt_metric(double x) {
  if (std::isnan(x)) return "—";
  if (x != 0 && std::fabs(x) < 0.01) return fmt::format("{:.3e}", x);
  return fmt::format("{:.3f}", x);
}
std::string fmt_pct(double x) { return std::isnan(x) ? "—" : fmt::format("{:+.2f}", x); }
// The paper's Δ row: ↓ when PLGF is lower (better).
std::string fmt_arrow(double x) {
  if (std::isnan(x)) return "—";
  return fmt::format("{}{:.2f}", x <= 0 ? "↓" : "↑", std::fabs(x));
}
std::string fmt_csv(double x) { return std::isnan(x) ? "" : fmt::format("{:.9g}", x); }
std::string fmt_p(double p) { return std::isnan(p) ? "" : fmt::format("{:.4g}", p); }
std::string fmt_params_m(double x) { return std::isnan(x) ? "—" : fmt::format("{:.3g}", x / 1e6); }
std::string fmt_seconds(double x) { return std::isnan(x) ? "—" : fmt::format("{:.3g}", x); }

std::string cell_text(const CellStats& c, int metric, bool with_std) {
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

// "synthetic:preset=small,seed=2026,coarse_size=16,upscale=4,..." -> readable, never mistaken for TaxiBJ.
std::string describe_data(const std::string& identity) {
  if (identity.rfind("synthetic:", 0) == 0) {
    std::map<std::string, std::string> kv;
    for (const auto& part : split(identity.substr(10), ',')) {
      const auto eq = part.find('=');
      if (eq != std::string::npos) kv[part.substr(0, eq)] = part.substr(eq + 1);
    }
    std::string size;
    std::int64_t coarse = 0, up = 0;
    if (parse_int(kv["coarse_size"], coarse) && parse_int(kv["upscale"], up))
      size = fmt::format(", {0}x{0} → {1}x{1}", coarse, coarse * up);
    return fmt::format("synthetic TaxiBJ-like data (preset {}, seed {}{}, {} samples per task) — not TaxiBJ", kv["preset"],
                       kv["seed"], size, kv["samples_per_task"]);
  }
  if (identity.rfind("root:", 0) == 0) {
    const std::string path = identity.substr(5);
    const std::string lower = to_lower(path);
    const char* name = lower.find("taxibj") != std::string::npos    ? "TaxiBJ"
                       : lower.find("bikenyc") != std::string::npos ? "BikeNYC"
                                                                   : "a dataset";
    return fmt::format("{} (data root `{}`, named by its path)", name, path);
  }
  return "`" + identity + "`";
}

// Data, device and job counts of the rows a table shows: printed above every table.
std::vector<std::string> provenance_lines(const SweepJobs& sweep, const std::vector<const JobRow*>& rows) {
  std::set<std::string> data, devices;
  bool fixture = false, noop = false;
  int done = 0;
  for (const auto* j : rows) {
    data.insert(j->data);
    if (!j->done()) continue;
    ++done;
    fixture = fixture || j->device == "fixture";
    noop = noop || j->device == "noop";
    devices.insert(j->gpu.empty() ? j->device : j->device + " (" + j->gpu + ")");
  }
  if (data.empty() && !sweep.data.empty()) data.insert(sweep.data);
  std::vector<std::string> described;
  for (const auto& d : data) described.push_back(describe_data(d));
  std::vector<std::string> lines;
  lines.push_back("Data: " + (described.empty() ? std::string("none (no jobs)") : join(described, "; ")) + ".");
  std::string device = devices.empty() ? "none (no job done)" : join(std::vector<std::string>(devices.begin(), devices.end()), ", ");
  if (fixture) device += " — **fixture metrics (not measured)**: derived from a hash of each job id by `--runner fixture`";
  if (noop) device += " — **noop runner: zero metrics (not measured)**";
  lines.push_back(fmt::format("Device: {}. Sweep `{}`: {} of {} jobs done.", device, sweep.name, done, rows.size()));
  return lines;
}

// What is missing or failed, and the command that runs it.
struct MissingNotes {
  std::vector<std::string> lines;
  bool any_failed = false, any_missing = false;
};

void note_missing(MissingNotes& notes, const std::string& what, const CellStats& cell) {
  std::vector<std::string> jobs;
  for (const auto* j : cell.jobs) {
    if (j->done()) continue;
    std::string status = j->status;
    if (j->status == "failed") {
      notes.any_failed = true;
      std::string error = j->error.size() > 80 ? j->error.substr(0, 77) + "..." : j->error;
      for (char& c : error)
        if (c == '\n' || c == '`' || c == '|') c = ' ';
      status = fmt::format("failed ({}{}{})", j->error_class, error.empty() ? "" : ": ", error);
    }
    jobs.push_back(fmt::format("`{}` seed {} {}", j->job_id.substr(0, 12), j->seed, status));
  }
  if (jobs.empty()) return;
  notes.any_missing = true;
  notes.lines.push_back(fmt::format("{}: {} of {} seeds done; {}", what, cell.done(), cell.jobs.size(), join(jobs, ", ")));
}

std::string run_command(const SweepJobs& sweep, const ReportItem& item, const std::string& db_label, bool retry) {
  const std::string file = sweep.present && !sweep.file.empty() ? sweep.file : item.sweep_file;
  return fmt::format("`fufi sweep {} --db {}{}`", file, db_label, retry ? " --retry-failed" : "");
}

void add_missing_footnotes(Section& s, const MissingNotes& notes, const SweepJobs& sweep, const ReportItem& item,
                           const std::string& db_label) {
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

const char* kSyntheticCaveat =
    "The measured numbers are not from TaxiBJ: the comparison with the paper shows scale and direction only.";

bool is_taxibj(const std::vector<const JobRow*>& rows) {
  if (rows.empty()) return false;
  for (const auto* j : rows)
    if (to_lower(j->data).find("taxibj") == std::string::npos) return false;
  return true;
}

std::vector<const JobRow*> all_rows(const SweepJobs& s) {
  std::vector<const JobRow*> out;
  for (const auto& j : s.jobs) out.push_back(&j);
  return out;
}

int paper_model_index(const std::string& model) {
  auto it = std::find(kPaperModels.begin(), kPaperModels.end(), model);
  return it == kPaperModels.end() ? static_cast<int>(kPaperModels.size()) : static_cast<int>(it - kPaperModels.begin());
}

void sort_models(std::vector<std::string>& models) {
  std::sort(models.begin(), models.end(), [](const std::string& a, const std::string& b) {
    const int ia = paper_model_index(a), ib = paper_model_index(b);
    return ia != ib ? ia < ib : a < b;
  });
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_escape(cells[i]);
  return out + "\n";
}

// ---------------------------------------------------------------- one item's output

struct ItemOutput {
  Section section;
  std::string csv;
  std::string dat, gp;  // figures only; gp empty: nothing to plot
};

// A rows x (task, metric) grid: Table 1 (rows: models, reference: PLGF) and Table 2 (rows: variants,
// reference: full).
struct Grid {
  std::vector<std::pair<std::string, std::string>> rows;  // key, label
  std::vector<std::string> tasks;
  std::map<std::pair<std::string, std::string>, CellStats> cells;  // (row key, task)
  std::string reference;                                           // row key the others are tested against
  std::function<std::optional<double>(const std::string& row, const std::string& task, const std::string& metric)> paper;
};

const CellStats& cell_of(const Grid& g, const std::string& row, const std::string& task) {
  static const CellStats empty;
  auto it = g.cells.find({row, task});
  return it == g.cells.end() ? empty : it->second;
}

// Header of a rows x (task x metric) table: a label column, then one group of three metric columns per task.
DocTable grid_table_frame(const Grid& g, const std::string& label_header, const std::string& metric_suffix) {
  DocTable t;
  t.header.push_back(label_header);
  t.groups.emplace_back("", 1);
  t.right.push_back(false);
  for (const auto& task : g.tasks) {
    t.groups.emplace_back(task, 3);
    for (const auto& m : kMetricNames) {
      t.header.push_back(m + metric_suffix);
      t.right.push_back(true);
    }
  }
  return t;
}

// The measured table: best bold, second underlined per column; † where Welch's test of the row against
// the reference row gives p < 0.05. `delta_row`: the paper's Δ% row (reference vs the best other row).
DocTable measured_table(const Grid& g, bool with_std, bool delta_row, const std::string& label_header) {
  DocTable t = grid_table_frame(g, label_header, "");
  for (const auto& [key, label] : g.rows) t.rows.push_back({Cell{label}});
  for (const auto& task : g.tasks) {
    for (int m = 0; m < 3; ++m) {
      std::vector<double> means;
      for (const auto& row : g.rows) means.push_back(cell_of(g, row.first, task).mean(m));
      const auto ranks = rank_best_two(means);
      const auto reference = cell_of(g, g.reference, task).values(m);
      for (std::size_t r = 0; r < g.rows.size(); ++r) {
        const auto& cell = cell_of(g, g.rows[r].first, task);
        Cell c{cell_text(cell, m, with_std), ranks[r]};
        if (g.rows[r].first != g.reference) {
          const auto w = welch_t_test(reference, cell.values(m));
          c.dagger = w.valid && w.p < kAlpha;
        }
        t.rows[r].push_back(c);
      }
    }
  }
  if (delta_row) {
    t.rule_before.push_back(t.rows.size());
    std::vector<Cell> row{Cell{"Δ (%)"}};
    for (const auto& task : g.tasks)
      for (int m = 0; m < 3; ++m) {
        double best = kNaN;
        for (const auto& r : g.rows)
          if (r.first != g.reference) {
            const double v = cell_of(g, r.first, task).mean(m);
            if (!std::isnan(v) && (std::isnan(best) || v < best)) best = v;
          }
        row.push_back(Cell{fmt_arrow(relative_change_percent(cell_of(g, g.reference, task).mean(m), best))});
      }
    t.rows.push_back(row);
  }
  return t;
}

DocTable paper_table(const Grid& g, const std::string& label_header, bool delta_row,
                     const std::function<std::optional<double>(const std::string&, const std::string&)>& paper_delta) {
  DocTable t = grid_table_frame(g, label_header, "");
  for (const auto& [key, label] : g.rows) t.rows.push_back({Cell{label}});
  for (const auto& task : g.tasks)
    for (int m = 0; m < 3; ++m) {
      std::vector<double> values;
      for (const auto& row : g.rows) {
        const auto v = g.paper(row.first, task, kMetrics[static_cast<std::size_t>(m)]);
        values.push_back(v ? *v : kNaN);
      }
      const auto ranks = rank_best_two(values);
      for (std::size_t r = 0; r < g.rows.size(); ++r) t.rows[r].push_back(Cell{fmt_metric(values[r]), ranks[r]});
    }
  if (delta_row) {
    t.rule_before.push_back(t.rows.size());
    std::vector<Cell> row{Cell{"Δ (%)"}};
    for (const auto& task : g.tasks)
      for (const auto& metric : kMetrics) {
        const auto d = paper_delta(task, metric);
        row.push_back(Cell{d ? fmt_arrow(*d) : "—"});
      }
    t.rows.push_back(row);
  }
  return t;
}

// (measured - paper) / paper per cell, in percent.
DocTable versus_paper_table(const Grid& g, const std::string& label_header) {
  DocTable t = grid_table_frame(g, label_header, " %");
  for (const auto& [key, label] : g.rows) {
    std::vector<Cell> row{Cell{label}};
    for (const auto& task : g.tasks)
      for (int m = 0; m < 3; ++m) {
        const auto p = g.paper(key, task, kMetrics[static_cast<std::size_t>(m)]);
        row.push_back(Cell{fmt_pct(relative_change_percent(cell_of(g, key, task).mean(m), p ? *p : kNaN))});
      }
    t.rows.push_back(row);
  }
  return t;
}

// One CSV row per (row, task, metric): everything the tables show, at full precision.
std::string grid_csv(const Grid& g, const std::string& row_column, const std::string& data, const std::string& device) {
  std::string out = csv_line({row_column, "task", "metric", "n", "jobs", "mean", "std", "rank", "p_vs_" + g.reference,
                              "significant", "paper", "vs_paper_pct", "data", "device"});
  for (const auto& task : g.tasks)
    for (int m = 0; m < 3; ++m) {
      std::vector<double> means;
      for (const auto& row : g.rows) means.push_back(cell_of(g, row.first, task).mean(m));
      const auto ranks = rank_best_two(means);
      const auto reference = cell_of(g, g.reference, task).values(m);
      for (std::size_t r = 0; r < g.rows.size(); ++r) {
        const auto& key = g.rows[r].first;
        const auto& cell = cell_of(g, key, task);
        const auto paper = g.paper(key, task, kMetrics[static_cast<std::size_t>(m)]);
        WelchResult w;
        if (key != g.reference) w = welch_t_test(reference, cell.values(m));
        out += csv_line({key, task, kMetrics[static_cast<std::size_t>(m)], std::to_string(cell.done()),
                         std::to_string(cell.jobs.size()), fmt_csv(means[r]), fmt_csv(cell.std(m)),
                         ranks[r] ? std::to_string(ranks[r]) : "", w.valid ? fmt_p(w.p) : "",
                         w.valid ? (w.p < kAlpha ? "yes" : "no") : "", paper ? fmt_csv(*paper) : "",
                         fmt_csv(relative_change_percent(means[r], paper ? *paper : kNaN)), data, device});
      }
    }
  return out;
}

std::string significance_note(const std::string& reference) {
  return fmt::format(
      "**bold**: best of the column; _italic_ (underlined in LaTeX/HTML): second. †: Welch's t-test over seeds of "
      "`{}` against this row, p < 0.05 (needs ≥ 2 seeds on both sides; CSV: `p_vs_{}`).",
      reference, reference);
}

// What Tables 1 and 2 share: the data/device lines, the measured table and its note, the paper's table (with a
// Δ row when `paper_delta` is given), measured vs. paper, and the caveat for data that is not TaxiBJ. Returns
// the data/device lines (the CSV repeats them).
std::vector<std::string> add_grid_tables(
    Section& s, const Grid& g, const SweepJobs& sweep, const ReportOptions& o, const std::string& label,
    const std::string& note, const std::string& paper_caption,
    const std::function<std::optional<double>(const std::string&, const std::string&)>& paper_delta) {
  const auto rows = all_rows(sweep);
  auto prov = provenance_lines(sweep, rows);
  for (const auto& l : prov) s.blocks.push_back(text_block(l));
  const bool delta_row = static_cast<bool>(paper_delta);
  DocTable measured = measured_table(g, o.with_std, delta_row, label);
  measured.caption = "Measured: mean over seeds";
  s.blocks.push_back(table_block(measured));
  s.blocks.push_back(text_block(note));
  DocTable paper = paper_table(g, label, delta_row, paper_delta);
  paper.caption = paper_caption;
  s.blocks.push_back(table_block(paper));
  DocTable versus = versus_paper_table(g, label);
  versus.caption = "Measured vs. paper: (measured − paper) / paper";
  s.blocks.push_back(table_block(versus));
  if (!is_taxibj(rows)) s.blocks.push_back(text_block(kSyntheticCaveat));
  return prov;
}

ItemOutput table1(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  ItemOutput out;
  Section& s = out.section;
  s.id = item.id;
  s.title = item.title;
  Grid g;
  g.reference = "plgf";
  std::set<std::string> models, tasks;
  for (const auto& j : sweep.jobs) {
    models.insert(j.model);
    tasks.insert(j.task);
    auto& cell = g.cells[{j.model, j.task}];
    cell.jobs.push_back(&j);
    cell.groups.insert(j.group_id);
  }
  std::vector<std::string> model_list(models.begin(), models.end());
  if (model_list.empty()) model_list = kPaperModels;
  sort_models(model_list);
  g.tasks = tasks.empty() ? kPaperTasks : std::vector<std::string>(tasks.begin(), tasks.end());
  for (const auto& m : model_list) g.rows.emplace_back(m, m);
  g.paper = [](const std::string& row, const std::string& task, const std::string& metric) {
    return paper_value("table1", row, task, "", metric);
  };
  const auto prov = add_grid_tables(
      s, g, sweep, o, "Model",
      significance_note("plgf") +
          " Δ (%): PLGF against the best other model of each column, as in the paper (↓: PLGF lower).",
      "Paper (Table 1 as published: TaxiBJ, NVIDIA 4090, mean of five runs)",
      [](const std::string& task, const std::string& metric) {
        return paper_value("table1_delta_pct", "plgf", task, "", metric);
      });
  MissingNotes notes;
  for (const auto& [model, label] : g.rows)
    for (const auto& task : g.tasks) {
      const auto& cell = cell_of(g, model, task);
      note_missing(notes, fmt::format("{} {}", model, task), cell);
      if (cell.groups.size() > 1)
        s.footnotes.push_back(fmt::format("{} {}: the sweep has {} configurations of this cell; the mean mixes them",
                                          model, task, cell.groups.size()));
    }
  add_missing_footnotes(s, notes, sweep, item, o.db_label);
  out.csv = grid_csv(g, "model", prov[0], prov[1]);
  return out;
}

ItemOutput table2(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  ItemOutput out;
  Section& s = out.section;
  s.id = item.id;
  s.title = item.title;
  Grid g;
  g.reference = "full";
  std::set<std::string> variants, tasks;
  for (const auto& j : sweep.jobs) {
    const std::string v = j.variant.empty() ? "full" : j.variant;
    variants.insert(v);
    tasks.insert(j.task);
    auto& cell = g.cells[{v, j.task}];
    cell.jobs.push_back(&j);
    cell.groups.insert(j.group_id);
  }
  for (const auto& [key, label] : kAblations)
    if (variants.empty() || variants.count(key)) g.rows.emplace_back(key, label);
  for (const auto& v : variants)
    if (std::none_of(kAblations.begin(), kAblations.end(), [&](const auto& a) { return a.first == v; }))
      g.rows.emplace_back(v, v);
  g.tasks = tasks.empty() ? std::vector<std::string>{"P1"} : std::vector<std::string>(tasks.begin(), tasks.end());
  g.paper = [](const std::string& row, const std::string& task, const std::string& metric) {
    return paper_value("table2", "plgf", task, row, metric);
  };
  const auto prov = add_grid_tables(s, g, sweep, o, "Method", significance_note("full"),
                                    "Paper (Table 2 as published: TaxiBJ Task 1)", nullptr);
  MissingNotes notes;
  for (const auto& [key, label] : g.rows)
    for (const auto& task : g.tasks) note_missing(notes, fmt::format("{} {}", key, task), cell_of(g, key, task));
  add_missing_footnotes(s, notes, sweep, item, o.db_label);
  out.csv = grid_csv(g, "variant", prov[0], prov[1]);
  return out;
}

// gnuplot preamble: PNG with cairo when this gnuplot has it, and the same plot again as SVG.
std::string gnuplot_script(const std::string& id, const std::string& size, const std::string& body) {
  std::string gp = fmt::format(
      "# {0}: written by fufi report from {0}.dat. Run: gnuplot {0}.gp (in this directory).\n"
      "set datafile separator whitespace\n"
      "set datafile missing \"NaN\"\n"
      "set encoding utf8\n"
      "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {{\n"
      "  set terminal pngcairo size {1} enhanced font \"sans,10\"\n"
      "}} else {{\n"
      "  set terminal png size {1}\n"
      "}}\n"
      "set output \"{0}.png\"\n",
      id, size);
  gp += body;
  gp += fmt::format("unset output\nset terminal svg size {} enhanced font \"sans,10\"\nset output \"{}.svg\"\n", size, id);
  gp += body;
  return gp + "unset output\n";
}

std::string dat_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? '\'' : c;
  return out + "\"";
}

std::string dat_number(double x) { return std::isnan(x) ? "NaN" : fmt::format("{:.9g}", x); }

ItemOutput fig4(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  ItemOutput out;
  Section& s = out.section;
  s.id = item.id;
  s.title = item.title;
  std::map<std::string, CellStats> cells;
  std::set<std::string> tasks;
  for (const auto& j : sweep.jobs) {
    cells[j.model].jobs.push_back(&j);
    cells[j.model].groups.insert(j.group_id);
    tasks.insert(j.task);
  }
  std::vector<std::string> models;
  for (const auto& [m, c] : cells) models.push_back(m);
  sort_models(models);
  const auto rows = all_rows(sweep);
  const auto prov = provenance_lines(sweep, rows);
  for (const auto& l : prov) s.blocks.push_back(text_block(l));
  if (tasks.size() > 1) s.footnotes.push_back("The sweep has several tasks (" + join({tasks.begin(), tasks.end()}, ", ") +
                                              "): each model's numbers average over all of them.");

  DocTable t;
  t.caption = "Measured beside the paper (paper: §Efficiency text and Table 1 Task 1; other values: figure only)";
  t.header = {"Model", "Params (M)", "s/epoch", "MAE", "n", "paper Params (M)", "paper s/epoch", "paper MAE"};
  t.right = {false, true, true, true, true, true, true, true};
  std::string csv = csv_line({"model", "n", "jobs", "parameters", "epoch_seconds", "mae_mean", "mae_std", "paper_params_m",
                              "paper_epoch_seconds", "paper_mae", "data", "device"});
  std::string dat = "# fufi report fig4: one line per model: label, parameters (M), seconds per epoch (mean over seeds),\n"
                    "# test MAE (mean over seeds), point size (bubble area proportional to parameters)\n";
  double max_params = 0;
  for (const auto& m : models) max_params = std::max(max_params, mean_of(cells[m].of(&JobRow::parameters)));
  MissingNotes notes;
  int points = 0;
  for (const auto& m : models) {
    const auto& c = cells[m];
    const double params = mean_of(c.of(&JobRow::parameters));
    const double secs = mean_of(c.of(&JobRow::epoch_seconds));
    const double mae = c.mean(1);
    const auto pp = paper_value("fig4", m, "P1", "", "params_m");
    const auto ps = paper_value("fig4", m, "P1", "", "epoch_seconds");
    const auto pm = paper_value("table1", m, "P1", "", "mae");
    t.rows.push_back({Cell{m}, Cell{fmt_params_m(params)}, Cell{fmt_seconds(secs)}, Cell{cell_text(c, 1, o.with_std)},
                      Cell{std::to_string(c.done())}, Cell{pp ? fmt::format("{:.2f}", *pp) : "—"},
                      Cell{ps ? fmt::format("{:.2f}", *ps) : "—"}, Cell{pm ? fmt_metric(*pm) : "—"}});
    csv += csv_line({m, std::to_string(c.done()), std::to_string(c.jobs.size()), fmt_csv(params), fmt_csv(secs),
                     fmt_csv(mae), fmt_csv(c.std(1)), pp ? fmt_csv(*pp) : "", ps ? fmt_csv(*ps) : "",
                     pm ? fmt_csv(*pm) : "", prov[0], prov[1]});
    note_missing(notes, m, c);
    if (std::isnan(secs) || std::isnan(mae)) continue;
    // Point size ∝ sqrt(parameters): the bubble's area is proportional to the parameter count.
    const double size = max_params > 0 && !std::isnan(params) ? std::max(0.6, 6.0 * std::sqrt(params / max_params)) : 0.6;
    dat += fmt::format("{} {} {} {} {}\n", dat_string(m), dat_number(std::isnan(params) ? 0 : params / 1e6), dat_number(secs),
                       dat_number(mae), dat_number(size));
    ++points;
  }
  s.blocks.push_back(table_block(t));
  s.blocks.push_back(text_block("Seconds per epoch depend on the device: compare measured rows with each other, and with "
                                "the paper's only as a ratio (PLGF 4.58 s vs. UNO 22.29 s on an NVIDIA 4090)."));
  if (!is_taxibj(rows)) s.blocks.push_back(text_block(kSyntheticCaveat));
  add_missing_footnotes(s, notes, sweep, item, o.db_label);
  out.csv = csv;
  out.dat = dat;
  if (points > 0) {
    out.gp = gnuplot_script(item.id, "900,600",
                            "set title \"Efficiency: MAE vs. training time per epoch (bubble area = parameters)\"\n"
                            "set xlabel \"training time per epoch (s)\"\n"
                            "set ylabel \"test MAE\"\n"
                            "set key off\n"
                            "set grid\n"
                            "set offsets graph 0.1, graph 0.1, graph 0.1, graph 0.1\n"
                            "plot \"fig4.dat\" using 3:4:5 with points pt 7 ps variable lc rgb \"#4477aa\", \\\n"
                            "     \"fig4.dat\" using 3:4:(sprintf(\"%s (%.3gM)\", stringcolumn(1), $2)) with labels "
                            "offset char 0,1.5 notitle\n");
    s.blocks.push_back(Block{Block::Image, item.id, {}});
  } else {
    s.footnotes.push_back("No model has both a measured MAE and seconds per epoch: the figure is not drawn.");
  }
  return out;
}

// With and without DualFocal (the `loss` key) per model and task: Figures 5 and 7.
struct PluginCell {
  CellStats own, dual;
  std::set<std::string> own_losses;
};

ItemOutput plugin_figure(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o, bool all_tasks) {
  ItemOutput out;
  Section& s = out.section;
  s.id = item.id;
  s.title = item.title;
  std::map<std::pair<std::string, std::string>, PluginCell> cells;  // (model, task)
  std::set<std::string> model_set, task_set;
  for (const auto& j : sweep.jobs) {
    auto& c = cells[{j.model, j.task}];
    if (j.loss == "dualfocal") {
      c.dual.jobs.push_back(&j);
      c.dual.groups.insert(j.group_id);
    } else {
      c.own.jobs.push_back(&j);
      c.own.groups.insert(j.group_id);
      c.own_losses.insert(j.loss);
    }
    model_set.insert(j.model);
    task_set.insert(j.task);
  }
  std::vector<std::string> models(model_set.begin(), model_set.end());
  sort_models(models);
  std::vector<std::string> tasks(task_set.begin(), task_set.end());
  const auto rows = all_rows(sweep);
  const auto prov = provenance_lines(sweep, rows);
  for (const auto& l : prov) s.blocks.push_back(text_block(l));

  DocTable t;
  t.caption = all_tasks ? "Measured: own loss vs. DualFocal, change in % (paper: figure only)"
                        : "Measured beside the paper's quoted changes (§Generalizability text)";
  t.header = {"Model", "Task", "Metric", "own loss", "DualFocal", "change %"};
  t.right = {false, false, false, true, true, true};
  if (!all_tasks) {
    t.header.push_back("paper change %");
    t.right.push_back(true);
  }
  std::string csv = csv_line({"model", "task", "metric", "own_loss", "n_own", "own_mean", "own_std", "n_dualfocal",
                              "dualfocal_mean", "dualfocal_std", "change_pct", "p_welch", "paper_change_pct", "data", "device"});
  MissingNotes notes;
  std::map<std::pair<std::string, int>, std::vector<double>> changes;  // (task, metric) -> per model
  std::map<std::pair<std::string, int>, std::vector<std::pair<double, double>>> bars;  // (task, metric) -> (own, dual)
  for (const auto& m : models)
    for (const auto& task : tasks) {
      const auto& c = cells[{m, task}];
      const std::string own_loss = c.own_losses.empty() ? "" : join({c.own_losses.begin(), c.own_losses.end()}, "/");
      for (int k = 0; k < 3; ++k) {
        const double own = c.own.mean(k), dual = c.dual.mean(k);
        const double change = relative_change_percent(dual, own);
        const auto w = welch_t_test(c.own.values(k), c.dual.values(k));
        std::optional<double> paper = paper_value("fig5", m, task, "", kMetrics[static_cast<std::size_t>(k)] + "_change_pct");
        std::string paper_text = paper ? fmt_pct(*paper) : "—";
        if (!paper) {
          const auto bound = paper_value("fig5", "any", task, "", kMetrics[static_cast<std::size_t>(k)] + "_change_pct");
          if (bound) paper_text = fmt::format("up to {}", fmt_pct(*bound));
        }
        std::vector<Cell> row{Cell{m},
                              Cell{task},
                              Cell{kMetricNames[static_cast<std::size_t>(k)]},
                              Cell{cell_text(c.own, k, o.with_std) + (own_loss.empty() ? "" : " (" + own_loss + ")")},
                              Cell{cell_text(c.dual, k, o.with_std)},
                              Cell{fmt_pct(change), 0, w.valid && w.p < kAlpha}};
        if (!all_tasks) row.push_back(Cell{paper_text});
        t.rows.push_back(row);
        csv += csv_line({m, task, kMetrics[static_cast<std::size_t>(k)], own_loss, std::to_string(c.own.done()),
                         fmt_csv(own), fmt_csv(c.own.std(k)), std::to_string(c.dual.done()), fmt_csv(dual),
                         fmt_csv(c.dual.std(k)), fmt_csv(change), w.valid ? fmt_p(w.p) : "", paper ? fmt_csv(*paper) : "",
                         prov[0], prov[1]});
        changes[{task, k}].push_back(change);
        bars[{task, k}].emplace_back(own, dual);
      }
      note_missing(notes, fmt::format("{} {} own loss", m, task), c.own);
      note_missing(notes, fmt::format("{} {} DualFocal", m, task), c.dual);
    }
  s.blocks.push_back(table_block(t));
  s.blocks.push_back(text_block("change % = (DualFocal − own loss) / own loss (negative: DualFocal lowers the error). "
                                "†: Welch's t-test over seeds, own loss vs. DualFocal, p < 0.05. The own loss is the "
                                "model's published recipe (its `loss` key)."));
  if (!is_taxibj(rows)) s.blocks.push_back(text_block(kSyntheticCaveat));
  add_missing_footnotes(s, notes, sweep, item, o.db_label);
  out.csv = csv;

  bool any = false;
  for (const auto& [key, v] : changes)
    for (double x : v) any = any || !std::isnan(x);
  std::string dat;
  std::string body;
  if (!all_tasks) {
    // One block per (task, metric): model, own, DualFocal, x label with the change.
    dat = "# fufi report fig5: one block per metric (MSE, MAE, MAPE) and task; lines: model label, own loss, DualFocal\n";
    int index = 0;
    std::string plots;
    for (const auto& task : tasks)
      for (int k = 0; k < 3; ++k) {
        dat += fmt::format("# {} {}\n", task, kMetricNames[static_cast<std::size_t>(k)]);
        const auto& b = bars[{task, k}];
        for (std::size_t i = 0; i < models.size(); ++i)
          dat += fmt::format("{} {} {}\n", dat_string(fmt::format("{} {}%", models[i], fmt_pct(changes[{task, k}][i]))),
                             dat_number(b[i].first), dat_number(b[i].second));
        dat += "\n\n";
        plots += fmt::format("set title \"{} {}\"\nplot \"fig5.dat\" index {} using 2:xtic(1) title \"own loss\" lc rgb "
                             "\"#bbbbbb\", \"\" index {} using 3 title \"DualFocal\" lc rgb \"#cc3311\"\n",
                             kMetricNames[static_cast<std::size_t>(k)], task, index, index);
        ++index;
      }
    body = fmt::format("set multiplot layout {},3 title \"DualFocal as a plug-in loss (x labels: change in %)\"\n"
                       "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
                       "set boxwidth 0.9\nset yrange [0:*]\nset key below horizontal\nset xtics rotate by -20\n{}unset multiplot\n",
                       std::max<std::size_t>(1, tasks.size()), plots);
  } else {
    // One block per metric: one line per task, one column per model: the change in %.
    dat = "# fufi report fig7: one block per metric (MSE, MAE, MAPE); lines: task, then the change in % of each model: " +
          join(models, " ") + "\n";
    std::string plots;
    for (int k = 0; k < 3; ++k) {
      dat += fmt::format("# {}\n", kMetricNames[static_cast<std::size_t>(k)]);
      for (const auto& task : tasks) {
        dat += dat_string(task);
        for (double x : changes[{task, k}]) dat += " " + dat_number(x);
        dat += "\n";
      }
      dat += "\n\n";
      std::vector<std::string> series;
      for (std::size_t i = 0; i < models.size(); ++i)
        series.push_back(fmt::format("\"fig7.dat\" index {} using {}{} title \"{}\"", k, i + 2, i == 0 ? ":xtic(1)" : "",
                                     models[i]));
      plots += fmt::format("set title \"{}: change with DualFocal (%)\"\nplot {}\n", kMetricNames[static_cast<std::size_t>(k)],
                           join(series, ", "));
    }
    body = "set multiplot layout 1,3 title \"DualFocal as a plug-in loss on every task (negative: lower error)\"\n"
           "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
           "set boxwidth 0.9\nset key below horizontal\nset xzeroaxis\n" +
           plots + "unset multiplot\n";
  }
  out.dat = dat;
  if (any) {
    out.gp = gnuplot_script(item.id, all_tasks ? "1500,500" : fmt::format("1500,{}", 450 * std::max<std::size_t>(1, tasks.size())),
                            body);
    s.blocks.push_back(Block{Block::Image, item.id, {}});
  } else {
    s.footnotes.push_back("No model has both losses measured: the figure is not drawn.");
  }
  return out;
}

ItemOutput fig6(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  ItemOutput out;
  Section& s = out.section;
  s.id = item.id;
  s.title = item.title;
  std::map<std::pair<std::int64_t, std::int64_t>, CellStats> cells;  // (channels, depth)
  for (const auto& j : sweep.jobs) {
    std::int64_t ch = 0, depth = 0;
    if (!parse_int(j.channels, ch) || !parse_int(j.depth, depth)) continue;
    cells[{ch, depth}].jobs.push_back(&j);
    cells[{ch, depth}].groups.insert(j.group_id);
  }
  // The panels: width at the depth that has the most widths, depth at the width that has the most depths
  // (the paper: depth 4 and 128 channels). Ties: the smaller value.
  std::map<std::int64_t, int> widths_at_depth, depths_at_width;
  for (const auto& [key, c] : cells) {
    ++widths_at_depth[key.second];
    ++depths_at_width[key.first];
  }
  auto modal = [](const std::map<std::int64_t, int>& counts) {
    std::int64_t best = 0;
    int n = -1;
    for (const auto& [v, k] : counts)
      if (k > n) {
        best = v;
        n = k;
      }
    return best;
  };
  const std::int64_t fixed_depth = modal(widths_at_depth), fixed_width = modal(depths_at_width);
  const auto rows = all_rows(sweep);
  const auto prov = provenance_lines(sweep, rows);
  for (const auto& l : prov) s.blocks.push_back(text_block(l));

  DocTable t;
  t.caption = "Measured (paper: figure only, no numbers given)";
  t.header = {"Panel", "Channels", "Depth", "MSE", "MAE", "MAPE", "n"};
  t.right = {false, true, true, true, true, true, true};
  std::string csv = csv_line({"panel", "channels", "depth", "n", "jobs", "mse_mean", "mse_std", "mae_mean", "mae_std",
                              "mape_mean", "mape_std", "data", "device"});
  std::string dat = "# fufi report fig6: block 0: channels, MSE, MAE at depth " + std::to_string(fixed_depth) +
                    "; block 1: depth, MSE, MAE at " + std::to_string(fixed_width) + " channels\n";
  MissingNotes notes;
  int points = 0;
  for (int panel = 0; panel < 2; ++panel) {
    const std::string name = panel == 0 ? "width" : "depth";
    std::vector<double> mse, mae, mape;
    std::vector<std::pair<std::int64_t, std::int64_t>> keys;
    for (const auto& [key, c] : cells)
      if (panel == 0 ? key.second == fixed_depth : key.first == fixed_width) keys.push_back(key);
    for (const auto& key : keys) {
      const auto& c = cells[key];
      t.rows.push_back({Cell{name}, Cell{std::to_string(key.first)}, Cell{std::to_string(key.second)},
                        Cell{cell_text(c, 0, o.with_std)}, Cell{cell_text(c, 1, o.with_std)}, Cell{cell_text(c, 2, o.with_std)},
                        Cell{std::to_string(c.done())}});
      csv += csv_line({name, std::to_string(key.first), std::to_string(key.second), std::to_string(c.done()),
                       std::to_string(c.jobs.size()), fmt_csv(c.mean(0)), fmt_csv(c.std(0)), fmt_csv(c.mean(1)),
                       fmt_csv(c.std(1)), fmt_csv(c.mean(2)), fmt_csv(c.std(2)), prov[0], prov[1]});
      dat += fmt::format("{} {} {}\n", panel == 0 ? key.first : key.second, dat_number(c.mean(0)), dat_number(c.mean(1)));
      if (!std::isnan(c.mean(0))) ++points;
      if (panel == 0 || key.second != fixed_depth)
        note_missing(notes, fmt::format("channels {} depth {}", key.first, key.second), c);
    }
    dat += "\n\n";
  }
  s.blocks.push_back(table_block(t));
  if (!is_taxibj(rows)) s.blocks.push_back(text_block(kSyntheticCaveat));
  add_missing_footnotes(s, notes, sweep, item, o.db_label);
  out.csv = csv;
  out.dat = dat;
  if (points > 0) {
    out.gp = gnuplot_script(
        item.id, "1200,450",
        fmt::format("set multiplot layout 1,2 title \"PLGF: width and depth\"\n"
                    "set grid\nset ytics nomirror\nset y2tics\nset ylabel \"test MSE\"\nset y2label \"test MAE\"\n"
                    "set key top right\nset offsets graph 0.05, graph 0.05, 0, 0\n"
                    "set title \"channels (depth {0})\"\nset xlabel \"channels\"\n"
                    "plot \"fig6.dat\" index 0 using 1:2 with linespoints pt 7 lc rgb \"#4477aa\" axes x1y1 title \"MSE\", "
                    "\"\" index 0 using 1:3 with linespoints pt 5 lc rgb \"#cc3311\" axes x1y2 title \"MAE\"\n"
                    "set title \"depth ({1} channels)\"\nset xlabel \"dense layers per block (depth)\"\n"
                    "plot \"fig6.dat\" index 1 using 1:2 with linespoints pt 7 lc rgb \"#4477aa\" axes x1y1 title \"MSE\", "
                    "\"\" index 1 using 1:3 with linespoints pt 5 lc rgb \"#cc3311\" axes x1y2 title \"MAE\"\n"
                    "unset multiplot\n",
                    fixed_depth, fixed_width));
    s.blocks.push_back(Block{Block::Image, item.id, {}});
  } else {
    s.footnotes.push_back("No configuration has a measured MSE: the figure is not drawn.");
  }
  return out;
}

// ---------------------------------------------------------------- files and gnuplot

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  FUFI_CHECK(f.good(), InputError, "{}: cannot write", path.string());
  f << text;
  f.close();
  FUFI_CHECK(f.good(), RuntimeError, "{}: write failed", path.string());
}

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0 && !fs::is_directory(path); }

// The gnuplot program: the option, else $FUFI_GNUPLOT, else `gnuplot` on PATH. "" when none.
std::string find_gnuplot(const std::string& option) {
  if (!option.empty()) return executable(option) ? option : "";
  if (const char* env = std::getenv("FUFI_GNUPLOT"); env && *env) return executable(env) ? env : "";
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/gnuplot";
    if (executable(candidate)) return candidate;
  }
  return "";
}

// Runs `gnuplot SCRIPT` in `dir` without a shell (no word of user data is ever parsed by one); its
// messages go to a log that is read back and removed. RuntimeError naming the script when it fails.
void run_gnuplot(const std::string& program, const fs::path& dir, const std::string& script) {
  const fs::path log = dir / ".gnuplot.log";
  const pid_t pid = ::fork();
  FUFI_CHECK(pid >= 0, RuntimeError, "cannot start {}: fork failed", program);
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    const char* argv[] = {program.c_str(), script.c_str(), nullptr};
    ::execv(program.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  std::error_code ec;
  fs::remove(log, ec);
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  FUFI_CHECK(ok, RuntimeError, "{}: gnuplot ({}) failed{}: {}", (dir / script).string(), program,
             WIFEXITED(status) ? fmt::format(" with status {}", WEXITSTATUS(status)) : std::string(" (signal)"),
             trim(text.str()));
}

void check_database(Database& db) {
  const int version = db.user_version();
  FUFI_CHECK(version > 0, InputError, "{}: not a fufi results database (no schema version)", db.path());
  FUFI_CHECK(version <= schema_version(), InputError,
             "{}: the database has schema version {}, newer than this fufi's {}; use a newer fufi", db.path(), version,
             schema_version());
}

std::string html_page(const std::string& db_label, const std::vector<Section>& sections) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>fufi report</title>\n<style>\n"
      "body { font-family: sans-serif; max-width: 1400px; margin: 1em auto; padding: 0 1em; }\n"
      "table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }\n"
      "caption { text-align: left; font-weight: bold; padding: 0.3em 0; }\n"
      "th, td { padding: 0.15em 0.6em; border-bottom: 1px solid #ddd; }\n"
      "th { border-bottom: 2px solid #444; }\n td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
      "tr.rule td { border-top: 2px solid #444; }\n img { max-width: 100%; }\n p.files { font-size: 0.85em; }\n"
      "</style>\n</head>\n<body>\n<h1>fufi report</h1>\n<p>Database: <code>" +
      report::html_escape(db_label) + "</code>. Tables and figures of the PLGF paper, measured numbers beside the paper's.</p>\n<ul>\n";
  for (const auto& s : sections)
    out += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", report::html_escape(s.id), report::html_escape(s.title));
  out += "</ul>\n";
  for (const auto& s : sections) out += to_html_body(s);
  return out + "</body>\n</html>\n";
}

}  // namespace

ReportResult write_report(const ReportOptions& options) {
  ReportOptions o = options;
  if (o.db_label.empty()) o.db_label = o.db_path;
  FUFI_CHECK(!o.out_dir.empty(), UsageError, "--out: an output directory is required");
  std::vector<std::string> ids;
  for (const auto& item : report_items()) ids.push_back(item.id);
  for (const auto& id : o.only)
    FUFI_CHECK(std::find(ids.begin(), ids.end(), id) != ids.end(), UsageError, "--only: unknown name '{}'{}; valid: {}", id,
               did_you_mean(id, ids), join(ids, ", "));
  for (const auto& [id, sweep] : o.sweeps)
    FUFI_CHECK(std::find(ids.begin(), ids.end(), id) != ids.end(), UsageError, "--sweep: unknown item '{}'{}; valid: {}",
               id, did_you_mean(id, ids), join(ids, ", "));
  const std::vector<std::string> formats{"md", "tex", "csv"};
  for (const auto& f : o.formats)
    FUFI_CHECK(std::find(formats.begin(), formats.end(), f) != formats.end(), UsageError,
               "--format: unknown name '{}'{}; valid: {}", f, did_you_mean(f, formats), join(formats, ", "));
  auto wants = [&](const std::string& f) { return std::find(o.formats.begin(), o.formats.end(), f) != o.formats.end(); };

  Database db(o.db_path, Database::Mode::ReadOnly);
  check_database(db);

  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  FUFI_CHECK(!ec && fs::is_directory(o.out_dir), InputError, "--out {}: cannot create the directory: {}", o.out_dir,
             ec ? ec.message() : "not a directory");
  const fs::path dir(o.out_dir);

  ReportResult result;
  std::string gnuplot;
  bool looked_for_gnuplot = false;
  std::vector<Section> sections;
  for (const auto& item : report_items()) {
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), item.id) == o.only.end()) continue;
    const std::string sweep_name = o.sweeps.count(item.id) ? o.sweeps.at(item.id) : item.sweep;
    const SweepJobs sweep = load_sweep(db, sweep_name);
    ItemOutput out = item.id == "table1"   ? table1(item, sweep, o)
                     : item.id == "table2" ? table2(item, sweep, o)
                     : item.id == "fig4"   ? fig4(item, sweep, o)
                     : item.id == "fig5"   ? plugin_figure(item, sweep, o, false)
                     : item.id == "fig6"   ? fig6(item, sweep, o)
                                           : plugin_figure(item, sweep, o, true);
    Section& s = out.section;
    auto emit = [&](const std::string& name, const std::string& text) {
      write_text(dir / name, text);
      result.files.push_back(name);
      s.links.push_back(name);
    };
    emit(item.id + ".md", to_markdown(s, 1));
    if (wants("tex")) emit(item.id + ".tex", to_latex(s));
    if (wants("csv")) emit(item.id + ".csv", out.csv);
    if (item.figure) {
      emit(item.id + ".dat", out.dat);
      if (!out.gp.empty()) {
        emit(item.id + ".gp", out.gp);
        if (o.draw) {
          if (!looked_for_gnuplot) {
            gnuplot = find_gnuplot(o.gnuplot);
            looked_for_gnuplot = true;
            if (gnuplot.empty())
              result.warnings.push_back("gnuplot not found (PATH, $FUFI_GNUPLOT): figures skipped; their .dat and .gp "
                                        "files are written (run `gnuplot ITEM.gp` in the output directory)");
          }
          if (!gnuplot.empty()) {
            for (const char* ext : {".png", ".svg"}) fs::remove(dir / (item.id + ext), ec);
            run_gnuplot(gnuplot, dir, item.id + ".gp");
            for (const char* ext : {".png", ".svg"}) {
              const std::string name = item.id + ext;
              FUFI_CHECK(fs::exists(dir / name), RuntimeError, "{}: gnuplot did not write {}", (dir / (item.id + ".gp")).string(),
                         name);
              result.files.push_back(name);
              s.links.push_back(name);
            }
            ++result.figures_drawn;
          }
        }
      }
    }
    sections.push_back(std::move(s));
  }

  std::string index = "# fufi report\n\nDatabase: `" + o.db_label +
                      "`. The PLGF paper's tables and figures, measured numbers beside the paper's; see docs/REPORT.md. "
                      "Open `index.html` in a browser to see everything on one page.\n\n";
  for (const auto& s : sections) {
    std::vector<std::string> links;
    for (const auto& l : s.links) links.push_back(fmt::format("[{}]({})", l, l));
    index += to_markdown(s, 2) + "Files: " + join(links, " · ") + "\n\n";
  }
  write_text(dir / "index.md", index);
  result.files.push_back("index.md");
  write_text(dir / "index.html", html_page(o.db_label, sections));
  result.files.push_back("index.html");
  return result;
}

}  // namespace fufi::results
