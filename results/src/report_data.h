#pragma once
// What a report item reads from the DB (private to fufi_results): one sweep's jobs with their test metrics
// and provenance, and the statistics of a table cell (the jobs of one configuration, over its seeds).
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fufi/core/status.h"
#include "fufi/results/sqlite.h"

namespace fufi::results::report {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kAlpha = 0.05;  // Welch's t-test: significant below this p
// The metrics a table shows, in JobRow::metric's order: as in the results table, and as the paper prints them.
inline const std::vector<std::string> kMetrics{"mse", "mae", "mape"};
inline const std::vector<std::string> kMetricNames{"MSE", "MAE", "MAPE"};

struct JobRow {
  std::string variant, job_id, group_id, model, task, error, data, loss, channels, depth, device, gpu;
  JobStatus status = JobStatus::Pending;
  ErrorClass error_class = ErrorClass::None;
  std::int64_t seed = 0;
  double metric[3] = {kNaN, kNaN, kNaN};  // test mse, mae, mape (done jobs)
  double parameters = kNaN, epoch_seconds = kNaN;
  std::map<std::string, std::string> config;  // every key of job_config (the resolved configuration)
  // What tells this job's configuration apart from others an item would put in the same cell:
  // " [channels=32, depth=2]", set by split_configurations(); "" when nothing needs telling apart.
  std::string distinct;
  bool done() const { return status == JobStatus::Done; }
  // A key of the resolved configuration; `fallback` when the job does not have it.
  std::string setting(const std::string& key, const std::string& fallback = "") const {
    const auto it = config.find(key);
    return it == config.end() ? fallback : it->second;
  }
};

struct SweepJobs {
  bool present = false;  // the sweep is in the DB
  std::string name, file, data;
  std::vector<JobRow> jobs;  // sorted by model, task, variant, seed, job id
};

// The jobs of sweep NAME (none, present = false, when the DB does not have it).
SweepJobs read_sweep_jobs(Database& db, const std::string& name);

std::vector<const JobRow*> all_rows(const SweepJobs& sweep);

// The configuration of a job as the report compares them: every job_config key but the seed, and the columns a
// job always has (model, task, data, loss, channels, depth) where job_config lacks them.
std::map<std::string, std::string> configuration_of(const JobRow& job);

// The keys whose values differ among these jobs' configurations (sorted; the seed is never one).
std::vector<std::string> differing_keys(const std::vector<const JobRow*>& jobs);

// No cell averages configurations (issue #20): `cell_of(job)` names the cell an item puts a job in (without
// JobRow::distinct). Where one cell holds jobs of several configurations (group ids), every job of the same
// `row_of(job)` gets JobRow::distinct naming its values of the keys that differ there, so that an item that keys
// its rows by row_of(job) + distinct shows one row per configuration. A cell whose configurations no key tells
// apart stays mixed: CellStats refuses to average it. `shown` keys are the item's own columns (Figure 5's loss):
// they never split a row, so a cell mixed in one of them stays mixed.
void split_configurations(SweepJobs& sweep, const std::function<std::string(const JobRow&)>& cell_of,
                          const std::function<std::string(const JobRow&)>& row_of,
                          const std::set<std::string>& shown = {});

// A copy of `sweep` split as above for an item whose rows are row_of(job) and whose cells are its rows, per task
// when `per_task` (the cells of Tables 1 and 2), else across tasks (Figure 4's points).
SweepJobs split_rows(const SweepJobs& sweep, const std::function<std::string(const JobRow&)>& row_of, bool per_task);

// A row key without its JobRow::distinct part: "plgf [channels=32]" -> "plgf".
std::string base_key(const std::string& row_key);

// The jobs of one cell of a table (one configuration, its seeds) and their statistics over the done ones. A
// cell of several configurations (mixed()) has no values, mean or std: the report never averages them.
struct CellStats {
  std::vector<const JobRow*> jobs;
  std::set<std::string> groups;  // configurations (group ids)

  void add(const JobRow& job) {
    jobs.push_back(&job);
    groups.insert(job.group_id);
  }
  bool mixed() const { return groups.size() > 1; }
  std::vector<double> values(int metric) const;
  std::vector<double> of(double JobRow::*field) const;
  int done() const;
  double mean(int metric) const;
  double std(int metric) const;
};

}  // namespace fufi::results::report
