#pragma once
// The report's catalogue (private to fufi_results): every item with the function that builds it, and what
// the paper fixes about them (model order, tasks, ablation labels). An item is a ReportItem plus a builder
// given to the constructor, so an item without a builder does not compile, and write_report() calls exactly
// the builder of each item.
//
// Names owned elsewhere are data here: sweep names and files (sweeps/*.toml), model names (the model
// registry), variant names (sweeps/table2_ablation.toml), the `loss` value "dualfocal" (model/losses).
#include <string>
#include <utility>
#include <vector>

#include "fufi/results/report.h"
#include "report_data.h"
#include "report_doc.h"
#include "report_format.h"

namespace fufi::results::report {

// What one item writes: its section (md, tex, html) and CSV; figures also their .dat and gnuplot script.
struct ItemOutput {
  Section section;
  std::string csv;
  std::string dat, gp;  // figures only; gp empty: nothing to plot
};

using ItemBuilder = ItemOutput (*)(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);

class CatalogueEntry {
 public:
  CatalogueEntry(ReportItem item, ItemBuilder build) : item_(std::move(item)), build_(build) {}
  const ReportItem& item() const { return item_; }
  ItemOutput build(const SweepJobs& sweep, const ReportOptions& options) const { return build_(item_, sweep, options); }

 private:
  ReportItem item_;
  ItemBuilder build_;
};

// Every item, in the order the report shows them.
const std::vector<CatalogueEntry>& catalogue();

// The builders (report_tables.cpp, report_fig4.cpp, report_plugin.cpp, report_fig6.cpp).
ItemOutput build_table1(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_table2(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_fig4(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_fig5(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_fig6(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_fig7(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);

// Table 1's rows in the paper's order; the paper's tasks; Table 2's variants and their labels.
extern const std::vector<std::string> kPaperModels;
extern const std::vector<std::string> kPaperTasks;
extern const std::vector<std::pair<std::string, std::string>> kAblations;
// Sorts model names into the paper's order; models the paper does not have follow, by name.
void sort_models(std::vector<std::string>& models);

// What every item starts with: its section's id and title, and the data/device lines of its jobs, which
// also end up in every CSV row (returned in `provenance`: data, device).
ItemOutput start_item(const ReportItem& item, const SweepJobs& sweep, std::vector<std::string>& provenance);
// What every item ends its tables with: the caveat for data that is not TaxiBJ and the missing-job footnotes.
void close_item(Section& section, const MissingNotes& notes, const SweepJobs& sweep, const ReportItem& item,
                const ReportOptions& options);

}  // namespace fufi::results::report
