#pragma once
// What a sweep worker runs: a JobTicket (one job, as the coordinator sends it) executed by a JobRunner.
// The runner is an interface so that the orchestrator's own cost can be measured with jobs that do
// nothing (NoopRunner), through exactly the path real training takes.
#include <cstdint>
#include <string>
#include <vector>

#include "fufi/core/config.h"
#include "fufi/data/synth.h"
#include "fufi/results/store.h"
#include "fufi/worker/engine.h"

namespace fufi::orchestrator {

struct JobTicket {
  std::string id;
  std::string model, task, variant;
  std::uint64_t seed = 1;
  int attempt = 1;
  Config settings;       // the sweep's keys for this job
  std::string data_dir;  // a TaxiBJ-layout root (with task) or the synthetic data cache
  std::string run_dir;   // <runs>/<job id>: checkpoints, so a re-queued job resumes
  bool synthetic = false;
  data::SynthOptions synth;  // synthetic: a worker on another node regenerates the same bytes if missing
  // Set where the job runs, not sent: torch threads for a job that leaves `threads` at 0 (the cores this
  // rank may use; execution-only, so a resumed job may use another count). 0: the engine's own default.
  int worker_threads = 0;
};

std::string to_json(const JobTicket& ticket);
JobTicket ticket_from_json(const std::string& text);

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Runs `job` on this rank group: every rank of the group calls it with the same ticket and its
  // group's reducer. Rank 0 of the group reports epochs to `sink`. Failures are returned, not thrown.
  virtual worker::RunResult run(const JobTicket& job, worker::RecordSink& sink, worker::Reducer& reducer,
                                const worker::EngineCallbacks& callbacks) = 0;
};

// Real training (worker::run_training), after making sure synthetic data exists on this node.
class TrainingRunner : public JobRunner {
 public:
  worker::RunResult run(const JobTicket& job, worker::RecordSink& sink, worker::Reducer& reducer,
                        const worker::EngineCallbacks& callbacks) override;
};

// Does nothing and reports success with zero metrics: measures the coordinator, MPI and DB overhead.
class NoopRunner : public JobRunner {
 public:
  worker::RunResult run(const JobTicket& job, worker::RecordSink& sink, worker::Reducer& reducer,
                        const worker::EngineCallbacks& callbacks) override;
};

// Completes every job at once with made-up but deterministic results, so that the report's tables and
// figures can be produced from the paper's sweep files without hours of training (tests, docs): test and
// validation metrics derived from the job id's hash, one epoch record per epoch (at most 3) with hashed
// seconds, and the model's real parameter count (the registry's, at the job's data shape; cached).
// Its device is "fixture", which `fufi report` prints as "fixture metrics (not measured)".
class FixtureRunner : public JobRunner {
 public:
  worker::RunResult run(const JobTicket& job, worker::RecordSink& sink, worker::Reducer& reducer,
                        const worker::EngineCallbacks& callbacks) override;
};

// This process's versions and place: what every job's provenance starts from.
results::Provenance local_provenance();

// The epoch records a run directory holds (RUN_DIR/epochs.jsonl, as RunDirSink writes it); a torn
// last line is skipped. Empty when there is none.
std::vector<results::EpochRow> read_epoch_log(const std::string& run_dir);

// The worker-side conversions of the engine's records into the store's rows.
results::EpochRow epoch_row(const worker::EpochRecord& record);
results::Outcome outcome_of(const worker::RunResult& result, double wall_seconds, const results::Provenance& provenance);

}  // namespace fufi::orchestrator
