#pragma once
// The rows x (task, metric) grid behind Tables 1 and 2 (private to fufi_results): measured means over seeds
// with ranks and Welch marks, the paper's table beside it, measured vs. paper, and the CSV. Trained rows are
// compared and ranked; naive rows (report_naive.h) follow below a rule as references, are not ranked, and mark
// every trained cell they beat (‡).
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fufi/results/report.h"
#include "report_data.h"
#include "report_doc.h"

namespace fufi::results::report {

using PaperLookup = std::function<std::optional<double>(const std::string& row, const std::string& task,
                                                        const std::string& metric)>;
using PaperDelta = std::function<std::optional<double>(const std::string& task, const std::string& metric)>;

struct Grid {
  std::vector<std::pair<std::string, std::string>> rows;        // trained rows: key, label
  std::vector<std::pair<std::string, std::string>> naive_rows;  // naive references: key, label
  std::vector<std::string> tasks;
  std::map<std::pair<std::string, std::string>, CellStats> cells;  // (row key, task)
  std::string reference;                                           // row key the others are tested against
  PaperLookup paper;
};

const CellStats& cell_of(const Grid& g, const std::string& row, const std::string& task);

// Fills the cells: naive jobs under naive_key(job), the others under `row_of(job)`. Sets g.naive_rows (sorted,
// labelled) and returns the trained row keys and the tasks seen.
std::pair<std::set<std::string>, std::set<std::string>> fill_cells(Grid& g, const SweepJobs& sweep,
                                                                   const std::function<std::string(const JobRow&)>& row_of);

// The naive rows below this trained row's mean in one column, best first.
std::vector<std::string> naive_beating(const Grid& g, const std::string& row, const std::string& task, int metric);

// The measured table: best bold, second underlined per column (trained rows); † where Welch's test of the row
// against the reference row gives p < 0.05; ‡ where a naive row is lower. `delta_row`: the paper's Δ% row
// (reference vs. the best other trained row); naive rows last.
DocTable measured_table(const Grid& g, bool with_std, bool delta_row, const std::string& label_header);
// The paper's table (trained rows; a Δ row when `paper_delta` is given) and (measured − paper) / paper in %.
DocTable paper_table(const Grid& g, const std::string& label_header, const PaperDelta& paper_delta);
DocTable versus_paper_table(const Grid& g, const std::string& label_header);
// One CSV row per (row, task, metric), naive rows included: everything the tables show, at full precision.
std::string grid_csv(const Grid& g, const std::string& row_column, const std::vector<std::string>& provenance);

// What Tables 1 and 2 share: the measured table, its note and the naive legend (when there are naive rows),
// the paper's table, measured vs. paper; the ‡ footnote.
void add_grid_tables(Section& s, const Grid& g, const ReportOptions& o, const std::string& label, const std::string& note,
                     const std::string& paper_caption, const PaperDelta& paper_delta);

std::string significance_note(const std::string& reference);

}  // namespace fufi::results::report
