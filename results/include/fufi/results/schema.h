#pragma once
// The results database's schema version (PRAGMA user_version) and the checks every reader and writer makes
// before touching a database. Implemented in schema.cpp, which holds the migrations (docs/DATABASE.md).
#include "fufi/results/sqlite.h"

namespace fufi::results {

// The schema this build writes and reads. Migrations are append-only: version N's SQL turns a
// version N-1 database into version N.
int schema_version();
// Brings `db` to schema_version(), each step in its own transaction. InputError when the file was
// written by a newer fufi (its user_version is higher), or is an SQLite file that is not fufi's.
void migrate(Database& db);
// The same up to version `target` (1..schema_version()): the tests make a database of an older version with it,
// to check that it opens and migrates.
void migrate(Database& db, int target);

// InputError naming the file when `db` was written by a newer fufi than this one.
void check_schema_not_newer(Database& db);
// check_schema_not_newer, and InputError when `db` has no schema version at all (not a fufi results DB):
// what every reader (`fufi query`, `fufi report`) checks.
void check_readable_schema(Database& db);

}  // namespace fufi::results
