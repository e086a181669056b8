// Figures' files and gnuplot (report_gnuplot.cpp): scripts, .dat values, finding and running the program.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <fstream>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "report_gnuplot.h"
#include "scratch_dir.h"

namespace fufi_test_report_gnuplot {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results::report;

TEST(ReportGnuplot, ScriptsDrawThePlotAsPngAndSvg) {
  const std::string gp = gnuplot_script("fig9", "800,600", "plot 1\n");
  EXPECT_EQ(gp.rfind("# fig9: written by fufi report from fig9.dat.", 0), 0u) << gp;
  EXPECT_NE(gp.find("set terminal pngcairo size 800,600"), std::string::npos);
  EXPECT_NE(gp.find("set output \"fig9.png\"\nplot 1\nunset output\n"), std::string::npos) << gp;
  EXPECT_NE(gp.find("set output \"fig9.svg\"\nplot 1\nunset output\n"), std::string::npos) << gp;
  EXPECT_EQ(dat_string("a \"b\""), "\"a 'b'\"");
  EXPECT_EQ(dat_number(1.0 / 3), "0.333333333");
  EXPECT_EQ(dat_number(std::nan("")), "NaN");
}

TEST(ReportGnuplot, FindsTheProgramAndRunsItWithoutAShell) {
  test::ScratchDir dir("gnuplot");
  EXPECT_EQ(find_gnuplot(dir / "absent"), "");
  EXPECT_EQ(find_gnuplot(dir.path()), "");  // a directory is not a program
  // A stand-in for gnuplot: writes the files a script names, or fails loudly.
  const std::string fake = dir / "fakeplot";
  std::ofstream(fake) << "#!/bin/sh\n[ \"$1\" = ok.gp ] && { echo drawn > ok.png; exit 0; }\necho \"line 3: bad\" >&2\nexit 3\n";
  ::chmod(fake.c_str(), 0755);
  EXPECT_EQ(find_gnuplot(fake), fake);
  run_gnuplot(fake, dir.path(), "ok.gp");
  EXPECT_TRUE(std::ifstream(dir / "ok.png").good());  // ran in the output directory
  test::expect_error<RuntimeError>([&] { run_gnuplot(fake, dir.path(), "bad.gp"); },
                                   {dir / "bad.gp", "failed with status 3", "line 3: bad"});
  EXPECT_FALSE(std::ifstream(dir / ".gnuplot.log").good());  // the log is removed
}

}  // namespace fufi_test_report_gnuplot
