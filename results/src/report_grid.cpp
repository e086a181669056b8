#include "report_grid.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "fufi/core/strings.h"
#include "fufi/results/report_stats.h"
#include "report_format.h"
#include "report_naive.h"

namespace fufi::results::report {

namespace {

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

// The paper's Δ row, measured: the reference against the best other trained row of each column.
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

// A measured cell: its text, rank, Welch mark against the reference, and the naive flag for trained rows.
Cell measured_cell(const Grid& g, const std::string& key, bool naive, const std::string& task, int m, int rank,
                   bool with_std) {
  const auto& cell = cell_of(g, key, task);
  Cell c{cell_text(cell, m, with_std), rank};
  if (key != g.reference) {
    const auto w = welch_t_test(cell_of(g, g.reference, task).values(m), cell.values(m));
    c.dagger = w.valid && w.p < kAlpha;
  }
  c.naive_beats = !naive && !naive_beating(g, key, task, m).empty();
  return c;
}

// "srcnn P1: MSE, MAE (by historical by_hour)" for every trained row a naive row beats.
std::vector<std::string> naive_flags(const Grid& g) {
  std::vector<std::string> lines;
  for (const auto& [key, label] : g.rows)
    for (const auto& task : g.tasks) {
      std::vector<BeatenMetric> beaten;
      for (int m = 0; m < 3; ++m) beaten.push_back({kMetricNames[static_cast<std::size_t>(m)], naive_beating(g, key, task, m)});
      const std::string what = beaten_metrics(beaten);
      if (!what.empty()) lines.push_back(fmt::format("{} {}: {}", label, task, what));
    }
  return lines;
}

}  // namespace

const CellStats& cell_of(const Grid& g, const std::string& row, const std::string& task) {
  static const CellStats empty;
  auto it = g.cells.find({row, task});
  return it == g.cells.end() ? empty : it->second;
}

std::pair<std::set<std::string>, std::set<std::string>> fill_cells(Grid& g, const SweepJobs& sweep,
                                                                   const std::function<std::string(const JobRow&)>& row_of) {
  std::set<std::string> rows, tasks, naive;
  for (const auto& j : sweep.jobs) {
    const bool is_ref = is_naive(j);
    const std::string row = is_ref ? naive_key(j) : row_of(j);
    (is_ref ? naive : rows).insert(row);
    tasks.insert(j.task);
    g.cells[{row, j.task}].add(j);
  }
  std::vector<std::string> keys(naive.begin(), naive.end());
  sort_naive_keys(keys);
  g.naive_rows.clear();
  for (const auto& k : keys) g.naive_rows.emplace_back(k, naive_label(k));
  return {rows, tasks};
}

std::vector<std::string> naive_beating(const Grid& g, const std::string& row, const std::string& task, int metric) {
  std::vector<NaiveMean> naive;
  for (const auto& [key, label] : g.naive_rows) naive.push_back({key, cell_of(g, key, task).mean(metric)});
  return naive_below(cell_of(g, row, task).mean(metric), naive);
}

DocTable measured_table(const Grid& g, bool with_std, bool delta_row, const std::string& label_header) {
  DocTable t = grid_table_frame(g, label_header, "");
  for (const auto& [key, label] : g.rows) t.rows.push_back({Cell{label}});
  std::vector<std::vector<Cell>> naive_rows;
  for (const auto& [key, label] : g.naive_rows) naive_rows.push_back({Cell{label}});
  for (const auto& task : g.tasks)
    for (int m = 0; m < 3; ++m) {
      const auto ranks = rank_best_two(column_means(g, task, m));
      for (std::size_t r = 0; r < g.rows.size(); ++r)
        t.rows[r].push_back(measured_cell(g, g.rows[r].first, false, task, m, ranks[r], with_std));
      for (std::size_t r = 0; r < g.naive_rows.size(); ++r)
        naive_rows[r].push_back(measured_cell(g, g.naive_rows[r].first, true, task, m, 0, with_std));
    }
  if (delta_row) {
    t.rule_before.push_back(t.rows.size());
    t.rows.push_back(measured_delta_row(g));
  }
  if (!naive_rows.empty()) t.rule_before.push_back(t.rows.size());
  for (auto& row : naive_rows) t.rows.push_back(std::move(row));
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

std::string grid_csv(const Grid& g, const std::string& row_column, const std::vector<std::string>& provenance) {
  std::string out = csv_line({row_column, "task", "metric", "n", "jobs", "mean", "std", "rank", "p_vs_" + g.reference,
                              "significant", "paper", "vs_paper_pct", "naive", "naive_below", "data", "device"});
  for (const auto& task : g.tasks)
    for (int m = 0; m < 3; ++m) {
      const auto& metric = kMetrics[static_cast<std::size_t>(m)];
      const auto ranks = rank_best_two(column_means(g, task, m));
      const auto reference = cell_of(g, g.reference, task).values(m);
      auto line = [&](const std::string& key, bool naive, int rank) {
        const auto& cell = cell_of(g, key, task);
        const double mean = cell.mean(m);
        const auto paper = naive ? std::nullopt : g.paper(key, task, metric);
        WelchResult w;
        if (key != g.reference) w = welch_t_test(reference, cell.values(m));
        out += csv_line({key, task, metric, std::to_string(cell.done()), std::to_string(cell.jobs.size()), fmt_csv(mean),
                         fmt_csv(cell.std(m)), rank ? std::to_string(rank) : "", w.valid ? fmt_p(w.p) : "",
                         w.valid ? (w.p < kAlpha ? "yes" : "no") : "", paper ? fmt_csv(*paper) : "",
                         fmt_csv(relative_change_percent(mean, paper ? *paper : kNaN)), naive ? "yes" : "no",
                         naive ? "" : join(naive_beating(g, key, task, m), ";"), provenance[0], provenance[1]});
      };
      for (std::size_t r = 0; r < g.rows.size(); ++r) line(g.rows[r].first, false, ranks[r]);
      for (const auto& [key, label] : g.naive_rows) line(key, true, 0);
    }
  return out;
}

std::string significance_note(const std::string& reference) {
  return fmt::format(
      "**bold**: best of the column; _italic_ (underlined in LaTeX/HTML): second. †: Welch's t-test over seeds of "
      "`{}` against this row, p < 0.05 (needs ≥ 2 seeds on both sides; CSV: `p_vs_{}`).",
      reference, reference);
}

void add_grid_tables(Section& s, const Grid& g, const ReportOptions& o, const std::string& label, const std::string& note,
                     const std::string& paper_caption, const PaperDelta& paper_delta) {
  DocTable measured = measured_table(g, o.with_std, static_cast<bool>(paper_delta), label);
  measured.caption = "Measured: mean over seeds";
  s.blocks.push_back(table_block(measured));
  s.blocks.push_back(text_block(note));
  if (!g.naive_rows.empty()) s.blocks.push_back(text_block(kNaiveLegend));
  DocTable paper = paper_table(g, label, paper_delta);
  paper.caption = paper_caption;
  s.blocks.push_back(table_block(paper));
  DocTable versus = versus_paper_table(g, label);
  versus.caption = "Measured vs. paper: (measured − paper) / paper";
  s.blocks.push_back(table_block(versus));
  const std::string flags = naive_flag_note(naive_flags(g));
  if (!flags.empty()) s.footnotes.push_back(flags);
}

}  // namespace fufi::results::report
