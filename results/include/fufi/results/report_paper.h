#pragma once
// The numbers the PLGF paper reports (results/data/paper_numbers.csv, compiled in): Tables 1 and 2, the
// efficiency figures and plug-in percentages its text quotes. `fufi report` prints them beside the
// measured numbers. Values the paper gives only as a chart are not here (and are never invented).
#include <optional>
#include <string>
#include <vector>

namespace fufi::results {

struct PaperValue {
  std::string experiment;  // table1 | table1_delta_pct | table2 | fig4 | fig5
  std::string model;       // registry name (fig5 "any": a bound the text gives for every model)
  std::string task;        // P1..P4
  std::string variant;     // sweep variant (table2), else ""
  std::string metric;      // mse | mae | mape | params_m | epoch_seconds | *_change_pct
  double value = 0;
  std::string note;        // where in the paper the number is (text quotes)
};

// Every value, in file order. Parsed once; a malformed embedded file is a RuntimeError (a build bug).
const std::vector<PaperValue>& paper_values();
// The embedded file itself (what was compiled in).
const std::string& paper_numbers_csv();
std::optional<double> paper_value(const std::string& experiment, const std::string& model, const std::string& task,
                                  const std::string& variant, const std::string& metric);

}  // namespace fufi::results
