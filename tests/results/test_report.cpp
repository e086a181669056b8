// fufi report (report.cpp and every item builder through it): golden files of a report rendered from a
// fixture DB that this test builds through the store API, options, determinism. Statistics:
// test_report_stats.cpp; the paper's numbers: test_report_paper.cpp; each builder: test_report_<item>.cpp.
//
// Regenerate the golden files after an intended change of the output:
//   FUFI_UPDATE_GOLDEN=1 build/tests/test_results --gtest_filter='Report*'   (then review `git diff`)
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/results/report.h"
#include "fufi/results/store.h"
#include "expect_error.h"
#include "files.h"
#include "flow_metrics.h"
#include "scratch_dir.h"

namespace fufi_test_report {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace fufi;
using namespace fufi::results;

namespace {

using fufi::test::read_file;


}  // namespace

// ---------------------------------------------------------------- a fixture database and its report

namespace {

struct FixtureJob {
  std::string sweep, variant, model, task, loss;
  int seed = 1;
  std::string status = "done";  // done | failed | pending
  double mse = 0, mae = 0, mape = 0;
  std::string channels = "64", depth = "4";
  std::string by_hour;  // naive `historical` jobs: "true" or "false" (a config key, as the sweep files set it)
};

std::string job_id(const FixtureJob& j) {
  // A stable 64-hex id per configuration and seed (the real ids are SHA-256; the report only prints them).
  const std::string key = j.model + j.task + j.loss + j.channels + j.depth + j.variant + std::to_string(j.seed);
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : key) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return fmt::format("{:016x}{:016x}{:016x}{:016x}", h, h * 3, h * 5, h * 7);
}

// Table 1 (srcnn, uno, plgf x P1, P2 x 3 seeds; uno P2 seed 3 never ran, srcnn P2 seed 2 failed; the naive
// references on P1: uniform, historical, historical by_hour, which beats UNO's MSE and SRCNN's), Table 2
// (3 variants), Figure 4 (Table 1's P1 jobs, shared ids), Figure 5, Figure 6; no Figure 7 sweep.
void build_fixture_db(const std::string& path) {
  const std::string data = "synthetic:preset=small,seed=2026,coarse_size=16,upscale=4,samples_per_task=300,generator=1";
  std::vector<FixtureJob> jobs;
  const std::map<std::string, double> base{{"srcnn", 18.0}, {"uno", 15.0}, {"plgf", 14.5}, {"urbanfm", 16.0}};
  for (const char* model : {"srcnn", "uno", "plgf"})
    for (const char* task : {"P1", "P2"})
      for (int seed = 1; seed <= 3; ++seed) {
        FixtureJob j{"table1", "", model, task, "dualfocal", seed};
        const double b = base.at(model) + (task[1] == '2' ? 2.0 : 0.0);
        j.mse = b + 0.1 * seed;
        j.mae = b / 8 + 0.01 * seed;
        j.mape = b / 50 + 0.002 * seed;
        if (j.model == "uno" && j.task == "P2" && seed == 3) j.status = "pending";
        if (j.model == "srcnn" && j.task == "P2" && seed == 2) j.status = "failed";
        jobs.push_back(j);
        if (j.task == "P1" && j.model != "srcnn") {
          j.sweep = "fig4_efficiency";
          jobs.push_back(j);
        }
      }
  for (int seed = 1; seed <= 3; ++seed)
    for (const auto& [model, variant, by_hour, b] : std::vector<std::tuple<std::string, std::string, std::string, double>>{
             {"uniform", "defaults", "", 30.0}, {"historical", "defaults", "false", 16.0},
             {"historical", "naive_by_hour", "true", 15.0}}) {
      FixtureJob j{"table1", variant, model, "P1", "dualfocal", seed};
      j.by_hour = by_hour;
      j.mse = b;  // nothing trained: the same numbers for every seed
      j.mae = b / 8;
      j.mape = b / 50;
      jobs.push_back(j);
    }
  int k = 0;
  for (const char* variant : {"full", "wo_film", "wo_dualfocal"})
    for (int seed = 1; seed <= 2; ++seed, ++k) {
      FixtureJob j{"table2_ablation", variant, "plgf", "P1", variant == std::string("wo_dualfocal") ? "dualfocal_nofocal" : "dualfocal", seed};
      j.mse = 14.4 + 0.2 * k;
      j.mae = 1.9 + 0.01 * k;
      j.mape = 0.28 + 0.003 * k;
      jobs.push_back(j);
    }
  for (const char* loss : {"mse", "dualfocal"})
    for (int seed = 1; seed <= 2; ++seed) {
      const bool dual = loss == std::string("dualfocal");
      FixtureJob j{"fig5_dualfocal_plugin", dual ? "dualfocal" : "own_loss", "urbanfm", "P2", loss, seed};
      j.mse = (dual ? 18.7 : 19.5) + 0.05 * seed;
      j.mae = (dual ? 2.2 : 2.28) + 0.01 * seed;
      j.mape = (dual ? 0.30 : 0.33) + 0.001 * seed;
      jobs.push_back(j);
    }
  for (const auto& [ch, depth] : std::vector<std::pair<std::string, std::string>>{{"16", "2"}, {"32", "2"}, {"16", "3"}}) {
    FixtureJob j{"fig6_width_depth", "", "plgf", "P1", "dualfocal", 1};
    j.channels = ch;
    j.depth = depth;
    j.mse = 20.0 - std::stod(ch) / 8 - std::stod(depth);
    j.mae = j.mse / 8;
    j.mape = j.mse / 50;
    jobs.push_back(j);
  }

  ResultsStore store(path);
  std::map<std::string, std::vector<JobRecord>> by_sweep;
  for (const auto& j : jobs) {
    JobRecord r;
    r.id = job_id(j);
    r.group_id = job_id(FixtureJob{j.sweep, j.variant, j.model, j.task, j.loss, 0, "", 0, 0, 0, j.channels, j.depth});
    r.model = j.model;
    r.task = j.task;
    r.seed = static_cast<std::uint64_t>(j.seed);
    r.data = data;
    r.run_dir = "runs/" + r.id;
    std::vector<std::string> config{"channels=" + j.channels, "depth=" + j.depth, "loss=" + j.loss};
    if (!j.by_hour.empty()) config.push_back("by_hour=" + j.by_hour);
    r.resolved = Config::from_assignments(config);
    r.variant = j.variant;
    by_sweep[j.sweep].push_back(r);
  }
  for (const auto& [sweep, records] : by_sweep) {
    SweepRecord s;
    s.name = sweep;
    s.file = "sweeps/" + sweep + ".toml";
    s.file_sha256 = "0";
    s.file_text = "";
    s.data = data;
    const auto id = store.register_sweep(s);
    store.sync_jobs(id, records, 2, false);
  }
  const auto run = store.begin_run(1, RunInfo{});
  std::set<std::string> finished;
  for (const auto& j : jobs) {
    const std::string id = job_id(j);
    if (j.status == "pending" || !finished.insert(id).second) continue;
    store.start_attempt(id, 1, run, "host", "local");
    Outcome o;
    o.status = parse_job_status(j.status);
    if (j.status == "failed") {
      o.error_class = ErrorClass::Diverged;
      o.error = "loss is NaN at epoch 3";
    } else {
      o.test = fufi::test::flow_metrics(j.mse, j.mae, j.mape);
      o.valid = o.test;
      const bool naive = j.model == "uniform" || j.model == "historical";
      o.parameters = naive ? 0 : j.model == "uno" ? 117913472 : j.model == "plgf" ? 3488677 : 131777;
      o.mean_epoch_seconds = naive ? 0.1 : j.model == "uno" ? 22.0 : j.model == "plgf" ? 4.5 : 1.5;
      o.epochs_run = 3;
      o.provenance.device = "cpu";
    }
    store.finish_attempt(id, 1, o, true);
  }
  store.commit();
}

}  // namespace

class Report : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new fufi::test::ScratchDir("report_golden");
    dir_ = new fs::path(scratch_->path());
    build_fixture_db((*dir_ / "fixture.db").string());
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete scratch_;
  }
  static ReportOptions options(const std::string& out) {
    ReportOptions o;
    o.db_path = (*dir_ / "fixture.db").string();
    o.db_label = "fixture.db";
    o.out_dir = (*dir_ / out).string();
    o.draw = false;
    return o;
  }
  static fufi::test::ScratchDir* scratch_;
  static fs::path* dir_;
};
fufi::test::ScratchDir* Report::scratch_ = nullptr;
fs::path* Report::dir_ = nullptr;

TEST_F(Report, MatchesGoldenFiles) {
  const auto result = write_report(options("out"));
  const fs::path golden = fs::path(FUFI_SOURCE_DIR) / "tests/results/golden";
  const bool update = std::getenv("FUFI_UPDATE_GOLDEN") && std::string(std::getenv("FUFI_UPDATE_GOLDEN")) == "1";
  ASSERT_GE(result.files.size(), 20u);
  for (const auto& name : result.files) {
    const std::string got = read_file(*dir_ / "out" / name);
    if (update) {
      fs::create_directories(golden);
      std::ofstream(golden / name, std::ios::binary) << got;
      continue;
    }
    ASSERT_TRUE(fs::exists(golden / name)) << name << ": no golden file; run with FUFI_UPDATE_GOLDEN=1";
    EXPECT_EQ(got, read_file(golden / name)) << name << " differs from " << (golden / name).string()
                                             << " (FUFI_UPDATE_GOLDEN=1 regenerates, then review git diff)";
  }
  // Every golden file is still produced: one the report no longer writes would otherwise never be compared.
  for (const auto& entry : fs::directory_iterator(golden)) {
    const std::string name = entry.path().filename().string();
    EXPECT_NE(std::find(result.files.begin(), result.files.end(), name), result.files.end())
        << name << " is in " << golden.string() << " but the report no longer writes it (remove it if intended)";
  }
}

TEST_F(Report, SameDatabaseSameBytesAndTheDatabaseIsNotWritten) {
  const std::string db_before = read_file(*dir_ / "fixture.db");
  write_report(options("a"));
  const auto result = write_report(options("b"));
  for (const auto& name : result.files) EXPECT_EQ(read_file(*dir_ / "a" / name), read_file(*dir_ / "b" / name)) << name;
  EXPECT_EQ(read_file(*dir_ / "fixture.db"), db_before);
}

TEST_F(Report, TableOneContents) {
  auto o = options("t1");
  o.only = {"table1"};
  o.with_std = true;
  const auto result = write_report(o);
  EXPECT_EQ(result.files, (std::vector<std::string>{"table1.md", "table1.tex", "table1.csv", "verdict.txt", "index.md",
                                                    "index.html"}));
  const std::string md = read_file(*dir_ / "t1" / "table1.md");
  // Data and device above the table; synthetic data is never called TaxiBJ.
  EXPECT_NE(md.find("synthetic TaxiBJ-like data (preset small, seed 2026, 16x16 → 64x64, 300 samples per task) — not TaxiBJ"),
            std::string::npos);
  EXPECT_NE(md.find("Device: cpu."), std::string::npos);
  // PLGF P1 MSE: seeds 14.6, 14.7, 14.8: the best (bold), mean ± std.
  EXPECT_NE(md.find("**14.700 ± 0.100**"), std::string::npos) << md;
  // A small spread keeps the mean's precision (MAPE = MSE / 50 here: 0.294 ± 0.002, not ± 2.000e-03).
  EXPECT_NE(md.find("**0.294 ± 0.002**"), std::string::npos) << md;
  // UNO P1 MSE second (italic in Markdown) and significantly different from PLGF (†): 15.2 ± 0.1 vs 14.7 ± 0.1.
  EXPECT_NE(md.find("_15.200 ± 0.100_†"), std::string::npos) << md;
  // Δ row: PLGF vs best baseline (UNO) P1 MSE: (14.7 - 15.2) / 15.2 = -3.29 %.
  EXPECT_NE(md.find("| Δ (%) | ↓3.29 |"), std::string::npos) << md;
  // The paper's Table 1 beside it, with its own Δ row.
  EXPECT_NE(md.find("**14.408**"), std::string::npos);
  EXPECT_NE(md.find("↓1.93"), std::string::npos);
  // Missing and failed jobs: "—"/"*" cells and footnotes with the command.
  EXPECT_NE(md.find("uno P2: 2 of 3 seeds done"), std::string::npos) << md;
  EXPECT_NE(md.find("failed (diverged: loss is NaN at epoch 3)"), std::string::npos) << md;
  EXPECT_NE(md.find("`fufi sweep sweeps/table1.toml --db fixture.db --retry-failed`"), std::string::npos) << md;
  const std::string tex = read_file(*dir_ / "t1" / "table1.tex");
  EXPECT_NE(tex.find("\\toprule"), std::string::npos);
  EXPECT_NE(tex.find("\\textbf{14.700 $\\pm$ 0.100}"), std::string::npos) << tex;
  EXPECT_NE(tex.find("\\underline{15.200 $\\pm$ 0.100}$^\\dagger$"), std::string::npos) << tex;
  const std::string csv = read_file(*dir_ / "t1" / "table1.csv");
  EXPECT_NE(csv.find("uno,P1,mse,3,3,15.2,0.1,2,"), std::string::npos) << csv;
}

TEST_F(Report, AbsentSweepSaysHowToRunIt) {
  auto o = options("f7");
  o.only = {"fig7"};
  write_report(o);
  const std::string md = read_file(*dir_ / "f7" / "fig7.md");
  EXPECT_NE(md.find("sweep `fig7_dualfocal_all_tasks` is not in this database; run it: "
                    "`fufi sweep sweeps/fig7_dualfocal_all_tasks.toml --db fixture.db`"),
            std::string::npos)
      << md;
  // Another sweep can stand in for an item.
  o.sweeps = {{"fig7", "fig5_dualfocal_plugin"}};
  o.out_dir = (*dir_ / "f7b").string();
  write_report(o);
  EXPECT_NE(read_file(*dir_ / "f7b" / "fig7.md").find("| urbanfm | P2 | MSE |"), std::string::npos);
}

TEST_F(Report, GnuplotAbsentIsAWarningNotAnError) {
  auto o = options("nognuplot");
  o.only = {"fig4"};
  o.draw = true;
  o.gnuplot = "/nonexistent/gnuplot";
  const auto result = write_report(o);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("gnuplot not found"), std::string::npos);
  EXPECT_EQ(result.figures_drawn, 0);
  EXPECT_TRUE(fs::exists(*dir_ / "nognuplot" / "fig4.gp"));
  EXPECT_TRUE(fs::exists(*dir_ / "nognuplot" / "fig4.dat"));
}

TEST_F(Report, DrawsFiguresWhenGnuplotExists) {
  if (::access("/usr/bin/gnuplot", X_OK) != 0) GTEST_SKIP() << "gnuplot is not installed";
  auto o = options("drawn");
  o.draw = true;
  o.gnuplot = "/usr/bin/gnuplot";
  const auto result = write_report(o);
  EXPECT_EQ(result.figures_drawn, 3);  // fig4, fig5, fig6 (fig7's sweep is absent: nothing to plot)
  for (const char* f : {"fig4.png", "fig4.svg", "fig5.png", "fig5.svg", "fig6.png", "fig6.svg"})
    EXPECT_GT(fs::file_size(*dir_ / "drawn" / f), 1000u) << f;
  EXPECT_FALSE(fs::exists(*dir_ / "drawn" / ".gnuplot.log"));
}

TEST_F(Report, BadOptionsNameTheOption) {
  auto o = options("bad");
  o.only = {"tabel1"};
  fufi::test::expect_error<fufi::UsageError>([&] { write_report(o); }, "--only: unknown name 'tabel1' (did you mean 'table1'?)");
  o = options("bad");
  o.formats = {"html"};
  fufi::test::expect_error<fufi::UsageError>([&] { write_report(o); }, "--format: unknown name 'html'");
  o = options("bad");
  o.sweeps = {{"fig9", "x"}};
  fufi::test::expect_error<fufi::UsageError>([&] { write_report(o); }, "--sweep: unknown item 'fig9'");
  o.sweeps = {{"claims", "demo"}};  // claims reads the sweeps of other items: name those
  fufi::test::expect_error<fufi::UsageError>(
      [&] { write_report(o); },
      {"--sweep: item 'claims' has no sweep of its own: it reads those of table1, table2, fig4, fig5, fig6",
       "--sweep table1=demo"});
  o = options("bad");
  o.out_dir.clear();
  fufi::test::expect_error<fufi::UsageError>([&] { write_report(o); }, "--out");
  o = options("bad");
  o.db_path = (*dir_ / "absent.db").string();
  fufi::test::expect_error<fufi::InputError>([&] { write_report(o); }, {"absent.db"});
  fufi::test::expect_error<fufi::UsageError>([] { parse_report_list("table1,fig8", "--only", {"table1", "fig4"}); },
                                             {"--only: unknown name 'fig8'", "valid: table1, fig4"});
  EXPECT_EQ(parse_report_list("table1,,fig4,table1", "--only", {"table1", "fig4"}),
            (std::vector<std::string>{"table1", "fig4"}));
}

TEST(ReportItems, ThePublicListIsTheCatalogueInOrder) {
  std::vector<std::string> ids;
  for (const auto& item : report_items()) ids.push_back(item.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"table1", "table2", "fig4", "fig5", "fig6", "fig7", "fidelity", "claims"}));
}

}  // namespace fufi_test_report
