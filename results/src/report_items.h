#pragma once
// The report's catalogue (private to fufi_results): every item with the function that builds it, and what
// the paper fixes about them (model order, tasks, ablation labels). An item is a ReportItem plus a builder
// given to the constructor, so an item without a builder does not compile, and write_report() calls exactly
// the builder of each item.
//
// Names owned elsewhere are data here: sweep names and files (sweeps/*.toml), model names (the model
// registry; the naive ones in report_naive.h), variant names (sweeps/table2_ablation.toml, the `defaults` variant
// of sweeps/fidelity*.toml), the `loss` value "dualfocal" (model/losses).
#include <map>
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
  std::string summary;  // Table 1: the verdict sentence (report_verdict.h); "" otherwise
};

// The sweeps an item reads, by the id of the item whose sweep each one is: "table1" holds Table 1's sweep (or the
// one `--sweep table1=NAME` names).
using SweepSet = std::map<std::string, SweepJobs>;

using ItemBuilder = ItemOutput (*)(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
using MultiSweepBuilder = ItemOutput (*)(const ReportItem& item, const SweepSet& sweeps, const ReportOptions& options);

class CatalogueEntry {
 public:
  // An item that reads its own sweep (ReportItem::sweep).
  CatalogueEntry(ReportItem item, ItemBuilder build) : item_(std::move(item)), reads_{item_.id}, single_(build) {}
  // An item that reads the sweeps of other items (`reads`: their ids); it has no sweep of its own.
  CatalogueEntry(ReportItem item, std::vector<std::string> reads, MultiSweepBuilder build)
      : item_(std::move(item)), reads_(std::move(reads)), multi_(build) {}
  const ReportItem& item() const { return item_; }
  const std::vector<std::string>& reads() const { return reads_; }
  ItemOutput build(const SweepSet& sweeps, const ReportOptions& options) const {
    return multi_ ? multi_(item_, sweeps, options) : single_(item_, sweeps.at(item_.id), options);
  }
  // An item of its own sweep, given that sweep (a multi-sweep item gets it under every id it reads).
  ItemOutput build(const SweepJobs& sweep, const ReportOptions& options) const {
    SweepSet sweeps;
    for (const auto& id : reads_) sweeps[id] = sweep;
    return build(sweeps, options);
  }

 private:
  ReportItem item_;
  std::vector<std::string> reads_;
  ItemBuilder single_ = nullptr;
  MultiSweepBuilder multi_ = nullptr;
};

// Every item, in the order the report shows them.
const std::vector<CatalogueEntry>& catalogue();

// The builders (report_tables.cpp, report_fig4.cpp, report_plugin.cpp, report_fig6.cpp, report_fidelity.cpp,
// report_claims.cpp).
ItemOutput build_table1(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_table2(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_fig4(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_fig5(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_fig6(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_fig7(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_fidelity(const ReportItem& item, const SweepJobs& sweep, const ReportOptions& options);
ItemOutput build_claims(const ReportItem& item, const SweepSet& sweeps, const ReportOptions& options);

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
