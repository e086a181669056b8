// fufi report: the paper's tables and figures from a results DB (read-only), beside the paper's numbers.
// This file validates the options once, asks every catalogue item (report_items.cpp) to build itself from
// its sweep's jobs, writes the files and draws the figures, and writes the index.
#include "fufi/results/report.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "fufi/core/atomic_file.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/results/schema.h"
#include "fufi/results/sqlite.h"
#include "report_gnuplot.h"
#include "report_items.h"

namespace fufi::results {

namespace fs = std::filesystem;
using namespace report;

const std::vector<ReportItem>& report_items() {
  static const std::vector<ReportItem> items = [] {
    std::vector<ReportItem> out;
    for (const auto& entry : catalogue()) out.push_back(entry.item());
    return out;
  }();
  return items;
}

std::vector<std::string> parse_report_list(const std::string& text, const std::string& option,
                                           const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  for (const auto& raw : split(text, ',')) {
    const std::string word = trim(raw);
    if (word.empty()) continue;
    FUFI_CHECK(std::find(allowed.begin(), allowed.end(), word) != allowed.end(), UsageError, "{}: unknown name '{}'{}; valid: {}",
               option, word, did_you_mean(word, allowed), join(allowed, ", "));
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);
  }
  return out;
}

namespace {

const std::vector<std::string> kFormats{"md", "tex", "csv"};

bool contains(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// Options as given (a library caller may not have gone through parse_report_list): names checked once here.
ReportOptions checked(const ReportOptions& options) {
  ReportOptions o = options;
  if (o.db_label.empty()) o.db_label = o.db_path;
  FUFI_CHECK(!o.out_dir.empty(), UsageError, "--out: an output directory is required");
  std::vector<std::string> ids;
  for (const auto& item : report_items()) ids.push_back(item.id);
  for (const auto& id : o.only)
    FUFI_CHECK(contains(ids, id), UsageError, "--only: unknown name '{}'{}; valid: {}", id, did_you_mean(id, ids),
               join(ids, ", "));
  for (const auto& [id, sweep] : o.sweeps) {
    FUFI_CHECK(contains(ids, id), UsageError, "--sweep: unknown item '{}'{}; valid: {}", id, did_you_mean(id, ids),
               join(ids, ", "));
    for (const auto& entry : catalogue())
      FUFI_CHECK(entry.item().id != id || !entry.item().sweep.empty(), UsageError,
                 "--sweep: item '{}' has no sweep of its own: it reads those of {} (give those, e.g. --sweep table1={})",
                 id, join(entry.reads(), ", "), sweep);
  }
  for (const auto& f : o.formats)
    FUFI_CHECK(contains(kFormats, f), UsageError, "--format: unknown name '{}'{}; valid: {}", f, did_you_mean(f, kFormats),
               join(kFormats, ", "));
  return o;
}

// The sweep an item reads: the one --sweep names for it, else its own.
std::string sweep_of_item(const std::string& id, const ReportOptions& o) {
  if (o.sweeps.count(id)) return o.sweeps.at(id);
  for (const auto& entry : catalogue())
    if (entry.item().id == id) return entry.item().sweep;
  return id;
}

// Writes the items' files into one directory, drawing figures with gnuplot when it is there.
class ReportWriter {
 public:
  ReportWriter(const ReportOptions& o, ReportResult& result) : o_(o), dir_(o.out_dir), result_(result) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    FUFI_CHECK(!ec && fs::is_directory(dir_), InputError, "--out {}: cannot create the directory: {}", o.out_dir,
               ec ? ec.message() : "not a directory");
  }

  void emit(Section& s, const std::string& name, const std::string& text) {
    write_file_atomically((dir_ / name).string(), text);
    result_.files.push_back(name);
    s.links.push_back(name);
  }

  void write_item(const ReportItem& item, ItemOutput& out) {
    Section& s = out.section;
    emit(s, item.id + ".md", to_markdown(s, 1));
    if (contains(o_.formats, "tex")) emit(s, item.id + ".tex", to_latex(s));
    if (contains(o_.formats, "csv")) emit(s, item.id + ".csv", out.csv);
    if (!item.figure) return;
    emit(s, item.id + ".dat", out.dat);
    if (out.gp.empty()) return;
    emit(s, item.id + ".gp", out.gp);
    if (o_.draw) draw(item, s);
  }

  // verdict.txt: the verdict sentence alone (scripts/demo ends with it).
  void write_verdict(const std::string& verdict) {
    write_file_atomically((dir_ / "verdict.txt").string(), verdict + "\n");
    result_.files.push_back("verdict.txt");
  }

  void write_index(const std::vector<Section>& sections, const std::string& verdict) {
    std::string index = "# fufi report\n\nDatabase: `" + o_.db_label +
                        "`. The PLGF paper's tables and figures, measured numbers beside the paper's; see docs/REPORT.md. "
                        "Open `index.html` in a browser to see everything on one page.\n\n";
    if (!verdict.empty()) index += "**Verdict** (Table 1's sweep): " + verdict + "\n\n";
    for (const auto& s : sections) {
      std::vector<std::string> links;
      for (const auto& l : s.links) links.push_back(fmt::format("[{}]({})", l, l));
      index += to_markdown(s, 2) + "Files: " + join(links, " · ") + "\n\n";
    }
    write_file_atomically((dir_ / "index.md").string(), index);
    result_.files.push_back("index.md");
    write_file_atomically((dir_ / "index.html").string(), html_page(o_.db_label, sections));
    result_.files.push_back("index.html");
  }

 private:
  // ITEM.png and ITEM.svg from ITEM.gp; once gnuplot is known to be missing, a warning instead.
  void draw(const ReportItem& item, Section& s) {
    if (!looked_for_gnuplot_) {
      gnuplot_ = find_gnuplot(o_.gnuplot);
      looked_for_gnuplot_ = true;
      if (gnuplot_.empty())
        result_.warnings.push_back("gnuplot not found (PATH, $FUFI_GNUPLOT): figures skipped; their .dat and .gp "
                                   "files are written (run `gnuplot ITEM.gp` in the output directory)");
    }
    if (gnuplot_.empty()) return;
    std::error_code ec;
    for (const char* ext : {".png", ".svg"}) fs::remove(dir_ / (item.id + ext), ec);
    run_gnuplot(gnuplot_, dir_, item.id + ".gp");
    for (const char* ext : {".png", ".svg"}) {
      const std::string name = item.id + ext;
      FUFI_CHECK(fs::exists(dir_ / name), RuntimeError, "{}: gnuplot did not write {}", (dir_ / (item.id + ".gp")).string(),
                 name);
      result_.files.push_back(name);
      s.links.push_back(name);
    }
    ++result_.figures_drawn;
  }

  const ReportOptions& o_;
  fs::path dir_;
  ReportResult& result_;
  std::string gnuplot_;
  bool looked_for_gnuplot_ = false;
};

}  // namespace

ReportResult write_report(const ReportOptions& options) {
  const ReportOptions o = checked(options);
  Database db(o.db_path, Database::Mode::ReadOnly);
  check_readable_schema(db);
  ReportResult result;
  ReportWriter writer(o, result);
  std::vector<Section> sections;
  std::map<std::string, SweepJobs> read;  // by sweep name: items that share a sweep read it once
  auto sweep_named = [&](const std::string& name) -> const SweepJobs& {
    auto it = read.find(name);
    if (it == read.end()) it = read.emplace(name, read_sweep_jobs(db, name)).first;
    return it->second;
  };
  for (const auto& entry : catalogue()) {
    const ReportItem& item = entry.item();
    if (!o.only.empty() && !contains(o.only, item.id)) continue;
    SweepSet sweeps;
    for (const auto& id : entry.reads()) sweeps[id] = sweep_named(sweep_of_item(id, o));
    ItemOutput out = entry.build(sweeps, o);
    writer.write_item(item, out);
    if (item.id == "table1" && !out.summary.empty()) {
      result.verdict = out.summary;
      writer.write_verdict(out.summary);
    }
    sections.push_back(std::move(out.section));
  }
  writer.write_index(sections, result.verdict);
  return result;
}

}  // namespace fufi::results
