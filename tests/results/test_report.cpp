// fufi report: statistics (Welch's t-test, incomplete beta), the paper's embedded numbers, and golden
// files of a report rendered from a fixture DB that this test builds through the store API.
//
// Regenerate the golden files after an intended change of the output:
//   FUFI_UPDATE_GOLDEN=1 build/tests/test_results --gtest_filter='Report*'   (then review `git diff`)
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/results/report.h"
#include "fufi/results/report_paper.h"
#include "fufi/results/report_stats.h"
#include "fufi/results/store.h"
#include "flow_metrics.h"

namespace fs = std::filesystem;
using namespace fufi;
using namespace fufi::results;

namespace {

const double kPi = std::acos(-1.0);

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / fmt::format("fufi_report_{}_{}", name, ::getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

// ---------------------------------------------------------------- statistics

TEST(ReportStats, IncompleteBetaClosedForms) {
  for (double x : {0.0, 0.05, 0.3, 0.5, 0.77, 0.999, 1.0}) {
    EXPECT_NEAR(regularized_incomplete_beta(1, 1, x), x, 1e-13);
    EXPECT_NEAR(regularized_incomplete_beta(3, 1, x), x * x * x, 1e-13);
    EXPECT_NEAR(regularized_incomplete_beta(1, 4, x), 1 - std::pow(1 - x, 4), 1e-13);
    // I_x(2, 2) = 3x^2 - 2x^3
    EXPECT_NEAR(regularized_incomplete_beta(2, 2, x), 3 * x * x - 2 * x * x * x, 1e-13);
    // Symmetry
    EXPECT_NEAR(regularized_incomplete_beta(2.5, 0.5, x) + regularized_incomplete_beta(0.5, 2.5, 1 - x), 1.0, 1e-12);
  }
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(0, 1, 0.5)));
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(1, 1, 1.5)));
}

TEST(ReportStats, StudentTTwoSidedP) {
  for (double t : {0.0, 0.3, 1.0, 2.5, 12.0, -4.0}) {
    // df = 1 is the Cauchy distribution; df = 2 has a closed form too.
    EXPECT_NEAR(student_t_two_sided_p(t, 1), 1 - 2 / kPi * std::atan(std::fabs(t)), 1e-12) << t;
    EXPECT_NEAR(student_t_two_sided_p(t, 2), 1 - std::fabs(t) / std::sqrt(2 + t * t), 1e-12) << t;
  }
  // The textbook critical value: t(0.975, 10) = 2.228139.
  EXPECT_NEAR(student_t_two_sided_p(2.2281388519649385, 10), 0.05, 1e-9);
  EXPECT_NEAR(student_t_two_sided_p(1.959963984540054, 1e7), 0.05, 1e-6);  // the normal limit
  EXPECT_EQ(student_t_two_sided_p(INFINITY, 3), 0);
}

TEST(ReportStats, WelchAgainstIndependentValues) {
  // Reference p-values by numerical integration of the t density (independent of the beta function).
  auto w = welch_t_test({1, 2, 3, 4, 5}, {2, 4, 6, 8, 10});
  ASSERT_TRUE(w.valid);
  EXPECT_NEAR(w.t, -1.8973665961010275, 1e-12);
  EXPECT_NEAR(w.df, 5.882352941176471, 1e-12);
  EXPECT_NEAR(w.p, 0.10753119493065287, 1e-7);
  w = welch_t_test({14.2, 14.5, 14.4}, {14.9, 14.6, 15.1, 14.8});
  EXPECT_NEAR(w.t, -3.5429138863328418, 1e-10);
  EXPECT_NEAR(w.df, 4.993325917686318, 1e-10);
  EXPECT_NEAR(w.p, 0.016548276235059674, 1e-7);
  // Fewer than two values: no test. No variance: certain.
  EXPECT_FALSE(welch_t_test({1}, {2, 3}).valid);
  EXPECT_EQ(welch_t_test({1, 1}, {2, 2}).p, 0);
  EXPECT_EQ(welch_t_test({1, 1}, {1, 1}).p, 1);
}

TEST(ReportStats, RankingAndChanges) {
  const double nan = std::nan("");
  EXPECT_EQ(rank_best_two({3, 1, 2, nan, 1}), (std::vector<int>{0, 1, 2, 0, 1}));
  EXPECT_EQ(rank_best_two({nan, 5}), (std::vector<int>{0, 1}));
  EXPECT_EQ(rank_best_two({}), std::vector<int>{});
  EXPECT_NEAR(relative_change_percent(90, 100), -10, 1e-12);
  EXPECT_TRUE(std::isnan(relative_change_percent(1, 0)));
  EXPECT_NEAR(sample_std({2, 4, 4, 4, 5, 5, 7, 9}), std::sqrt(32.0 / 7), 1e-12);
}

// ---------------------------------------------------------------- the paper's numbers

TEST(ReportPaper, SpotChecksAgainstThePaperText) {
  EXPECT_EQ(paper_value("table1", "plgf", "P1", "", "mse"), 14.408);
  EXPECT_EQ(paper_value("table1", "plgf", "P4", "", "mape"), 0.270);
  EXPECT_EQ(paper_value("table1", "uno", "P2", "", "mae"), 2.148);
  EXPECT_EQ(paper_value("table1", "srcnn", "P3", "", "mse"), 23.184);
  EXPECT_EQ(paper_value("table1", "deepsd", "P4", "", "mse"), 15.031);
  EXPECT_EQ(paper_value("table1", "urbanode", "P1", "", "mape"), 0.406);
  EXPECT_EQ(paper_value("table2", "plgf", "P1", "wo_context_gate", "mse"), 18.638);
  EXPECT_EQ(paper_value("table2", "plgf", "P1", "wo_logarithmic", "mape"), 0.301);
  EXPECT_EQ(paper_value("table2", "plgf", "P1", "full", "mae"), 1.890);
  EXPECT_EQ(paper_value("fig4", "uno", "P1", "", "params_m"), 117.91);
  EXPECT_EQ(paper_value("fig4", "plgf", "P1", "", "params_m"), 3.56);
  EXPECT_EQ(paper_value("fig4", "plgf", "P1", "", "epoch_seconds"), 4.58);
  EXPECT_EQ(paper_value("fig4", "uno", "P1", "", "epoch_seconds"), 22.29);
  EXPECT_EQ(paper_value("fig5", "cufar", "P2", "", "mape_change_pct"), -8.0);
  EXPECT_EQ(paper_value("fig5", "urbanfm", "P2", "", "mse_change_pct"), -4.4);
  EXPECT_FALSE(paper_value("table1", "plgf", "P5", "", "mse"));
  int table1 = 0;
  for (const auto& v : paper_values()) table1 += v.experiment == "table1";
  EXPECT_EQ(table1, 13 * 4 * 3);
}

// The paper's own Δ row follows from its Table 1 (PLGF vs. the best baseline, rounded to 2 decimals):
// checks the transcription and the Δ formula the report uses, together.
TEST(ReportPaper, DeltaRowFollowsFromTable1) {
  const std::vector<std::string> baselines{"srcnn", "espcn", "vdsr", "deepsd", "srresnet", "urbanfm",
                                           "deeplgr", "fode", "urbanode", "urbanpy", "cufar", "uno"};
  for (const char* task : {"P1", "P2", "P3", "P4"})
    for (const char* metric : {"mse", "mae", "mape"}) {
      double best = INFINITY;
      for (const auto& b : baselines) best = std::min(best, *paper_value("table1", b, task, "", metric));
      const double delta = relative_change_percent(*paper_value("table1", "plgf", task, "", metric), best);
      EXPECT_NEAR(delta, *paper_value("table1_delta_pct", "plgf", task, "", metric), 0.0051) << task << " " << metric;
    }
}

// ---------------------------------------------------------------- a fixture database and its report

namespace {

struct FixtureJob {
  std::string sweep, variant, model, task, loss;
  int seed = 1;
  std::string status = "done";  // done | failed | pending
  double mse = 0, mae = 0, mape = 0;
  std::string channels = "64", depth = "4";
};

std::string job_id(const FixtureJob& j) {
  // A stable 64-hex id per configuration and seed (the real ids are SHA-256; the report only prints them).
  const std::string key = j.model + j.task + j.loss + j.channels + j.depth + j.variant + std::to_string(j.seed);
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : key) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return fmt::format("{:016x}{:016x}{:016x}{:016x}", h, h * 3, h * 5, h * 7);
}

// Table 1 (srcnn, uno, plgf x P1, P2 x 3 seeds; uno P2 seed 3 never ran, srcnn P2 seed 2 failed), Table 2
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
    r.resolved = Config::from_assignments({"channels=" + j.channels, "depth=" + j.depth, "loss=" + j.loss});
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
      o.parameters = j.model == "uno" ? 117913472 : j.model == "plgf" ? 3488677 : 131777;
      o.mean_epoch_seconds = j.model == "uno" ? 22.0 : j.model == "plgf" ? 4.5 : 1.5;
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
    dir_ = new fs::path(temp_dir("golden"));
    build_fixture_db((*dir_ / "fixture.db").string());
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static ReportOptions options(const std::string& out) {
    ReportOptions o;
    o.db_path = (*dir_ / "fixture.db").string();
    o.db_label = "fixture.db";
    o.out_dir = (*dir_ / out).string();
    o.draw = false;
    return o;
  }
  static fs::path* dir_;
};
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
  EXPECT_EQ(result.files, (std::vector<std::string>{"table1.md", "table1.tex", "table1.csv", "index.md", "index.html"}));
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
  auto expect_error = [](const ReportOptions& o, const std::string& needle, fufi::ErrorKind kind) {
    try {
      write_report(o);
      ADD_FAILURE() << "no error; expected " << needle;
    } catch (const fufi::Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto o = options("bad");
  o.only = {"tabel1"};
  expect_error(o, "--only: unknown name 'tabel1' (did you mean 'table1'?)", fufi::ErrorKind::Usage);
  o = options("bad");
  o.formats = {"html"};
  expect_error(o, "--format: unknown name 'html'", fufi::ErrorKind::Usage);
  o = options("bad");
  o.sweeps = {{"fig9", "x"}};
  expect_error(o, "--sweep: unknown item 'fig9'", fufi::ErrorKind::Usage);
  o = options("bad");
  o.db_path = (*dir_ / "absent.db").string();
  expect_error(o, "absent.db", fufi::ErrorKind::Input);
  EXPECT_THROW(parse_report_list("table1,fig8", "--only", {"table1", "fig4"}), fufi::UsageError);
  EXPECT_EQ(parse_report_list("table1,,fig4,table1", "--only", {"table1", "fig4"}),
            (std::vector<std::string>{"table1", "fig4"}));
}
