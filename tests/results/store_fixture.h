#pragma once
// A results DB for the store, schema and query tests: fresh files, job records, outcomes, one sweep.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "flow_metrics.h"
#include "fufi/results/store.h"
#include "fufi/results/table.h"

namespace fufi::test {

using namespace fufi::results;


// DIR/results.db in a directory unique to this process (emptied first; left for inspection after a failure).
inline std::string fresh_db(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("fufi_store_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "results.db").string();
}

inline JobRecord job(const std::string& id, const std::string& group, std::uint64_t seed, const std::string& lr = "0.0003") {
  JobRecord j;
  j.id = id;
  j.group_id = group;
  j.model = "srcnn";
  j.task = "P1";
  j.seed = seed;
  j.data = "synthetic:test";
  j.run_dir = "/tmp/runs/" + id;
  j.resolved = Config::from_assignments({"channels=8", "epochs=3", "loss=dualfocal", "lr=" + lr, "model=srcnn",
                                          "seed=" + std::to_string(seed)});
  return j;
}

inline Outcome done_with_mse(double mse) {
  Outcome o;
  o.status = JobStatus::Done;
  o.test = fufi::test::flow_metrics(mse, mse / 10, 0.5);
  o.valid = fufi::test::flow_metrics(mse + 1, 0.1, 0.6);
  o.parameters = 1234;
  o.epochs_run = 3;
  o.best_epoch = 2;
  o.wall_seconds = 1.5;
  o.provenance.host = "testhost";
  o.provenance.device = "cpu";
  o.provenance.blas = "/usr/lib/libblas.so.3";
  o.provenance.malloc_library = "libtcmalloc_minimal.so.4";
  return o;
}

inline Outcome failure(const std::string& message) {
  Outcome o;
  o.status = JobStatus::Failed;
  o.error_class = ErrorClass::Diverged;
  o.error = message;
  return o;
}

inline std::string cell(const Table& t, std::size_t row, const std::string& column) {
  for (std::size_t c = 0; c < t.columns().size(); ++c)
    if (t.columns()[c] == column) return t.rows().at(row)[c];
  ADD_FAILURE() << "no column " << column;
  return {};
}

struct Fixture {
  std::string path;
  std::unique_ptr<ResultsStore> store;
  std::int64_t sweep = 0, run = 0;
  explicit Fixture(const std::string& name, std::vector<JobRecord> jobs) : path(fresh_db(name)) {
    store = std::make_unique<ResultsStore>(path);
    sweep = store->register_sweep({"demo", "a test sweep", "demo.toml", "abc", "name = 'demo'", "synthetic:test", 2});
    store->sync_jobs(sweep, jobs, 2, false);
    run = store->begin_run(sweep, {"testhost", 3, 1, 2, "0.1.0", "abc"});
  }
};


}  // namespace fufi::test
