// Figure 4: efficiency. One bubble per model: training time per epoch (x), test MAE (y), parameters (area); the
// sweep's naive references as points at zero parameters (nothing to train: zero seconds when none was measured).
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
#include "report_naive.h"

namespace fufi::results::report {

namespace {

// Block 0 of fig4.dat: trained models (bubbles); block 1: naive references (open squares at zero parameters).
std::string fig4_plot(bool trained, bool naive) {
  std::vector<std::string> series;
  if (trained)
    series.push_back("\"fig4.dat\" index 0 using 3:4:5 with points pt 7 ps variable lc rgb \"#4477aa\" title "
                     "\"trained (bubble area = parameters)\"");
  if (naive)
    series.push_back("\"fig4.dat\" index 1 using 3:4 with points pt 4 ps 2 lc rgb \"#cc3311\" title "
                     "\"naive (no parameters)\"");
  if (trained)
    series.push_back("\"fig4.dat\" index 0 using 3:4:(sprintf(\"%s (%.3gM)\", stringcolumn(1), $2)) with labels "
                     "offset char 0,1.5 notitle");
  if (naive) series.push_back("\"fig4.dat\" index 1 using 3:4:1 with labels offset char 0,-1.5 notitle");
  return "set title \"Efficiency: MAE vs. training time per epoch (bubble area = parameters)\"\n"
         "set xlabel \"training time per epoch (s)\"\n"
         "set ylabel \"test MAE\"\n"
         "set key top right\n"
         "set grid\n"
         "set offsets graph 0.1, graph 0.1, graph 0.1, graph 0.1\n"
         "plot " + join(series, ", \\\n     ") + "\n";
}

DocTable fig4_frame() {
  DocTable t;
  t.caption = "Measured beside the paper (paper: §Efficiency text and Table 1 Task 1; other values: figure only)";
  t.header = {"Model", "Params (M)", "s/epoch", "MAE", "n", "paper Params (M)", "paper s/epoch", "paper MAE"};
  t.right = {false, true, true, true, true, true, true, true};
  return t;
}

// What Figure 4 shows of one row, measured and from the paper.
struct ModelPoint {
  double params, secs, mae;
  std::optional<double> paper_params, paper_secs, paper_mae;
};

ModelPoint point_of(const std::string& model, const CellStats& c, bool naive) {
  if (naive) {
    const double secs = mean_of(c.of(&JobRow::epoch_seconds));
    return {0, std::isnan(secs) ? 0 : secs, c.mean(1), std::nullopt, std::nullopt, std::nullopt};
  }
  ModelPoint p{mean_of(c.of(&JobRow::parameters)), mean_of(c.of(&JobRow::epoch_seconds)), c.mean(1),
               std::nullopt, std::nullopt, std::nullopt};
  // The paper's point is one configuration per model (Task 1, its size): beside a row split by configuration
  // ("plgf [task=P2]") it would compare different things.
  if (base_key(model) != model) return p;
  p.paper_params = paper_value("fig4", model, "P1", "", "params_m");
  p.paper_secs = paper_value("fig4", model, "P1", "", "epoch_seconds");
  p.paper_mae = paper_value("table1", model, "P1", "", "mae");
  return p;
}

std::string opt_text(const std::optional<double>& v, bool metric) {
  return v ? (metric ? fmt_metric(*v) : fmt::format("{:.2f}", *v)) : "—";
}

// The rows of one kind (trained or naive): table, CSV, .dat block; naive MAEs below a trained one flag it.
struct Fig4Rows {
  std::map<std::string, CellStats> trained, naive;
  std::vector<std::string> trained_keys, naive_keys;
  double max_params = 0;
  std::vector<std::string> beaten;  // "srcnn (by historical)"
  int trained_points = 0, naive_points = 0;
};

void add_fig4_row(ItemOutput& out, DocTable& t, Fig4Rows& f, const std::string& key, bool naive,
                  const std::vector<std::string>& prov, const ReportOptions& o) {
  const auto& c = naive ? f.naive.at(key) : f.trained.at(key);
  const ModelPoint p = point_of(key, c, naive);
  Cell mae{cell_text(c, 1, o.with_std)};
  if (!naive) {
    std::vector<NaiveMean> refs;
    for (const auto& k : f.naive_keys) refs.push_back({k, f.naive.at(k).mean(1)});
    const auto below = naive_below(p.mae, refs);
    mae.naive_beats = !below.empty();
    if (!below.empty()) f.beaten.push_back(fmt::format("{} MAE (by {})", key, join(below, ", ")));
  }
  t.rows.push_back({Cell{naive ? naive_label(key) : key}, Cell{fmt_params_m(p.params)}, Cell{fmt_seconds(p.secs)}, mae,
                    Cell{std::to_string(c.done())}, Cell{opt_text(p.paper_params, false)},
                    Cell{opt_text(p.paper_secs, false)}, Cell{opt_text(p.paper_mae, true)}});
  out.csv += csv_line({key, naive ? "yes" : "no", std::to_string(c.done()), std::to_string(c.jobs.size()),
                       fmt_csv(p.params), fmt_csv(p.secs), fmt_csv(p.mae), fmt_csv(c.std(1)),
                       p.paper_params ? fmt_csv(*p.paper_params) : "", p.paper_secs ? fmt_csv(*p.paper_secs) : "",
                       p.paper_mae ? fmt_csv(*p.paper_mae) : "", prov[0], prov[1]});
  if (std::isnan(p.secs) || std::isnan(p.mae)) return;
  // Point size ∝ sqrt(parameters): the bubble's area is proportional to the parameter count.
  const double size =
      f.max_params > 0 && !std::isnan(p.params) ? std::max(0.6, 6.0 * std::sqrt(p.params / f.max_params)) : 0.6;
  out.dat += fmt::format("{} {} {} {} {}\n", dat_string(naive ? naive_label(key) : key),
                         dat_number(std::isnan(p.params) ? 0 : p.params / 1e6), dat_number(p.secs), dat_number(p.mae),
                         dat_number(size));
  ++(naive ? f.naive_points : f.trained_points);
}

Fig4Rows group_fig4(const SweepJobs& sweep) {
  Fig4Rows f;
  for (const auto& j : sweep.jobs) (is_naive(j) ? f.naive[naive_key(j)] : f.trained[j.model + j.distinct]).add(j);
  for (const auto& [m, c] : f.trained) {
    f.trained_keys.push_back(m);
    f.max_params = std::max(f.max_params, mean_of(c.of(&JobRow::parameters)));
  }
  for (const auto& [k, c] : f.naive) f.naive_keys.push_back(k);
  sort_models(f.trained_keys);
  sort_naive_keys(f.naive_keys);
  return f;
}

}  // namespace

ItemOutput build_fig4(const ReportItem& item, const SweepJobs& input, const ReportOptions& o) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, input, prov);
  Section& s = out.section;
  // One point per model; a model with several configurations (tasks, sizes, variants) gets one point for each.
  const SweepJobs sweep = split_rows(input, [](const JobRow& j) { return naive_or(j, j.model); }, false);
  Fig4Rows f = group_fig4(sweep);
  DocTable t = fig4_frame();
  out.csv = csv_line({"model", "naive", "n", "jobs", "parameters", "epoch_seconds", "mae_mean", "mae_std",
                      "paper_params_m", "paper_epoch_seconds", "paper_mae", "data", "device"});
  out.dat = "# fufi report fig4: block 0: trained models, block 1: naive references; one line per row: label, parameters\n"
            "# (M), seconds per epoch (mean over seeds), test MAE (mean over seeds), point size (area ∝ parameters)\n";
  MissingNotes notes;
  for (const auto& m : f.trained_keys) {
    add_fig4_row(out, t, f, m, false, prov, o);
    note_missing(notes, m, f.trained.at(m));
  }
  out.dat += "\n\n";
  if (!f.naive_keys.empty()) t.rule_before.push_back(t.rows.size());
  for (const auto& k : f.naive_keys) {
    add_fig4_row(out, t, f, k, true, prov, o);
    note_missing(notes, k, f.naive.at(k));
  }
  s.blocks.push_back(table_block(t));
  s.blocks.push_back(text_block("Seconds per epoch depend on the device: compare measured rows with each other, and with "
                                "the paper's only as a ratio (PLGF 4.58 s vs. UNO 22.29 s on an NVIDIA 4090)."));
  if (!f.naive_keys.empty()) s.blocks.push_back(text_block(kNaiveLegend));
  const std::string flags = naive_flag_note(f.beaten);
  if (!flags.empty()) s.footnotes.push_back(flags);
  close_item(s, notes, sweep, item, o);
  if (f.trained_points + f.naive_points > 0) {
    out.gp = gnuplot_script(item.id, "900,600", fig4_plot(f.trained_points > 0, f.naive_points > 0));
    s.blocks.push_back(Block{Block::Image, item.id, {}});
  } else {
    s.footnotes.push_back("No model has both a measured MAE and seconds per epoch: the figure is not drawn.");
  }
  return out;
}

}  // namespace fufi::results::report
