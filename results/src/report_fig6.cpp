// Figure 6: PLGF's width (channels) and depth. Two panels: the widths at the most common depth, and the
// depths at the most common width (the paper: depth 4, 128 channels).
#include <cmath>
#include <cstdint>
#include <map>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "report_gnuplot.h"
#include "report_items.h"

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

std::string fig6_plot(std::int64_t fixed_depth, std::int64_t fixed_width) {
  return fmt::format(
      "set multiplot layout 1,2 title \"PLGF: width and depth\"\n"
      "set grid\nset ytics nomirror\nset y2tics\nset ylabel \"test MSE\"\nset y2label \"test MAE\"\n"
      "set key top right\nset offsets graph 0.05, graph 0.05, 0, 0\n"
      "set title \"channels (depth {0})\"\nset xlabel \"channels\"\n"
      "plot \"fig6.dat\" index 0 using 1:2 with linespoints pt 7 lc rgb \"#4477aa\" axes x1y1 title \"MSE\", "
      "\"\" index 0 using 1:3 with linespoints pt 5 lc rgb \"#cc3311\" axes x1y2 title \"MAE\"\n"
      "set title \"depth ({1} channels)\"\nset xlabel \"dense layers per block (depth)\"\n"
      "plot \"fig6.dat\" index 1 using 1:2 with linespoints pt 7 lc rgb \"#4477aa\" axes x1y1 title \"MSE\", "
      "\"\" index 1 using 1:3 with linespoints pt 5 lc rgb \"#cc3311\" axes x1y2 title \"MAE\"\n"
      "unset multiplot\n",
      fixed_depth, fixed_width);
}

DocTable fig6_frame() {
  DocTable t;
  t.caption = "Measured (paper: figure only, no numbers given)";
  t.header = {"Panel", "Channels", "Depth", "MSE", "MAE", "MAPE", "n"};
  t.right = {false, true, true, true, true, true, true};
  return t;
}

}  // namespace

ItemOutput build_fig6(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& o) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, sweep, prov);
  Section& s = out.section;
  std::map<WidthDepth, CellStats> cells;
  for (const auto& j : sweep.jobs) {
    std::int64_t ch = 0, depth = 0;
    if (!parse_int(j.channels, ch) || !parse_int(j.depth, depth)) continue;
    cells[{ch, depth}].add(j);
  }
  std::map<std::int64_t, int> widths_at_depth, depths_at_width;
  for (const auto& [key, c] : cells) {
    ++widths_at_depth[key.second];
    ++depths_at_width[key.first];
  }
  const std::int64_t fixed_depth = modal(widths_at_depth), fixed_width = modal(depths_at_width);

  DocTable t = fig6_frame();
  out.csv = csv_line({"panel", "channels", "depth", "n", "jobs", "mse_mean", "mse_std", "mae_mean", "mae_std",
                      "mape_mean", "mape_std", "data", "device"});
  out.dat = "# fufi report fig6: block 0: channels, MSE, MAE at depth " + std::to_string(fixed_depth) +
            "; block 1: depth, MSE, MAE at " + std::to_string(fixed_width) + " channels\n";
  MissingNotes notes;
  int points = 0;
  for (int panel = 0; panel < 2; ++panel) {
    const std::string name = panel == 0 ? "width" : "depth";
    for (const auto& [key, c] : cells) {
      if (panel == 0 ? key.second != fixed_depth : key.first != fixed_width) continue;
      t.rows.push_back({Cell{name}, Cell{std::to_string(key.first)}, Cell{std::to_string(key.second)},
                        Cell{cell_text(c, 0, o.with_std)}, Cell{cell_text(c, 1, o.with_std)}, Cell{cell_text(c, 2, o.with_std)},
                        Cell{std::to_string(c.done())}});
      out.csv += csv_line({name, std::to_string(key.first), std::to_string(key.second), std::to_string(c.done()),
                           std::to_string(c.jobs.size()), fmt_csv(c.mean(0)), fmt_csv(c.std(0)), fmt_csv(c.mean(1)),
                           fmt_csv(c.std(1)), fmt_csv(c.mean(2)), fmt_csv(c.std(2)), prov[0], prov[1]});
      out.dat += fmt::format("{} {} {}\n", panel == 0 ? key.first : key.second, dat_number(c.mean(0)), dat_number(c.mean(1)));
      if (!std::isnan(c.mean(0))) ++points;
      // The cell at the fixed depth and width is in both panels: note it once.
      if (panel == 0 || key.second != fixed_depth)
        note_missing(notes, fmt::format("channels {} depth {}", key.first, key.second), c);
    }
    out.dat += "\n\n";
  }
  s.blocks.push_back(table_block(t));
  close_item(s, notes, sweep, item, o);
  if (points > 0) {
    out.gp = gnuplot_script(item.id, "1200,450", fig6_plot(fixed_depth, fixed_width));
    s.blocks.push_back(Block{Block::Image, item.id, {}});
  } else {
    s.footnotes.push_back("No configuration has a measured MSE: the figure is not drawn.");
  }
  return out;
}

}  // namespace fufi::results::report
