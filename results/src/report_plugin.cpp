// Figures 5 and 7: DualFocal as a plug-in loss. Every model is trained with its own loss (its published
// recipe's `loss` key) and with DualFocal; the figures show the change in each metric. Figure 5 (Task 2) sets
// the measured changes beside the ones the paper's text quotes; Figure 7 shows every task.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "fufi/core/strings.h"
#include "fufi/results/report_paper.h"
#include "fufi/results/report_stats.h"
#include "report_gnuplot.h"
#include "report_items.h"

namespace fufi::results::report {

namespace {

// With and without DualFocal, for one model and task.
struct PluginCell {
  CellStats own, dual;
  std::set<std::string> own_losses;
};

// A sweep's jobs by (model, task), and the per-model changes the figures plot.
struct PluginData {
  std::map<std::pair<std::string, std::string>, PluginCell> cells;  // (model, task)
  std::vector<std::string> models, tasks;
  std::map<std::pair<std::string, int>, std::vector<double>> changes;                  // (task, metric) -> per model
  std::map<std::pair<std::string, int>, std::vector<std::pair<double, double>>> bars;  // (task, metric) -> (own, dual)
};

// How Figure 5 and Figure 7 differ.
struct PluginFigure {
  const char* caption;
  bool paper_column;  // the paper's quoted change beside the measured one
  // The .dat file and the gnuplot body that plots it.
  void (*plot)(const PluginData& d, std::string& dat, std::string& body);
  std::string (*size)(const PluginData& d);
};

PluginData group_jobs(const SweepJobs& sweep) {
  PluginData d;
  std::set<std::string> models, tasks;
  for (const auto& j : sweep.jobs) {
    auto& c = d.cells[{j.model + j.distinct, j.task}];
    if (j.loss == "dualfocal") {
      c.dual.add(j);
    } else {
      c.own.add(j);
      c.own_losses.insert(j.loss);
    }
    models.insert(j.model + j.distinct);
    tasks.insert(j.task);
  }
  d.models.assign(models.begin(), models.end());
  sort_models(d.models);
  d.tasks.assign(tasks.begin(), tasks.end());
  return d;
}

// The paper's change for this model, or the bound its text gives for every model ("up to ...").
std::pair<std::optional<double>, std::string> paper_change(const std::string& model, const std::string& task, int k) {
  const std::string metric = kMetrics[static_cast<std::size_t>(k)] + "_change_pct";
  const auto paper = paper_value("fig5", model, task, "", metric);
  if (paper) return {paper, fmt_pct(*paper)};
  const auto bound = paper_value("fig5", "any", task, "", metric);
  return {paper, bound ? fmt::format("up to {}", fmt_pct(*bound)) : "—"};
}

// The table, the CSV and the missing notes; fills d.changes and d.bars.
void add_plugin_table(ItemOutput& out, PluginData& d, const PluginFigure& fig, const ReportOptions& o,
                      const std::vector<std::string>& prov, MissingNotes& notes) {
  DocTable t;
  t.caption = fig.caption;
  t.header = {"Model", "Task", "Metric", "own loss", "DualFocal", "change %"};
  t.right = {false, false, false, true, true, true};
  if (fig.paper_column) {
    t.header.push_back("paper change %");
    t.right.push_back(true);
  }
  out.csv = csv_line({"model", "task", "metric", "own_loss", "n_own", "own_mean", "own_std", "n_dualfocal",
                      "dualfocal_mean", "dualfocal_std", "change_pct", "p_welch", "paper_change_pct", "data", "device"});
  for (const auto& m : d.models)
    for (const auto& task : d.tasks) {
      const auto& c = d.cells[{m, task}];
      const std::string own_loss = c.own_losses.empty() ? "" : join({c.own_losses.begin(), c.own_losses.end()}, "/");
      for (int k = 0; k < 3; ++k) {
        const auto& metric = kMetrics[static_cast<std::size_t>(k)];
        const double own = c.own.mean(k), dual = c.dual.mean(k);
        const double change = relative_change_percent(dual, own);
        const auto w = welch_t_test(c.own.values(k), c.dual.values(k));
        const auto [paper, paper_text] = paper_change(base_key(m), task, k);
        std::vector<Cell> row{Cell{m}, Cell{task}, Cell{kMetricNames[static_cast<std::size_t>(k)]},
                              Cell{cell_text(c.own, k, o.with_std) + (own_loss.empty() ? "" : " (" + own_loss + ")")},
                              Cell{cell_text(c.dual, k, o.with_std)}, Cell{fmt_pct(change), 0, w.valid && w.p < kAlpha}};
        if (fig.paper_column) row.push_back(Cell{paper_text});
        t.rows.push_back(row);
        out.csv += csv_line({m, task, metric, own_loss, std::to_string(c.own.done()), fmt_csv(own), fmt_csv(c.own.std(k)),
                             std::to_string(c.dual.done()), fmt_csv(dual), fmt_csv(c.dual.std(k)), fmt_csv(change),
                             w.valid ? fmt_p(w.p) : "", paper ? fmt_csv(*paper) : "", prov[0], prov[1]});
        d.changes[{task, k}].push_back(change);
        d.bars[{task, k}].emplace_back(own, dual);
      }
      note_missing(notes, fmt::format("{} {} own loss", m, task), c.own);
      note_missing(notes, fmt::format("{} {} DualFocal", m, task), c.dual);
    }
  out.section.blocks.push_back(table_block(t));
}

const char* const kHistogramStyle =
    "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
    "set boxwidth 0.9\n";

// Figure 5: one block per (task, metric): model, own, DualFocal, the x label carrying the change.
void plot_fig5(const PluginData& d, std::string& dat, std::string& body) {
  dat = "# fufi report fig5: one block per metric (MSE, MAE, MAPE) and task; lines: model label, own loss, DualFocal\n";
  int index = 0;
  std::string plots;
  for (const auto& task : d.tasks)
    for (int k = 0; k < 3; ++k) {
      const auto& name = kMetricNames[static_cast<std::size_t>(k)];
      dat += fmt::format("# {} {}\n", task, name);
      const auto& bars = d.bars.at({task, k});
      const auto& changes = d.changes.at({task, k});
      for (std::size_t i = 0; i < d.models.size(); ++i)
        dat += fmt::format("{} {} {}\n", dat_string(fmt::format("{} {}%", d.models[i], fmt_pct(changes[i]))),
                           dat_number(bars[i].first), dat_number(bars[i].second));
      dat += "\n\n";
      plots += fmt::format("set title \"{} {}\"\nplot \"fig5.dat\" index {} using 2:xtic(1) title \"own loss\" lc rgb "
                           "\"#bbbbbb\", \"\" index {} using 3 title \"DualFocal\" lc rgb \"#cc3311\"\n",
                           name, task, index, index);
      ++index;
    }
  body = fmt::format("set multiplot layout {},3 title \"DualFocal as a plug-in loss (x labels: change in %)\"\n{}"
                     "set yrange [0:*]\nset key below horizontal\nset xtics rotate by -20\n{}unset multiplot\n",
                     std::max<std::size_t>(1, d.tasks.size()), kHistogramStyle, plots);
}

// Figure 7: one block per metric: one line per task, one column per model: the change in %.
void plot_fig7(const PluginData& d, std::string& dat, std::string& body) {
  dat = "# fufi report fig7: one block per metric (MSE, MAE, MAPE); lines: task, then the change in % of each model: " +
        join(d.models, " ") + "\n";
  std::string plots;
  for (int k = 0; k < 3; ++k) {
    const auto& name = kMetricNames[static_cast<std::size_t>(k)];
    dat += fmt::format("# {}\n", name);
    for (const auto& task : d.tasks) {
      dat += dat_string(task);
      for (double x : d.changes.at({task, k})) dat += " " + dat_number(x);
      dat += "\n";
    }
    dat += "\n\n";
    std::vector<std::string> series;
    for (std::size_t i = 0; i < d.models.size(); ++i)
      series.push_back(fmt::format("\"fig7.dat\" index {} using {}{} title \"{}\"", k, i + 2, i == 0 ? ":xtic(1)" : "",
                                   d.models[i]));
    plots += fmt::format("set title \"{}: change with DualFocal (%)\"\nplot {}\n", name, join(series, ", "));
  }
  body = std::string("set multiplot layout 1,3 title \"DualFocal as a plug-in loss on every task (negative: lower error)\"\n") +
         kHistogramStyle + "set key below horizontal\nset xzeroaxis\n" + plots + "unset multiplot\n";
}

const PluginFigure kFig5{"Measured beside the paper's quoted changes (§Generalizability text)", true, plot_fig5,
                         [](const PluginData& d) { return fmt::format("1500,{}", 450 * std::max<std::size_t>(1, d.tasks.size())); }};
const PluginFigure kFig7{"Measured: own loss vs. DualFocal, change in % (paper: figure only)", false, plot_fig7,
                         [](const PluginData&) { return std::string("1500,500"); }};

ItemOutput build_plugin(const ReportItem& item, const SweepJobs& input, const ReportOptions& o, const PluginFigure& fig) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, input, prov);
  Section& s = out.section;
  // A model's cells are its own loss and DualFocal, per task; several configurations of one get a row each, except
  // for the loss the figure compares (two own losses of one model stay one cell, which then refuses to average).
  SweepJobs sweep = input;
  split_configurations(
      sweep, [](const JobRow& j) { return j.model + "\n" + j.task + (j.loss == "dualfocal" ? "\ndual" : "\nown"); },
      [](const JobRow& j) { return j.model; }, {"loss"});
  PluginData d = group_jobs(sweep);
  MissingNotes notes;
  add_plugin_table(out, d, fig, o, prov, notes);
  s.blocks.push_back(text_block("change % = (DualFocal − own loss) / own loss (negative: DualFocal lowers the error). "
                                "†: Welch's t-test over seeds, own loss vs. DualFocal, p < 0.05. The own loss is the "
                                "model's published recipe (its `loss` key)."));
  close_item(s, notes, sweep, item, o);
  bool any = false;
  for (const auto& [key, v] : d.changes)
    for (double x : v) any = any || !std::isnan(x);
  std::string body;
  fig.plot(d, out.dat, body);
  if (any) {
    out.gp = gnuplot_script(item.id, fig.size(d), body);
    s.blocks.push_back(Block{Block::Image, item.id, {}});
  } else {
    s.footnotes.push_back("No model has both losses measured: the figure is not drawn.");
  }
  return out;
}

}  // namespace

ItemOutput build_fig5(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  return build_plugin(item, sweep, o, kFig5);
}

ItemOutput build_fig7(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  return build_plugin(item, sweep, o, kFig7);
}

}  // namespace fufi::results::report
