#pragma once
// Naive references (private to fufi_results): the models with no trained parameters (model/src/naive.cpp:
// `uniform` spreads each coarse cell evenly over its block; `historical` uses the training split's per-cell
// share, static or per hour of day) that every item comparing models shows as reference rows, and the flag
// on a trained row that one of them beats. A naive job's row is named from its configuration (`by_hour`,
// `by_weather`, `weighting` keys in job_config), never from a sweep's variant name.
#include <string>
#include <vector>

#include "report_data.h"

namespace fufi::results::report {

// The registry's naive models (names owned by model/src/naive.cpp).
extern const std::vector<std::string> kNaiveModels;
bool is_naive(const JobRow& job);

// The row of a naive job: "uniform", "historical", "historical by_hour", "historical by_weather",
// "historical by_hour by_weather"; a weighting other than the default (flow) adds " weighting=VALUE"; then
// JobRow::distinct (the keys that tell apart configurations an item would otherwise put in one cell).
std::string naive_key(const JobRow& job);
// The row an item keys a job by, before split_configurations(): its naive key, else `trained` (e.g. the model).
std::string naive_or(const JobRow& job, const std::string& trained);
// How a table labels a naive row: "historical by_hour (naive)".
std::string naive_label(const std::string& key);
// The order naive rows are shown in: uniform, historical (static), then the context modes, by name.
void sort_naive_keys(std::vector<std::string>& keys);

// One naive row's mean on a metric, to set beside a trained row's.
struct NaiveMean {
  std::string key;
  double mean = kNaN;
};
// The naive rows whose mean is below `value` (lower is better), best first; none when `value` is NaN.
std::vector<std::string> naive_below(double value, std::vector<NaiveMean> naive);

// The metrics a naive row beats, each with the naive rows below it, grouped where those agree:
// "MSE, MAPE (by historical by_hour) and MAE (by historical by_hour, historical)"; "" when none.
struct BeatenMetric {
  std::string metric;              // "MSE"
  std::vector<std::string> by;     // naive_below() of the trained row's mean on it
};
std::string beaten_metrics(const std::vector<BeatenMetric>& per_metric);

// The legend under a table with naive rows.
extern const char* const kNaiveLegend;
// The footnote listing the trained rows a naive one beats ("what: by whom" each); "" when there are none.
std::string naive_flag_note(const std::vector<std::string>& beaten);

}  // namespace fufi::results::report
