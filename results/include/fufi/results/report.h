#pragma once
// `fufi report`: the paper's tables and figures regenerated from a results database, with the paper's own
// numbers beside the measured ones. Reads the DB read-only and never trains (docs/REPORT.md).
//
// Output (in ReportOptions::out_dir): per table item ITEM.md / ITEM.tex (booktabs) / ITEM.csv; per figure
// item also ITEM.dat (the plotted numbers) and ITEM.gp (a gnuplot script) and, when gnuplot is available,
// ITEM.png and ITEM.svg; index.md and index.html link and show everything; verdict.txt holds Table 1's verdict
// sentence. Every text file is a pure
// function of the DB's contents and the options (no timestamps, sorted rows, fixed number formats), so
// golden-file tests can diff them.
#include <map>
#include <string>
#include <vector>

namespace fufi::results {

struct ReportItem {
  std::string id;          // what --only takes: table1, table2, fig4, fig5, fig6, fig7, fidelity, claims
  std::string title;
  std::string sweep;       // the sweep whose jobs it reads, by default; "" for claims (it reads other items' sweeps)
  std::string sweep_file;  // the sweep file that fills it (named in "how to run the missing jobs")
  bool figure = false;
};
const std::vector<ReportItem>& report_items();

struct ReportOptions {
  std::string db_path;
  std::string db_label;  // how footnotes name the DB in commands; "" = db_path
  std::string out_dir;
  std::vector<std::string> only;                  // item ids; empty = every item
  std::vector<std::string> formats{"md", "tex", "csv"};  // table formats written (md is always written)
  bool with_std = false;                          // "mean ± std" in md/tex/html cells (CSV always has std)
  std::map<std::string, std::string> sweeps;      // item id -> sweep name, replacing the default
  bool draw = true;                               // run gnuplot for figures (else only .dat and .gp)
  std::string gnuplot;                            // program; "" = $FUFI_GNUPLOT, else `gnuplot` on PATH
};

struct ReportResult {
  std::vector<std::string> files;     // written, relative to out_dir, in writing order
  std::vector<std::string> warnings;  // e.g. gnuplot not found: figures skipped
  int figures_drawn = 0;
  // One sentence on Table 1's sweep (also in verdict.txt, index.md and Table 1): per metric the winner and
  // its margin over the best naive row with Welch's p, and where PLGF lost. "" without table1 or done jobs.
  std::string verdict;
};

// UsageError for bad options (naming --only/--format/--sweep and the bad value), InputError for a
// database that is missing or not fufi's, RuntimeError when gnuplot exists but fails.
ReportResult write_report(const ReportOptions& options);

// "table1,fig4" -> {"table1", "fig4"}, each checked against `allowed` (UsageError naming `option`,
// the bad word and the nearest allowed one). Empty words are dropped.
std::vector<std::string> parse_report_list(const std::string& text, const std::string& option,
                                           const std::vector<std::string>& allowed);

}  // namespace fufi::results
