// fufi query DB [WHAT]: read the results database (read-only; safe while a sweep is writing it).
#include <iostream>

#include "commands.h"
#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/results/query.h"

namespace fufi::cli {

namespace {

struct QueryArgs {
  std::string db, what, sql, format = "table";
  std::vector<std::string> where;
  bool sql_given = false;
};

int run(const QueryArgs& a) {
  // An empty --sql is a mistake (an unset shell variable), not a request for the default view.
  FUFI_CHECK(!a.sql_given || !trim(a.sql).empty(), UsageError, "--sql: empty statement; give one read-only SQL statement");
  results::QueryRequest request;
  request.what = a.what;
  request.sql = a.sql;
  const auto format = results::parse_table_format(a.format);
  request.exact_numbers = format == results::TableFormat::Csv || format == results::TableFormat::Json;
  const Config filters = Config::from_assignments(a.where, "--where");
  for (const auto& [key, value] : filters.items()) request.where.emplace_back(key, value);
  std::cout << results::run_query(a.db, request).render(format);
  return 0;
}

}  // namespace

void add_query_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<QueryArgs>();
  std::vector<std::string> views;
  for (const auto& v : results::builtin_views()) views.push_back("  " + v.name + ": " + v.help);
  auto* cmd = app.add_subcommand("query", "Query a results database (read-only, also while a sweep runs). Views:\n" +
                                              join(views, "\n"));
  cmd->add_option("db", a->db, "Results database")->required();
  cmd->add_option("what", a->what, "A view: sweeps (default), jobs, summary, failures, epochs");
  cmd->add_option("--where", a->where, "key=value filter on a column or any config key (repeatable, ANDed)")
      ->allow_extra_args(false);  // one value per --set/--where: a positional after it stays positional
  auto* sql = cmd->add_option("--sql", a->sql, "One read-only SQL statement instead of a view (see docs/DATABASE.md)");
  cmd->add_option("--format", a->format, "table, csv, json or md")->capture_default_str();
  cmd->callback([a, sql, &exit_code] {
    a->sql_given = sql->count() > 0;
    exit_code = run(*a);
  });
}

}  // namespace fufi::cli
