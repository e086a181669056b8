#pragma once
// How the report writes numbers and notes (private to fufi_results): fixed number formats (so golden files
// can diff them), the data and device lines above every table, and the footnotes on missing or failed jobs
// with the command that runs them.
#include <string>
#include <vector>

#include "fufi/results/report.h"
#include "report_data.h"
#include "report_doc.h"

namespace fufi::results::report {

std::string fmt_metric(double x);     // "1.351", "7.787e-03"; "—" for NaN
std::string fmt_pct(double x);        // "+1.25"
std::string fmt_arrow(double x);      // the paper's Δ: "↓1.25" when the reference is lower (better)
std::string fmt_csv(double x);        // full precision; "" for NaN
std::string fmt_p(double p);          // a p-value; "" for NaN
std::string fmt_params_m(double x);   // parameters in millions
std::string fmt_seconds(double x);

// A table cell: the mean over seeds ("± std" with `with_std`), "*" when fewer seeds than jobs are done; "mixed"
// for a cell of several configurations (never averaged).
std::string cell_text(const CellStats& cell, int metric, bool with_std);

// One CSV line (fields escaped as RFC 4180).
std::string csv_line(const std::vector<std::string>& cells);

// A dataset identity (fufi/core/data_identity.h) in words, never to be mistaken for TaxiBJ when it is not.
std::string describe_data(const std::string& identity);

// "Data: ..." and "Device: ... Sweep `x`: n of m jobs done." of the rows a table shows.
std::vector<std::string> provenance_lines(const SweepJobs& sweep, const std::vector<const JobRow*>& rows);

// "fixture metrics" or "noop runner's zero metrics" when a done job among `rows` was completed by a runner that does
// not train (`--runner fixture|noop`, named by its device), else "": their numbers are not measurements.
std::string unmeasured_runner(const std::vector<const JobRow*>& rows);

// Said below every table whose data is not TaxiBJ.
extern const char* const kSyntheticCaveat;
bool is_taxibj(const std::vector<const JobRow*>& rows);

// What is missing or failed, gathered cell by cell.
struct MissingNotes {
  std::vector<std::string> lines;
  std::vector<std::string> mixed;  // cells of several configurations: what, how many, the keys that differ
  bool any_failed = false, any_missing = false;
};
// Notes the jobs of `cell` that are not done, and a cell of several configurations, under the name `what`.
void note_missing(MissingNotes& notes, const std::string& what, const CellStats& cell);
// The footnotes: the cells of several configurations (not averaged); the sweep is absent, or which jobs are
// missing, and the command that runs them.
void add_missing_footnotes(Section& s, const MissingNotes& notes, const SweepJobs& sweep, const ReportItem& item,
                           const std::string& db_label);

}  // namespace fufi::results::report
