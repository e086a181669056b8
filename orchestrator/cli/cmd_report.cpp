// fufi report --db DB --out DIR: the paper's tables and figures from a results database (read-only; never
// trains). The work is in fufi_results (fufi/results/report.h); this file only parses options.
#include <iostream>

#include "commands.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/results/report.h"

namespace fufi::cli {

namespace {

struct ReportArgs {
  std::string db, out, only, format = "md,tex,csv";
  std::vector<std::string> sweeps;
  bool with_std = false, no_figures = false;
};

int run(const ReportArgs& a) {
  results::ReportOptions o;
  o.db_path = a.db;
  o.out_dir = a.out;
  std::vector<std::string> ids;
  for (const auto& item : results::report_items()) ids.push_back(item.id);
  o.only = results::parse_report_list(a.only, "--only", ids);
  o.formats = results::parse_report_list(a.format, "--format", {"md", "tex", "csv"});
  o.with_std = a.with_std;
  o.draw = !a.no_figures;
  for (const auto& s : a.sweeps) {
    const auto eq = s.find('=');
    FUFI_CHECK(eq != std::string::npos && eq > 0 && eq + 1 < s.size(), UsageError,
               "--sweep: expected ITEM=SWEEP (e.g. table1=demo), got '{}'", s);
    o.sweeps[s.substr(0, eq)] = s.substr(eq + 1);
  }
  const auto result = results::write_report(o);
  for (const auto& w : result.warnings) std::cerr << "fufi: warning: " << w << "\n";
  std::cout << "report: " << result.files.size() << " files in " << a.out << " (" << result.figures_drawn
            << " figures drawn): " << join(result.files, " ") << "\n";
  std::cout << "open " << a.out << "/index.html, or read " << a.out << "/index.md\n";
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ReportArgs>();
  std::vector<std::string> items, ids;
  for (const auto& item : results::report_items()) {
    items.push_back("  " + item.id + ": " + item.title +
                    (item.sweep.empty() ? " (the sweeps of the items it checks)" : " (sweep " + item.sweep + ")"));
    ids.push_back(item.id);
  }
  auto* cmd = app.add_subcommand(
      "report", "Regenerate the paper's tables and figures from a results DB (read-only), with the paper's numbers "
                "beside the measured ones. See docs/REPORT.md. Items:\n" + join(items, "\n"));
  cmd->add_option("--db", a->db, "Results database")->required();
  cmd->add_option("--out", a->out, "Output directory (created)")->required();
  cmd->add_option("--only", a->only, "Comma-separated items (default: all): " + join(ids, ","));
  cmd->add_option("--format", a->format, "Table formats: md (always), tex, csv")->capture_default_str();
  cmd->add_flag("--std", a->with_std, "Show mean ± std over seeds in the tables (CSV always has std)");
  cmd->add_option("--sweep", a->sweeps, "ITEM=SWEEP: read ITEM from another sweep (e.g. table1=demo; repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--no-figures", a->no_figures, "Write the figures' .dat and .gp files but do not run gnuplot");
  cmd->callback([a, &exit_code] { exit_code = run(*a); });
}

}  // namespace fufi::cli
