#include "report_data.h"

#include <cmath>
#include <map>

#include "fufi/results/report_stats.h"

namespace fufi::results::report {

namespace {

double column_or_nan(Statement& s, int c) { return s.is_null(c) ? kNaN : s.column_double(c); }

// The config keys a report needs besides the columns of `jobs`, from the job's config set (job_config's rows;
// read through the view, each lookup would read that key of every job: docs/DATABASE.md).
constexpr const char* kJobsSql = R"SQL(
    SELECT sj.variant, j.job_id, j.group_id, j.model, j.task, j.seed, j.status, coalesce(j.error_class, ''),
           coalesce(j.error, ''), j.data,
           coalesce((SELECT value FROM config_set_keys c WHERE c.config_set = j.config_set AND c.key = 'loss'), ''),
           coalesce((SELECT value FROM config_set_keys c WHERE c.config_set = j.config_set AND c.key = 'channels'), ''),
           coalesce((SELECT value FROM config_set_keys c WHERE c.config_set = j.config_set AND c.key = 'depth'), ''),
           t.mse, t.mae, t.mape, p.parameters, p.mean_epoch_seconds, coalesce(p.device, ''), coalesce(p.gpu, '')
    FROM sweeps sw
    JOIN sweep_jobs sj ON sj.sweep_id = sw.sweep_id
    JOIN jobs j ON j.job_id = sj.job_id
    LEFT JOIN results t ON t.job_id = j.job_id AND t.split = 'test'
    LEFT JOIN provenance p ON p.job_id = j.job_id
    WHERE sw.name = ?1
    ORDER BY j.model, j.task, sj.variant, j.seed, j.job_id)SQL";

// Every job's resolved configuration, for the items that read keys beyond the columns (naive references'
// context modes, the fidelity switches).
constexpr const char* kConfigSql = R"SQL(
    SELECT j.job_id, c.key, c.value
    FROM sweeps sw
    JOIN sweep_jobs sj ON sj.sweep_id = sw.sweep_id
    JOIN jobs j ON j.job_id = sj.job_id
    JOIN config_set_keys c ON c.config_set = j.config_set
    WHERE sw.name = ?1
    UNION ALL
    SELECT j.job_id, 'seed', json_extract(j.config, '$.seed')
    FROM sweeps sw
    JOIN sweep_jobs sj ON sj.sweep_id = sw.sweep_id
    JOIN jobs j ON j.job_id = sj.job_id
    WHERE sw.name = ?1 AND json_extract(j.config, '$.seed') IS NOT NULL)SQL";

JobRow job_row(Statement& s) {
  JobRow r;
  r.variant = s.column_text(0);
  r.job_id = s.column_text(1);
  r.group_id = s.column_text(2);
  r.model = s.column_text(3);
  r.task = s.column_text(4);
  r.seed = s.column_int(5);
  r.status = parse_job_status(s.column_text(6));
  r.error_class = parse_error_class(s.column_text(7));
  r.error = s.column_text(8);
  r.data = s.column_text(9);
  r.loss = s.column_text(10);
  r.channels = s.column_text(11);
  r.depth = s.column_text(12);
  if (r.done()) {
    for (int m = 0; m < 3; ++m) r.metric[m] = column_or_nan(s, 13 + m);
    r.parameters = column_or_nan(s, 16);
    r.epoch_seconds = column_or_nan(s, 17);
  }
  r.device = s.column_text(18);
  r.gpu = s.column_text(19);
  return r;
}

}  // namespace

SweepJobs read_sweep_jobs(Database& db, const std::string& name) {
  SweepJobs out;
  out.name = name;
  auto sweep = db.prepare("SELECT file, data FROM sweeps WHERE name = ?1");
  sweep.bind(1, name);
  if (!sweep.step()) return out;
  out.present = true;
  out.file = sweep.column_text(0);
  out.data = sweep.column_text(1);
  auto s = db.prepare(kJobsSql);
  s.bind(1, name);
  std::map<std::string, std::size_t> index;
  while (s.step()) {
    out.jobs.push_back(job_row(s));
    index[out.jobs.back().job_id] = out.jobs.size() - 1;
  }
  auto config = db.prepare(kConfigSql);
  config.bind(1, name);
  while (config.step()) {
    const auto it = index.find(config.column_text(0));
    if (it != index.end()) out.jobs[it->second].config[config.column_text(1)] = config.column_text(2);
  }
  return out;
}

std::vector<const JobRow*> all_rows(const SweepJobs& sweep) {
  std::vector<const JobRow*> out;
  for (const auto& j : sweep.jobs) out.push_back(&j);
  return out;
}

std::map<std::string, std::string> configuration_of(const JobRow& job) {
  std::map<std::string, std::string> c = job.config;
  c.erase("seed");
  const std::pair<const char*, const std::string*> columns[] = {{"model", &job.model}, {"task", &job.task},
                                                               {"data", &job.data},   {"loss", &job.loss},
                                                               {"channels", &job.channels}, {"depth", &job.depth}};
  for (const auto& [key, value] : columns)
    if (!c.count(key) && !value->empty()) c[key] = *value;
  return c;
}

std::vector<std::string> differing_keys(const std::vector<const JobRow*>& jobs) {
  std::vector<std::map<std::string, std::string>> configs;
  std::set<std::string> keys;
  for (const auto* j : jobs) {
    configs.push_back(configuration_of(*j));
    for (const auto& [k, v] : configs.back()) keys.insert(k);
  }
  std::vector<std::string> out;
  for (const auto& k : keys) {
    std::set<std::string> values;
    for (const auto& c : configs) values.insert(c.count(k) ? c.at(k) : "(unset)");
    if (values.size() > 1) out.push_back(k);
  }
  return out;
}

void split_configurations(SweepJobs& sweep, const std::function<std::string(const JobRow&)>& cell_of,
                          const std::function<std::string(const JobRow&)>& row_of, const std::set<std::string>& shown) {
  std::map<std::string, std::vector<const JobRow*>> cells;
  for (auto& j : sweep.jobs) {
    j.distinct.clear();
    cells[cell_of(j)].push_back(&j);
  }
  std::map<std::string, std::set<std::string>> keys_of_row;  // row -> the keys that tell its configurations apart
  for (const auto& [cell, jobs] : cells) {
    std::set<std::string> groups;
    for (const auto* j : jobs) groups.insert(j->group_id);
    if (groups.size() < 2) continue;
    for (const auto& k : differing_keys(jobs))
      if (!shown.count(k)) keys_of_row[row_of(*jobs.front())].insert(k);
  }
  if (keys_of_row.empty()) return;
  for (auto& j : sweep.jobs) {
    const auto it = keys_of_row.find(row_of(j));
    if (it == keys_of_row.end()) continue;
    const auto config = configuration_of(j);
    std::string parts;
    for (const auto& k : it->second)
      parts += (parts.empty() ? "" : ", ") + k + "=" + (config.count(k) ? config.at(k) : "(unset)");
    j.distinct = " [" + parts + "]";
  }
}

SweepJobs split_rows(const SweepJobs& sweep, const std::function<std::string(const JobRow&)>& row_of, bool per_task) {
  SweepJobs out = sweep;
  split_configurations(
      out, [&](const JobRow& j) { return per_task ? row_of(j) + "\n" + j.task : row_of(j); }, row_of);
  return out;
}

std::string base_key(const std::string& row_key) {
  const auto at = row_key.find(" [");
  return at == std::string::npos ? row_key : row_key.substr(0, at);
}

std::vector<double> CellStats::values(int metric) const {
  std::vector<double> v;
  if (mixed()) return v;  // never an average over configurations
  for (const auto* j : jobs)
    if (j->done() && !std::isnan(j->metric[metric])) v.push_back(j->metric[metric]);
  return v;
}

std::vector<double> CellStats::of(double JobRow::*field) const {
  std::vector<double> v;
  if (mixed()) return v;
  for (const auto* j : jobs)
    if (j->done() && !std::isnan(j->*field)) v.push_back(j->*field);
  return v;
}

int CellStats::done() const {
  int n = 0;
  for (const auto* j : jobs) n += j->done();
  return n;
}

double CellStats::mean(int metric) const { return mean_of(values(metric)); }
double CellStats::std(int metric) const { return sample_std(values(metric)); }

}  // namespace fufi::results::report
