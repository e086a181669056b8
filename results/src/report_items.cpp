#include "report_items.h"

#include <algorithm>

namespace fufi::results::report {

const std::vector<CatalogueEntry>& catalogue() {
  static const std::vector<CatalogueEntry> items{
      {{"table1", "Table 1: overall performance (test MSE, MAE, MAPE)", "table1", "sweeps/table1.toml", false},
       build_table1},
      {{"table2", "Table 2: ablation of PLGF's components (Task 1)", "table2_ablation", "sweeps/table2_ablation.toml",
        false},
       build_table2},
      {{"fig4", "Figure 4: efficiency (MAE vs. training time per epoch, bubble area = parameters)", "fig4_efficiency",
        "sweeps/fig4_efficiency.toml", true},
       build_fig4},
      {{"fig5", "Figure 5: DualFocal as a plug-in loss (Task 2)", "fig5_dualfocal_plugin",
        "sweeps/fig5_dualfocal_plugin.toml", true},
       build_fig5},
      {{"fig6", "Figure 6: PLGF width (channels) and depth", "fig6_width_depth", "sweeps/fig6_width_depth.toml", true},
       build_fig6},
      {{"fig7", "Figure 7: DualFocal as a plug-in loss on all tasks", "fig7_dualfocal_all_tasks",
        "sweeps/fig7_dualfocal_all_tasks.toml", true},
       build_fig7},
      {{"fidelity", "Fidelity: each open choice of the paper, flipped one at a time (test MSE, MAE, MAPE vs. defaults)",
        "fidelity", "sweeps/fidelity.toml", false},
       build_fidelity},
      // No sweep of its own: it reads those of the items whose claims it checks (and their --sweep overrides).
      {{"claims", "Claims: does each claim of the paper hold on the measured numbers?", "", "", false},
       {"table1", "table2", "fig4", "fig5", "fig6"},
       build_claims},
  };
  return items;
}

const std::vector<std::string> kPaperModels{"srcnn", "espcn",    "vdsr",    "deepsd", "srresnet", "urbanfm", "deeplgr",
                                            "fode",  "urbanode", "urbanpy", "cufar",  "uno",      "plgf"};
const std::vector<std::string> kPaperTasks{"P1", "P2", "P3", "P4"};
const std::vector<std::pair<std::string, std::string>> kAblations{
    {"full", "PLGF"},
    {"wo_film", "w/o FiLM"},
    {"wo_local_global", "w/o Local-Global Fusion"},
    {"wo_context_gate", "w/o Context-Gated Attention"},
    {"wo_dualfocal", "w/o DualFocal"},  // sweeps before both readings were rows (one variant)
    {"wo_dualfocal_mse", "w/o DualFocal (MSE)"},
    {"wo_dualfocal_nofocal", "w/o DualFocal (no focal factor)"},
    {"wo_logarithmic", "w/o Logarithmic"},
};

void sort_models(std::vector<std::string>& models) {
  auto index = [](const std::string& model) {
    return std::find(kPaperModels.begin(), kPaperModels.end(), model) - kPaperModels.begin();
  };
  std::sort(models.begin(), models.end(), [&](const std::string& a, const std::string& b) {
    const auto ia = index(a), ib = index(b);
    return ia != ib ? ia < ib : a < b;
  });
}

ItemOutput start_item(const ReportItem& item, const SweepJobs& sweep, std::vector<std::string>& provenance) {
  ItemOutput out;
  out.section.id = item.id;
  out.section.title = item.title;
  provenance = provenance_lines(sweep, all_rows(sweep));
  for (const auto& line : provenance) out.section.blocks.push_back(text_block(line));
  return out;
}

void close_item(Section& section, const MissingNotes& notes, const SweepJobs& sweep, const ReportItem& item,
                const ReportOptions& options) {
  if (!is_taxibj(all_rows(sweep))) section.blocks.push_back(text_block(kSyntheticCaveat));
  add_missing_footnotes(section, notes, sweep, item, options.db_label);
}

}  // namespace fufi::results::report
