#include "fufi/results/query.h"

#include <algorithm>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/results/schema.h"
#include "fufi/results/sqlite.h"
#include "fufi/results/store.h"

namespace fufi::results {

const std::vector<BuiltinView>& builtin_views() {
  static const std::vector<BuiltinView> views{
      {"sweeps", "v_sweeps", "sweep", "one row per sweep: its jobs by status"},
      {"jobs", "v_jobs", "sweep, model, task, variant, seed, job_id",
       "one row per job and sweep: status, attempts, test metrics, parameters, timings, errors"},
      {"summary", "v_summary", "sweep, task, model, variant, group_id",
       "one row per configuration: test metrics as mean and std over the seeds that are done (n)"},
      {"failures", "v_failures", "finished_at, job_id, attempt", "every attempt that failed, was interrupted or cancelled"},
      {"epochs", "v_epochs", "job_id, epoch", "per-epoch training records of every job"},
      {"orphans", "v_orphans", "created_at, job_id",
       "jobs no sweep file has any more that are not done: they never run again (a removed configuration)"},
  };
  return views;
}

namespace {

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The values a filter matches: the text as typed and, for a number, its canonical spelling (how fufi
// stores config numbers) and its numeric value (for INTEGER/REAL columns).
struct FilterValue {
  std::string text;
  std::string canonical;
  bool numeric = false;
  double number = 0;
};

FilterValue filter_value(const std::string& text) {
  FilterValue v;
  v.text = text;
  v.canonical = text;
  if (parse_double(text, v.number)) {
    v.numeric = true;
    v.canonical = canonical_number(v.number);
  }
  return v;
}

Table table_from(Statement& s, bool exact_numbers) {
  std::vector<std::string> columns;
  for (int c = 0; c < s.column_count(); ++c) columns.push_back(s.column_name(c));
  std::vector<bool> numeric(columns.size(), true), seen(columns.size(), false);
  std::vector<std::vector<std::string>> rows;
  while (s.step()) {
    std::vector<std::string> cells;
    for (int c = 0; c < s.column_count(); ++c) {
      const auto i = static_cast<std::size_t>(c);
      if (s.is_null(c)) {
        cells.emplace_back();
      } else if (s.is_integer(c)) {
        cells.push_back(std::to_string(s.column_int(c)));
        seen[i] = true;
      } else if (s.is_real(c)) {
        const double x = s.column_double(c);
        cells.push_back(exact_numbers ? fmt::format("{}", x) : fmt::format("{:.6g}", x));
        seen[i] = true;
      } else {
        cells.push_back(s.column_text(c));
        numeric[i] = false;
      }
    }
    rows.push_back(std::move(cells));
  }
  Table table(columns);
  for (std::size_t c = 0; c < columns.size(); ++c) table.set_numeric(columns[c], numeric[c] && seen[c]);
  for (auto& r : rows) table.add_row(std::move(r));
  return table;
}

}  // namespace

Table run_query(const std::string& db_path, const QueryRequest& request) {
  Database db(db_path, Database::Mode::ReadOnly);
  check_readable_schema(db);
  // 64 MiB of page cache, as the writer has (store.cpp): a summary of 100,000 jobs reads each of their pages
  // more than once, and SQLite's default 2 MiB re-reads them from the file (issue #17).
  db.exec("PRAGMA cache_size = -65536");

  if (!request.sql.empty()) {
    FUFI_CHECK(request.what.empty() && request.where.empty(), UsageError,
               "--sql: give either a view name with --where filters, or --sql, not both");
    auto s = db.prepare(request.sql);
    FUFI_CHECK(s.read_only(), UsageError, "--sql: only statements that read are allowed (the connection is read-only)");
    return table_from(s, request.exact_numbers);
  }

  const std::string what = request.what.empty() ? "sweeps" : request.what;
  const auto& views = builtin_views();
  auto it = std::find_if(views.begin(), views.end(), [&](const BuiltinView& v) { return v.name == what; });
  if (it == views.end()) {
    std::vector<std::string> names;
    for (const auto& v : views) names.push_back(v.name);
    FUFI_THROW(UsageError, "unknown view '{}'{}; views: {} (or --sql)", what, did_you_mean(what, names), join(names, ", "));
  }

  std::vector<std::string> columns;
  {
    auto probe = db.prepare("SELECT * FROM " + it->view + " LIMIT 0");
    for (int c = 0; c < probe.column_count(); ++c) columns.push_back(probe.column_name(c));
  }
  const bool has_job = std::count(columns.begin(), columns.end(), "job_id") > 0;
  const bool has_group = std::count(columns.begin(), columns.end(), "group_id") > 0;

  std::vector<std::string> clauses;
  std::vector<std::string> params;
  std::vector<std::pair<std::size_t, double>> numeric_params;  // (1-based index, value)
  auto add_param = [&](const std::string& text) {
    params.push_back(text);
    return fmt::format("?{}", params.size());
  };
  for (const auto& [key, raw] : request.where) {
    const FilterValue v = filter_value(raw);
    if (std::count(columns.begin(), columns.end(), key)) {
      std::string clause = fmt::format("({0} = {1} OR {0} = {2}", quote_identifier(key), add_param(v.text), add_param(v.canonical));
      if (v.numeric) {
        const std::string p = add_param(v.text);
        numeric_params.emplace_back(params.size(), v.number);
        clause += fmt::format(" OR {} = {}", quote_identifier(key), p);
      }
      clauses.push_back(clause + ")");
      continue;
    }
    // Not a column: a resolved config key, matched through job_config.
    auto known = db.prepare("SELECT 1 FROM job_config WHERE key = ?1 LIMIT 1");
    known.bind(1, key);
    if (!known.step() || !(has_job || has_group)) {
      std::vector<std::string> candidates = columns;
      if (has_job || has_group) {
        auto keys = db.prepare("SELECT DISTINCT key FROM job_config ORDER BY key");
        while (keys.step()) candidates.push_back(keys.column_text(0));
      }
      FUFI_THROW(UsageError, "--where {}: '{}' is neither a column of '{}'{}{}; columns: {}", key, key, what,
                 has_job || has_group ? " nor a config key of any job" : "", did_you_mean(key, candidates),
                 join(columns, ", "));
    }
    const std::string match = fmt::format("SELECT job_id FROM job_config WHERE key = {} AND (value = {} OR value = {})",
                                          add_param(key), add_param(v.text), add_param(v.canonical));
    if (has_job) clauses.push_back(fmt::format("job_id IN ({})", match));
    else clauses.push_back(fmt::format("group_id IN (SELECT group_id FROM jobs WHERE job_id IN ({}))", match));
  }

  std::string sql = "SELECT * FROM " + it->view;
  if (!clauses.empty()) sql += " WHERE " + join(clauses, " AND ");
  sql += " ORDER BY " + it->order;
  auto s = db.prepare(sql);
  for (std::size_t i = 0; i < params.size(); ++i) s.bind(static_cast<int>(i + 1), params[i]);
  for (const auto& [index, number] : numeric_params) s.bind(static_cast<int>(index), number);
  return table_from(s, request.exact_numbers);
}

}  // namespace fufi::results
