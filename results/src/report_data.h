#pragma once
// What a report item reads from the DB (private to fufi_results): one sweep's jobs with their test metrics
// and provenance, and the statistics of a table cell (the jobs of one configuration, over its seeds).
#include <cstdint>
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

// The jobs of one cell of a table (one configuration, its seeds) and their statistics over the done ones.
struct CellStats {
  std::vector<const JobRow*> jobs;
  std::set<std::string> groups;  // configurations (group ids): more than one means the mean mixes them

  void add(const JobRow& job) {
    jobs.push_back(&job);
    groups.insert(job.group_id);
  }
  std::vector<double> values(int metric) const;
  std::vector<double> of(double JobRow::*field) const;
  int done() const;
  double mean(int metric) const;
  double std(int metric) const;
};

}  // namespace fufi::results::report
