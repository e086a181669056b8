// Figure 6: PLGF's width (channels) and depth. Two panels: the widths at the most common depth, and the
// depths at the most common width (the paper: depth 4, 128 channels); the sweep's naive references as
// reference lines (and rows below the table).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "fufi/core/strings.h"
#include "report_gnuplot.h"
#include "report_items.h"
#include "report_naive.h"

namespace fufi::results::report {

namespace {

using WidthDepth = std::pair<std::int64_t, std::int64_t>;  // (channels, depth)

// The value with the highest count; ties: the smaller value.
std::int64_t modal(const std::map<std::int64_t, int>& counts) {
  std::int64_t best = 0;
  int n = -1;
  for (const auto& [v, k] : counts)
    if (k > n) {
      best = v;
      n = k;
    }
  return best;
}

// One panel's reference lines: each naive row's MSE (dashed, left axis) and MAE (dotted, right axis).
std::string reference_lines(const std::vector<std::pair<std::string, const CellStats*>>& naive) {
  static const char* const kColours[] = {"#555555", "#999933", "#aa4499", "#117733"};
  std::string out;
  for (std::size_t i = 0; i < naive.size(); ++i) {
    const char* colour = kColours[i % 4];
    for (int m = 0; m < 2; ++m) {
      const double v = naive[i].second->mean(m);
      if (std::isnan(v)) continue;
      out += fmt::format(", {} axes x1y{} with lines dt {} lc rgb \"{}\" title \"{} {}\"", dat_number(v), m + 1,
                         m == 0 ? 2 : 3, colour, naive_label(naive[i].first), kMetricNames[static_cast<std::size_t>(m)]);
    }
  }
  return out;
}

std::string fig6_plot(std::int64_t fixed_depth, std::int64_t fixed_width, const std::string& references) {
  return fmt::format(
      "set multiplot layout 1,2 title \"PLGF: width and depth\"\n"
      "set grid\nset ytics nomirror\nset y2tics\nset ylabel \"test MSE\"\nset y2label \"test MAE\"\n"
      "set key top right\nset offsets graph 0.05, graph 0.05, 0, 0\n"
      "set title \"channels (depth {0})\"\nset xlabel \"channels\"\n"
      "plot \"fig6.dat\" index 0 using 1:2 with linespoints pt 7 lc rgb \"#4477aa\" axes x1y1 title \"MSE\", "
      "\"\" index 0 using 1:3 with linespoints pt 5 lc rgb \"#cc3311\" axes x1y2 title \"MAE\"{2}\n"
      "set title \"depth ({1} channels)\"\nset xlabel \"dense layers per block (depth)\"\n"
      "plot \"fig6.dat\" index 1 using 1:2 with linespoints pt 7 lc rgb \"#4477aa\" axes x1y1 title \"MSE\", "
      "\"\" index 1 using 1:3 with linespoints pt 5 lc rgb \"#cc3311\" axes x1y2 title \"MAE\"{2}\n"
      "unset multiplot\n",
      fixed_depth, fixed_width, references);
}

DocTable fig6_frame() {
  DocTable t;
  t.caption = "Measured (paper: figure only, no numbers given)";
  t.header = {"Panel", "Channels", "Depth", "MSE", "MAE", "MAPE", "n"};
  t.right = {false, true, true, true, true, true, true};
  return t;
}

// The sweep's PLGF configurations by (channels, depth), its naive references by row, the panels' fixed values.
struct Fig6Data {
  std::map<WidthDepth, CellStats> cells;
  std::map<std::string, CellStats> naive;
  std::vector<std::string> naive_keys;
  std::int64_t fixed_depth = 0, fixed_width = 0;
  std::vector<std::string> beaten;  // "channels 64 depth 4: MSE, MAE (by historical by_hour)"
  std::set<std::string> others;     // trained models other than PLGF: not in this figure (never pooled with it)
};

Fig6Data group_fig6(const SweepJobs& sweep) {
  Fig6Data d;
  for (const auto& j : sweep.jobs) {
    if (is_naive(j)) {
      d.naive[naive_key(j)].add(j);
      continue;
    }
    if (j.model != "plgf") {
      d.others.insert(j.model);
      continue;
    }
    std::int64_t ch = 0, depth = 0;
    if (!parse_int(j.channels, ch) || !parse_int(j.depth, depth)) continue;
    d.cells[{ch, depth}].add(j);
  }
  for (const auto& [k, c] : d.naive) d.naive_keys.push_back(k);
  sort_naive_keys(d.naive_keys);
  std::map<std::int64_t, int> widths_at_depth, depths_at_width;
  for (const auto& [key, c] : d.cells) {
    ++widths_at_depth[key.second];
    ++depths_at_width[key.first];
  }
  d.fixed_depth = modal(widths_at_depth);
  d.fixed_width = modal(depths_at_width);
  return d;
}

// A configuration's metric cells, each flagged (‡) when a naive row's mean is lower; the flags are collected.
std::vector<Cell> metric_cells(Fig6Data& d, const WidthDepth& key, const CellStats& c, bool with_std, bool collect) {
  std::vector<Cell> cells;
  std::vector<BeatenMetric> beaten;
  for (int m = 0; m < 3; ++m) {
    std::vector<NaiveMean> refs;
    for (const auto& k : d.naive_keys) refs.push_back({k, d.naive.at(k).mean(m)});
    const auto below = naive_below(c.mean(m), refs);
    Cell cell{cell_text(c, m, with_std)};
    cell.naive_beats = !below.empty();
    cells.push_back(cell);
    beaten.push_back({kMetricNames[static_cast<std::size_t>(m)], below});
  }
  const std::string what = beaten_metrics(beaten);
  if (collect && !what.empty()) d.beaten.push_back(fmt::format("channels {} depth {}: {}", key.first, key.second, what));
  return cells;
}

std::string csv_row(const std::string& panel, const std::string& ch, const std::string& depth, const CellStats& c,
                    const std::vector<std::string>& prov) {
  return csv_line({panel, ch, depth, std::to_string(c.done()), std::to_string(c.jobs.size()), fmt_csv(c.mean(0)),
                   fmt_csv(c.std(0)), fmt_csv(c.mean(1)), fmt_csv(c.std(1)), fmt_csv(c.mean(2)), fmt_csv(c.std(2)),
                   prov[0], prov[1]});
}

// The naive rows: below the panels in the table, block 2 of the .dat, reference lines in the plot.
void add_naive_rows(ItemOutput& out, DocTable& t, const Fig6Data& d, const std::vector<std::string>& prov,
                    const ReportOptions& o, MissingNotes& notes) {
  if (d.naive_keys.empty()) return;
  t.rule_before.push_back(t.rows.size());
  out.dat += "# block 2: naive references (reference lines): label, MSE, MAE\n";
  for (const auto& k : d.naive_keys) {
    const auto& c = d.naive.at(k);
    t.rows.push_back({Cell{naive_label(k)}, Cell{"—"}, Cell{"—"}, Cell{cell_text(c, 0, o.with_std)},
                      Cell{cell_text(c, 1, o.with_std)}, Cell{cell_text(c, 2, o.with_std)}, Cell{std::to_string(c.done())}});
    out.csv += csv_row("naive " + k, "", "", c, prov);
    out.dat += fmt::format("{} {} {}\n", dat_string(naive_label(k)), dat_number(c.mean(0)), dat_number(c.mean(1)));
    note_missing(notes, k, c);
  }
  out.dat += "\n\n";
}

}  // namespace

ItemOutput build_fig6(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, sweep, prov);
  Section& s = out.section;
  Fig6Data d = group_fig6(sweep);
  DocTable t = fig6_frame();
  out.csv = csv_line({"panel", "channels", "depth", "n", "jobs", "mse_mean", "mse_std", "mae_mean", "mae_std",
                      "mape_mean", "mape_std", "data", "device"});
  out.dat = "# fufi report fig6: block 0: channels, MSE, MAE at depth " + std::to_string(d.fixed_depth) +
            "; block 1: depth, MSE, MAE at " + std::to_string(d.fixed_width) + " channels\n";
  MissingNotes notes;
  int points = 0;
  for (int panel = 0; panel < 2; ++panel) {
    const std::string name = panel == 0 ? "width" : "depth";
    for (const auto& [key, c] : d.cells) {
      if (panel == 0 ? key.second != d.fixed_depth : key.first != d.fixed_width) continue;
      // The cell at the fixed depth and width is in both panels: note it (and flag it) once.
      const bool first_time = panel == 0 || key.second != d.fixed_depth;
      std::vector<Cell> row{Cell{name}, Cell{std::to_string(key.first)}, Cell{std::to_string(key.second)}};
      for (auto& cell : metric_cells(d, key, c, o.with_std, first_time)) row.push_back(cell);
      row.push_back(Cell{std::to_string(c.done())});
      t.rows.push_back(row);
      out.csv += csv_row(name, std::to_string(key.first), std::to_string(key.second), c, prov);
      out.dat += fmt::format("{} {} {}\n", panel == 0 ? key.first : key.second, dat_number(c.mean(0)), dat_number(c.mean(1)));
      if (!std::isnan(c.mean(0))) ++points;
      if (first_time) note_missing(notes, fmt::format("channels {} depth {}", key.first, key.second), c);
    }
    out.dat += "\n\n";
  }
  add_naive_rows(out, t, d, prov, o, notes);
  if (!d.others.empty())
    s.footnotes.push_back(fmt::format("Figure 6 is PLGF's: the sweep's jobs of {} are not shown.",
                                      join({d.others.begin(), d.others.end()}, ", ")));
  s.blocks.push_back(table_block(t));
  if (!d.naive_keys.empty()) s.blocks.push_back(text_block(kNaiveLegend));
  const std::string flags = naive_flag_note(d.beaten);
  if (!flags.empty()) s.footnotes.push_back(flags);
  close_item(s, notes, sweep, item, o);
  if (points > 0) {
    std::vector<std::pair<std::string, const CellStats*>> naive;
    for (const auto& k : d.naive_keys) naive.emplace_back(k, &d.naive.at(k));
    out.gp = gnuplot_script(item.id, "1200,450", fig6_plot(d.fixed_depth, d.fixed_width, reference_lines(naive)));
    s.blocks.push_back(Block{Block::Image, item.id, {}});
  } else {
    s.footnotes.push_back("No configuration has a measured MSE: the figure is not drawn.");
  }
  return out;
}

}  // namespace fufi::results::report
