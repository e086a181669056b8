#pragma once
// `fufi eval`: the field's metrics of any prediction file against a target file (NPY, raw counts), and
// optionally a training loss on the same cells.
#include <iosfwd>
#include <string>
#include <vector>

namespace fufi::orchestrator {

struct EvalOptions {
  std::string prediction, target;
  std::string format = "table";   // table or json
  std::string loss;               // "": metrics only
  std::vector<std::string> sets;  // loss_* keys of `loss`
};

// Prints MSE, MAE, MAPE, RMSE and the cell count (and the loss) to `out`. UsageError for a bad format, loss or
// key (before any file is read), InputError naming the file for unreadable or mismatched data.
int evaluate_files(const EvalOptions& options, std::ostream& out);

}  // namespace fufi::orchestrator
