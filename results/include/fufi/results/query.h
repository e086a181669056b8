#pragma once
// Read-only queries of a results database: the built-in views (`fufi query DB WHAT`) filtered by
// `--where key=value` (bound parameters, never spliced into SQL), or one read-only SQL statement.
#include <string>
#include <utility>
#include <vector>

#include "fufi/results/table.h"

namespace fufi::results {

struct QueryRequest {
  std::string what;  // a built-in view name (builtin_views()); "" with `sql`
  // key=value filters, ANDed. A key is a column of the view, or any resolved config key (matched through
  // job_config, for views with a job_id or group_id column). Numbers match in any spelling (3e-4 = 0.0003).
  std::vector<std::pair<std::string, std::string>> where;
  std::string sql;  // one statement that cannot write (checked by SQLite, on a read-only connection)
  bool exact_numbers = false;  // true: full precision (csv/json); false: 6 significant digits for reading
};

struct BuiltinView {
  std::string name;   // what the user types
  std::string view;   // the SQL view
  std::string order;  // ORDER BY of the listing
  std::string help;
};
const std::vector<BuiltinView>& builtin_views();

// Opens DB read-only (the connection can never modify it) and runs the request. UsageError for an
// unknown view or filter key (with the nearest name) and for SQL that fails or would write.
Table run_query(const std::string& db_path, const QueryRequest& request);

}  // namespace fufi::results
