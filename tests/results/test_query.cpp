// `fufi query` (query.cpp): read-only, bound filter values, readers beside the writer.
#include <gtest/gtest.h>

#include <fstream>

#include "fufi/core/error.h"
#include "fufi/results/query.h"
#include "fufi/results/schema.h"
#include "fufi/results/sqlite.h"
#include "store_fixture.h"

namespace fufi_test_query {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::test;

TEST(ResultsQuery, IsReadOnlyAndBindsFilterValues) {
  Fixture f("query", {job("a", "g", 1), job("b", "g", 2)});
  QueryRequest q;
  q.sql = "DELETE FROM jobs";
  EXPECT_THROW(run_query(f.path, q), UsageError);
  q.sql = "UPDATE jobs SET status = 'done'";
  EXPECT_THROW(run_query(f.path, q), UsageError);
  q.sql = "SELECT count(*) AS n FROM jobs; DROP TABLE jobs";
  EXPECT_THROW(run_query(f.path, q), UsageError);
  q.sql = "SELECT count(*) AS n FROM jobs";
  EXPECT_EQ(cell(run_query(f.path, q), 0, "n"), "2");

  // A value that looks like SQL is only ever a value.
  QueryRequest w;
  w.what = "jobs";
  w.where = {{"model", "srcnn' OR '1'='1"}};
  EXPECT_EQ(run_query(f.path, w).rows().size(), 0u);
  w.where = {{"model", "srcnn"}, {"seed", "2"}};
  const auto one = run_query(f.path, w);
  ASSERT_EQ(one.rows().size(), 1u);
  EXPECT_EQ(cell(one, 0, "job_id"), "b");
  w.where = {{"sed", "2"}};
  try {
    run_query(f.path, w);
    FAIL() << "unknown filter key accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(e.message().find("did you mean 'seed'"), std::string::npos) << e.message();
  }
  w.what = "jbos";
  w.where.clear();
  try {
    run_query(f.path, w);
    FAIL() << "unknown view accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(e.message().find("did you mean 'jobs'"), std::string::npos) << e.message();
  }
  Database db(f.path, Database::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM jobs"), 2);
  EXPECT_THROW(db.exec("DELETE FROM jobs"), Error);
}

TEST(ResultsQuery, ReadersSeeCommittedBatchesWhileTheWriterHoldsOne) {
  Fixture f("concurrent", {job("a", "g", 1)});
  f.store->start_attempt("a", 1, f.run, "h", "0");
  f.store->commit();
  f.store->finish_attempt("a", 1, done_with_mse(3), false);  // an open batch: not visible yet
  QueryRequest q;
  q.what = "jobs";
  EXPECT_EQ(cell(run_query(f.path, q), 0, "status"), "running");
  f.store->commit();
  EXPECT_EQ(cell(run_query(f.path, q), 0, "status"), "done");
  const auto states = read_job_states(f.path, {"a", "zzz"});
  EXPECT_EQ(states.size(), 1u);
  EXPECT_EQ(states.at("a").status, JobStatus::Done);
  EXPECT_TRUE(read_job_states(f.path + ".absent", {"a"}).empty());
}

}  // namespace fufi_test_query
