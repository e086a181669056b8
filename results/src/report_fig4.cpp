// Figure 4: efficiency. One bubble per model: training time per epoch (x), test MAE (y), parameters (area).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "fufi/core/strings.h"
#include "fufi/results/report_paper.h"
#include "fufi/results/report_stats.h"
#include "report_gnuplot.h"
#include "report_items.h"

namespace fufi::results::report {

namespace {

const char* const kFig4Plot =
    "set title \"Efficiency: MAE vs. training time per epoch (bubble area = parameters)\"\n"
    "set xlabel \"training time per epoch (s)\"\n"
    "set ylabel \"test MAE\"\n"
    "set key off\n"
    "set grid\n"
    "set offsets graph 0.1, graph 0.1, graph 0.1, graph 0.1\n"
    "plot \"fig4.dat\" using 3:4:5 with points pt 7 ps variable lc rgb \"#4477aa\", \\\n"
    "     \"fig4.dat\" using 3:4:(sprintf(\"%s (%.3gM)\", stringcolumn(1), $2)) with labels "
    "offset char 0,1.5 notitle\n";

DocTable fig4_frame() {
  DocTable t;
  t.caption = "Measured beside the paper (paper: §Efficiency text and Table 1 Task 1; other values: figure only)";
  t.header = {"Model", "Params (M)", "s/epoch", "MAE", "n", "paper Params (M)", "paper s/epoch", "paper MAE"};
  t.right = {false, true, true, true, true, true, true, true};
  return t;
}

// What Figure 4 shows of one model, measured and from the paper.
struct ModelPoint {
  double params, secs, mae;
  std::optional<double> paper_params, paper_secs, paper_mae;
};

ModelPoint point_of(const std::string& model, const CellStats& c) {
  return {mean_of(c.of(&JobRow::parameters)), mean_of(c.of(&JobRow::epoch_seconds)), c.mean(1),
          paper_value("fig4", model, "P1", "", "params_m"), paper_value("fig4", model, "P1", "", "epoch_seconds"),
          paper_value("table1", model, "P1", "", "mae")};
}

}  // namespace

ItemOutput build_fig4(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, sweep, prov);
  Section& s = out.section;
  std::map<std::string, CellStats> cells;
  std::set<std::string> tasks;
  for (const auto& j : sweep.jobs) {
    cells[j.model].add(j);
    tasks.insert(j.task);
  }
  std::vector<std::string> models;
  for (const auto& [m, c] : cells) models.push_back(m);
  sort_models(models);
  if (tasks.size() > 1) s.footnotes.push_back("The sweep has several tasks (" + join({tasks.begin(), tasks.end()}, ", ") +
                                              "): each model's numbers average over all of them.");

  DocTable t = fig4_frame();
  out.csv = csv_line({"model", "n", "jobs", "parameters", "epoch_seconds", "mae_mean", "mae_std", "paper_params_m",
                      "paper_epoch_seconds", "paper_mae", "data", "device"});
  out.dat = "# fufi report fig4: one line per model: label, parameters (M), seconds per epoch (mean over seeds),\n"
            "# test MAE (mean over seeds), point size (bubble area proportional to parameters)\n";
  double max_params = 0;
  for (const auto& m : models) max_params = std::max(max_params, mean_of(cells[m].of(&JobRow::parameters)));
  MissingNotes notes;
  int points = 0;
  for (const auto& m : models) {
    const auto& c = cells[m];
    const ModelPoint p = point_of(m, c);
    t.rows.push_back({Cell{m}, Cell{fmt_params_m(p.params)}, Cell{fmt_seconds(p.secs)}, Cell{cell_text(c, 1, o.with_std)},
                      Cell{std::to_string(c.done())}, Cell{p.paper_params ? fmt::format("{:.2f}", *p.paper_params) : "—"},
                      Cell{p.paper_secs ? fmt::format("{:.2f}", *p.paper_secs) : "—"},
                      Cell{p.paper_mae ? fmt_metric(*p.paper_mae) : "—"}});
    out.csv += csv_line({m, std::to_string(c.done()), std::to_string(c.jobs.size()), fmt_csv(p.params), fmt_csv(p.secs),
                         fmt_csv(p.mae), fmt_csv(c.std(1)), p.paper_params ? fmt_csv(*p.paper_params) : "",
                         p.paper_secs ? fmt_csv(*p.paper_secs) : "", p.paper_mae ? fmt_csv(*p.paper_mae) : "", prov[0],
                         prov[1]});
    note_missing(notes, m, c);
    if (std::isnan(p.secs) || std::isnan(p.mae)) continue;
    // Point size ∝ sqrt(parameters): the bubble's area is proportional to the parameter count.
    const double size =
        max_params > 0 && !std::isnan(p.params) ? std::max(0.6, 6.0 * std::sqrt(p.params / max_params)) : 0.6;
    out.dat += fmt::format("{} {} {} {} {}\n", dat_string(m), dat_number(std::isnan(p.params) ? 0 : p.params / 1e6),
                           dat_number(p.secs), dat_number(p.mae), dat_number(size));
    ++points;
  }
  s.blocks.push_back(table_block(t));
  s.blocks.push_back(text_block("Seconds per epoch depend on the device: compare measured rows with each other, and with "
                                "the paper's only as a ratio (PLGF 4.58 s vs. UNO 22.29 s on an NVIDIA 4090)."));
  close_item(s, notes, sweep, item, o);
  if (points > 0) {
    out.gp = gnuplot_script(item.id, "900,600", kFig4Plot);
    s.blocks.push_back(Block{Block::Image, item.id, {}});
  } else {
    s.footnotes.push_back("No model has both a measured MAE and seconds per epoch: the figure is not drawn.");
  }
  return out;
}

}  // namespace fufi::results::report
