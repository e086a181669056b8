#pragma once
// A Coordinator over a fresh DB and a small synthetic sweep (two uniform jobs on P1), for the tests of what
// sits around it: sinks, progress, sessions.
#include <memory>
#include <string>

#include "fufi/orchestrator/coordinator.h"
#include "fufi/orchestrator/sweep.h"
#include "fufi/results/store.h"
#include "scratch_dir.h"

namespace fufi::test {

inline const char* kTwoJobSweep =
    "name = \"two\"\nseeds = 2\n[data]\nsynthetic = \"small\"\ncoarse_size = 8\nupscale = 4\nsamples_per_task = 20\n"
    "[training]\nepochs = 2\n[axes]\nmodel = \"uniform\"\ntask = \"P1\"\n";

struct CoordinatorFixture {
  ScratchDir dir;
  std::string db;
  orchestrator::Sweep sweep;
  std::unique_ptr<results::ResultsStore> store;
  std::unique_ptr<orchestrator::Coordinator> coordinator;

  explicit CoordinatorFixture(const std::string& name)
      : dir(name), db(dir / "results.db"), sweep(orchestrator::parse_sweep(kTwoJobSweep, "two.toml")) {
    store = std::make_unique<results::ResultsStore>(db);
    orchestrator::CoordinatorOptions o;
    o.runs_dir = dir / "runs";
    o.data_dir = dir / "data";
    coordinator = std::make_unique<orchestrator::Coordinator>(*store, sweep, o);
  }
};

}  // namespace fufi::test
