#pragma once
// Figures (private to fufi_results): the .dat files and gnuplot scripts the report writes, and running
// gnuplot on them when it is installed.
#include <filesystem>
#include <string>

namespace fufi::results::report {

// A gnuplot script that draws `body` twice: ID.png (pngcairo when this gnuplot has it) and ID.svg, of `size`
// ("900,600").
std::string gnuplot_script(const std::string& id, const std::string& size, const std::string& body);

// A label in a .dat file (double quotes inside become single quotes).
std::string dat_string(const std::string& text);
// A number in a .dat file: full precision, "NaN" for missing (the scripts set `datafile missing "NaN"`).
std::string dat_number(double x);

// The gnuplot program: `option`, else $FUFI_GNUPLOT, else `gnuplot` on PATH. "" when none is executable.
std::string find_gnuplot(const std::string& option);

// Runs `PROGRAM SCRIPT` in `dir` without a shell (no word of user data is ever parsed by one); its messages
// go to a log that is read back and removed. RuntimeError naming the script and gnuplot's messages when it
// fails.
void run_gnuplot(const std::string& program, const std::filesystem::path& dir, const std::string& script);

}  // namespace fufi::results::report
