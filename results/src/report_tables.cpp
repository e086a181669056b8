// Tables 1 and 2: a rows x (task, metric) grid of measured means over seeds, the paper's table beside it, and
// measured vs. paper. Table 1's rows are models (reference: PLGF), Table 2's are ablation variants (reference:
// the full model).
#include <algorithm>
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "fufi/results/report_paper.h"
#include "fufi/results/report_stats.h"
#include "report_items.h"

namespace fufi::results::report {

namespace {

using PaperLookup = std::function<std::optional<double>(const std::string& row, const std::string& task,
                                                        const std::string& metric)>;
using PaperDelta = std::function<std::optional<double>(const std::string& task, const std::string& metric)>;

struct Grid {
  std::vector<std::pair<std::string, std::string>> rows;  // key, label
  std::vector<std::string> tasks;
  std::map<std::pair<std::string, std::string>, CellStats> cells;  // (row key, task)
  std::string reference;                                           // row key the others are tested against
  PaperLookup paper;
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

std::vector<double> column_means(const Grid& g, const std::string& task, int metric) {
  std::vector<double> means;
  for (const auto& row : g.rows) means.push_back(cell_of(g, row.first, task).mean(metric));
  return means;
}

// The paper's Δ row, measured: the reference against the best other row of each column.
std::vector<Cell> measured_delta_row(const Grid& g) {
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
  return row;
}

// The measured table: best bold, second underlined per column; † where Welch's test of the row against
// the reference row gives p < 0.05. `delta_row`: the paper's Δ% row (reference vs the best other row).
DocTable measured_table(const Grid& g, bool with_std, bool delta_row, const std::string& label_header) {
  DocTable t = grid_table_frame(g, label_header, "");
  for (const auto& [key, label] : g.rows) t.rows.push_back({Cell{label}});
  for (const auto& task : g.tasks) {
    for (int m = 0; m < 3; ++m) {
      const auto ranks = rank_best_two(column_means(g, task, m));
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
    t.rows.push_back(measured_delta_row(g));
  }
  return t;
}

DocTable paper_table(const Grid& g, const std::string& label_header, const PaperDelta& paper_delta) {
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
  if (paper_delta) {
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
std::string grid_csv(const Grid& g, const std::string& row_column, const std::vector<std::string>& provenance) {
  std::string out = csv_line({row_column, "task", "metric", "n", "jobs", "mean", "std", "rank", "p_vs_" + g.reference,
                              "significant", "paper", "vs_paper_pct", "data", "device"});
  for (const auto& task : g.tasks)
    for (int m = 0; m < 3; ++m) {
      const auto& metric = kMetrics[static_cast<std::size_t>(m)];
      const auto means = column_means(g, task, m);
      const auto ranks = rank_best_two(means);
      const auto reference = cell_of(g, g.reference, task).values(m);
      for (std::size_t r = 0; r < g.rows.size(); ++r) {
        const auto& key = g.rows[r].first;
        const auto& cell = cell_of(g, key, task);
        const auto paper = g.paper(key, task, metric);
        WelchResult w;
        if (key != g.reference) w = welch_t_test(reference, cell.values(m));
        out += csv_line({key, task, metric, std::to_string(cell.done()), std::to_string(cell.jobs.size()),
                         fmt_csv(means[r]), fmt_csv(cell.std(m)), ranks[r] ? std::to_string(ranks[r]) : "",
                         w.valid ? fmt_p(w.p) : "", w.valid ? (w.p < kAlpha ? "yes" : "no") : "",
                         paper ? fmt_csv(*paper) : "", fmt_csv(relative_change_percent(means[r], paper ? *paper : kNaN)),
                         provenance[0], provenance[1]});
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

// What Tables 1 and 2 share: the measured table and its note, the paper's table (with a Δ row when
// `paper_delta` is given), and measured vs. paper.
void add_grid_tables(Section& s, const Grid& g, const ReportOptions& o, const std::string& label, const std::string& note,
                     const std::string& paper_caption, const PaperDelta& paper_delta) {
  DocTable measured = measured_table(g, o.with_std, static_cast<bool>(paper_delta), label);
  measured.caption = "Measured: mean over seeds";
  s.blocks.push_back(table_block(measured));
  s.blocks.push_back(text_block(note));
  DocTable paper = paper_table(g, label, paper_delta);
  paper.caption = paper_caption;
  s.blocks.push_back(table_block(paper));
  DocTable versus = versus_paper_table(g, label);
  versus.caption = "Measured vs. paper: (measured − paper) / paper";
  s.blocks.push_back(table_block(versus));
}

// Cells of a grid whose rows are keyed by `row_of(job)`; returns the row keys and tasks seen.
std::pair<std::set<std::string>, std::set<std::string>> fill_cells(Grid& g, const SweepJobs& sweep,
                                                                   const std::function<std::string(const JobRow&)>& row_of) {
  std::set<std::string> rows, tasks;
  for (const auto& j : sweep.jobs) {
    const std::string row = row_of(j);
    rows.insert(row);
    tasks.insert(j.task);
    g.cells[{row, j.task}].add(j);
  }
  return {rows, tasks};
}

}  // namespace

ItemOutput build_table1(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, sweep, prov);
  Section& s = out.section;
  Grid g;
  g.reference = "plgf";
  const auto [models, tasks] = fill_cells(g, sweep, [](const JobRow& j) { return j.model; });
  std::vector<std::string> model_list(models.begin(), models.end());
  if (model_list.empty()) model_list = kPaperModels;
  sort_models(model_list);
  g.tasks = tasks.empty() ? kPaperTasks : std::vector<std::string>(tasks.begin(), tasks.end());
  for (const auto& m : model_list) g.rows.emplace_back(m, m);
  g.paper = [](const std::string& row, const std::string& task, const std::string& metric) {
    return paper_value("table1", row, task, "", metric);
  };
  add_grid_tables(s, g, o, "Model",
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
  close_item(s, notes, sweep, item, o);
  out.csv = grid_csv(g, "model", prov);
  return out;
}

ItemOutput build_table2(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, sweep, prov);
  Section& s = out.section;
  Grid g;
  g.reference = "full";
  const auto [variants, tasks] = fill_cells(g, sweep, [](const JobRow& j) { return j.variant.empty() ? "full" : j.variant; });
  for (const auto& [key, label] : kAblations)
    if (variants.empty() || variants.count(key)) g.rows.emplace_back(key, label);
  for (const auto& v : variants)
    if (std::none_of(kAblations.begin(), kAblations.end(), [&](const auto& a) { return a.first == v; }))
      g.rows.emplace_back(v, v);
  g.tasks = tasks.empty() ? std::vector<std::string>{"P1"} : std::vector<std::string>(tasks.begin(), tasks.end());
  g.paper = [](const std::string& row, const std::string& task, const std::string& metric) {
    return paper_value("table2", "plgf", task, row, metric);
  };
  add_grid_tables(s, g, o, "Method", significance_note("full"), "Paper (Table 2 as published: TaxiBJ Task 1)", nullptr);
  MissingNotes notes;
  for (const auto& [key, label] : g.rows)
    for (const auto& task : g.tasks) note_missing(notes, fmt::format("{} {}", key, task), cell_of(g, key, task));
  close_item(s, notes, sweep, item, o);
  out.csv = grid_csv(g, "variant", prov);
  return out;
}

}  // namespace fufi::results::report
