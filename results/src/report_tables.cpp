// Tables 1 and 2: a rows x (task, metric) grid of measured means over seeds (report_grid.cpp), the paper's table
// beside it, and measured vs. paper. Table 1's rows are models (reference: PLGF), Table 2's are ablation variants
// (reference: the full model); in both, the sweep's naive models are reference rows.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "fufi/results/report_paper.h"
#include "report_grid.h"
#include "report_items.h"
#include "report_naive.h"
#include "report_verdict.h"

namespace fufi::results::report {

namespace {

// Table 2's paper value of a variant: both readings of "w/o DualFocal" stand beside the paper's one number.
std::string paper_variant(const std::string& variant) {
  return variant == "wo_dualfocal_mse" || variant == "wo_dualfocal_nofocal" ? "wo_dualfocal" : variant;
}

const char* const kDualFocalReadings =
    "\"w/o DualFocal\" has two readings, and the paper gives one number for it (shown beside both rows): "
    "_(MSE)_ trains with the conventional regression loss the paper sets DualFocal against; _(no focal factor)_ "
    "keeps DualFocal's dual-space term L_ds and drops only its focusing factor (docs/MODELS.md).";

}  // namespace

ItemOutput build_table1(const ReportItem& item, const SweepJobs& input, const ReportOptions& o) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, input, prov);
  Section& s = out.section;
  // Rows are models; a model with several configurations in one task gets one row per configuration.
  const SweepJobs sweep = split_rows(input, [](const JobRow& j) { return naive_or(j, j.model); }, true);
  Grid g;
  g.reference = "plgf";
  const auto [models, tasks] = fill_cells(g, sweep, [](const JobRow& j) { return j.model + j.distinct; });
  std::vector<std::string> model_list(models.begin(), models.end());
  if (model_list.empty()) model_list = kPaperModels;
  sort_models(model_list);
  g.tasks = tasks.empty() ? kPaperTasks : std::vector<std::string>(tasks.begin(), tasks.end());
  for (const auto& m : model_list) g.rows.emplace_back(m, m);
  g.paper = [](const std::string& row, const std::string& task, const std::string& metric) {
    return paper_value("table1", base_key(row), task, "", metric);
  };
  out.summary = verdict_sentence(sweep);
  if (!out.summary.empty()) s.blocks.push_back(text_block("**Verdict**: " + out.summary));
  add_grid_tables(s, g, o, "Model",
                  significance_note("plgf") +
                      " Δ (%): PLGF against the best other trained model of each column, as in the paper (↓: PLGF "
                      "lower).",
                  "Paper (Table 1 as published: TaxiBJ, NVIDIA 4090, mean of five runs)",
                  [](const std::string& task, const std::string& metric) {
                    return paper_value("table1_delta_pct", "plgf", task, "", metric);
                  });
  MissingNotes notes;
  auto all_rows = g.rows;
  all_rows.insert(all_rows.end(), g.naive_rows.begin(), g.naive_rows.end());
  for (const auto& [model, label] : all_rows)
    for (const auto& task : g.tasks) {
      note_missing(notes, fmt::format("{} {}", model, task), cell_of(g, model, task));
    }
  close_item(s, notes, sweep, item, o);
  out.csv = grid_csv(g, "model", prov);
  return out;
}

ItemOutput build_table2(const ReportItem& item, const SweepJobs& input, const ReportOptions& o) {
  std::vector<std::string> prov;
  ItemOutput out = start_item(item, input, prov);
  Section& s = out.section;
  // Rows are variants; jobs of one variant and task in several configurations (another model, say) get a row each.
  const SweepJobs sweep =
      split_rows(input, [](const JobRow& j) { return naive_or(j, j.variant.empty() ? "full" : j.variant); }, true);
  Grid g;
  g.reference = "full";
  const auto [variants, tasks] =
      fill_cells(g, sweep, [](const JobRow& j) { return (j.variant.empty() ? "full" : j.variant) + j.distinct; });
  for (const auto& [key, label] : kAblations) {
    if (variants.empty() && key != "wo_dualfocal") g.rows.emplace_back(key, label);
    for (const auto& v : variants)
      if (base_key(v) == key) g.rows.emplace_back(v, label + v.substr(key.size()));
  }
  for (const auto& v : variants)
    if (std::none_of(kAblations.begin(), kAblations.end(), [&](const auto& a) { return a.first == base_key(v); }))
      g.rows.emplace_back(v, v);
  g.tasks = tasks.empty() ? std::vector<std::string>{"P1"} : std::vector<std::string>(tasks.begin(), tasks.end());
  g.paper = [](const std::string& row, const std::string& task, const std::string& metric) {
    return paper_value("table2", "plgf", task, paper_variant(base_key(row)), metric);
  };
  add_grid_tables(s, g, o, "Method", significance_note("full"), "Paper (Table 2 as published: TaxiBJ Task 1)", nullptr);
  if (std::any_of(g.rows.begin(), g.rows.end(),
                  [](const auto& r) { return base_key(r.first) != paper_variant(base_key(r.first)); }))
    s.blocks.push_back(text_block(kDualFocalReadings));
  MissingNotes notes;
  auto all_rows = g.rows;
  all_rows.insert(all_rows.end(), g.naive_rows.begin(), g.naive_rows.end());
  for (const auto& [key, label] : all_rows)
    for (const auto& task : g.tasks) note_missing(notes, fmt::format("{} {}", key, task), cell_of(g, key, task));
  close_item(s, notes, sweep, item, o);
  out.csv = grid_csv(g, "variant", prov);
  return out;
}

}  // namespace fufi::results::report
