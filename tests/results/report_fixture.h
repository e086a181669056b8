#pragma once
// In-memory sweeps for the tests of the report's builders: they are pure functions of a SweepJobs, so no DB
// is needed to test one.
#include <string>
#include <vector>

#include "fufi/results/report.h"
#include "report_data.h"

namespace fufi::test {

inline const char* kSyntheticIdentity =
    "synthetic:preset=small,seed=2026,coarse_size=16,upscale=4,samples_per_task=300,generator=1";

// A done job of MODEL on TASK with these test metrics; its group is its configuration without the seed.
inline results::report::JobRow job_row(const std::string& model, const std::string& task, int seed, double mse,
                                       double mae, double mape) {
  results::report::JobRow r;
  r.model = model;
  r.task = task;
  r.seed = seed;
  r.job_id = model + task + std::to_string(seed) + std::string(64, '0');
  r.group_id = model + task;
  r.status = JobStatus::Done;
  r.metric[0] = mse;
  r.metric[1] = mae;
  r.metric[2] = mape;
  r.parameters = 1e6;
  r.epoch_seconds = 2;
  r.device = "cpu";
  r.data = kSyntheticIdentity;
  r.loss = "mse";
  r.channels = "64";
  r.depth = "4";
  return r;
}

// A done job of a naive reference (no parameters, nothing trained): `uniform` or `historical`, whose context mode
// is its `by_hour` key (as the DB's job_config holds it).
inline results::report::JobRow naive_row(const std::string& model, const std::string& task, int seed, double mse,
                                         double mae, double mape, bool by_hour = false) {
  auto r = job_row(model, task, seed, mse, mae, mape);
  r.config["by_hour"] = by_hour ? "true" : "false";
  r.group_id += by_hour ? "h" : "";
  r.job_id = r.group_id + std::to_string(seed) + std::string(64, '0');
  r.parameters = 0;
  r.epoch_seconds = results::report::kNaN;
  r.channels.clear();
  r.depth.clear();
  return r;
}

inline results::report::SweepJobs sweep_of(const std::string& name, std::vector<results::report::JobRow> rows) {
  results::report::SweepJobs s;
  s.present = true;
  s.name = name;
  s.file = "sweeps/" + name + ".toml";
  s.data = kSyntheticIdentity;
  s.jobs = std::move(rows);
  return s;
}

// A sweep the DB does not have.
inline results::report::SweepJobs absent_sweep(const std::string& name) {
  results::report::SweepJobs s;
  s.name = name;
  return s;
}

// The catalogue's item with this id (its title, sweep and sweep file as the report uses them).
inline results::ReportItem item(const std::string& id) {
  for (const auto& i : results::report_items())
    if (i.id == id) return i;
  return {};
}

// Two done seeds of `j` at `base` and base + 1 %: MSE base, MAE base / 10, MAPE base / 100 (for the claims).
inline void add_two_seeds(std::vector<results::report::JobRow>& rows, results::report::JobRow j, double base) {
  for (int seed = 1; seed <= 2; ++seed) {
    const double v = base * (seed == 1 ? 1.0 : 1.01);
    auto r = j;
    r.seed = seed;
    r.job_id = j.group_id + std::to_string(seed);
    r.metric[0] = v;
    r.metric[1] = v / 10;
    r.metric[2] = v / 100;
    rows.push_back(r);
  }
}

// A job of MODEL on P1 in VARIANT (Table 2's ablations; "" elsewhere) whose configuration is GROUP.
inline results::report::JobRow variant_job(const std::string& model, const std::string& variant,
                                           const std::string& group) {
  auto j = job_row(model, "P1", 1, 0, 0, 0);
  j.variant = variant;
  j.group_id = group;
  return j;
}

}  // namespace fufi::test
