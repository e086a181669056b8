#pragma once
// What a sweep worker runs: a JobTicket (one job, as the coordinator sends it) executed by a JobRunner.
// The runner is an interface so that the orchestrator's own cost can be measured with jobs that do
// nothing (NoopRunner), through exactly the path real training takes.
#include <exception>
#include <memory>
#include <string>

#include "fufi/core/status.h"
#include "fufi/data/synth.h"
#include "fufi/results/store.h"
#include "fufi/worker/engine.h"

namespace fufi::orchestrator {

// A job as a worker gets it: the engine's TrainJob (the JobSpec, data_dir and run_dir = <runs>/<job id>, so a
// re-queued job resumes from its checkpoints) and what the sweep adds. Its wire form: wire_format.cpp.
struct JobTicket : worker::TrainJob {
  int attempt = 1;
  bool synthetic = false;
  data::SynthOptions synth;  // synthetic: a worker on another node regenerates the same bytes if missing
  // Set where the job runs, not sent: torch threads for a job that leaves `threads` at 0 (the cores this
  // rank may use; execution-only, so a resumed job may use another count). 0: the engine's own default.
  int worker_threads = 0;
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Runs `job` on this rank group: every rank of the group calls it with the same ticket and its
  // group's comm. Rank 0 of the group reports epochs to `sink`. Failures are returned, not thrown.
  virtual worker::RunResult run(const JobTicket& job, worker::RecordSink& sink, worker::Communicator& comm,
                                const worker::EngineCallbacks& callbacks) = 0;
  // Whether its jobs read the data's files (the sweep then checks them once before it starts).
  virtual bool reads_data() const { return true; }
};

// Real training (worker::run_training), after making sure synthetic data exists on this node.
class TrainingRunner : public JobRunner {
 public:
  worker::RunResult run(const JobTicket& job, worker::RecordSink& sink, worker::Communicator& comm,
                        const worker::EngineCallbacks& callbacks) override;
};

// Does nothing and reports success with zero metrics: measures the coordinator, MPI and DB overhead.
class NoopRunner : public JobRunner {
 public:
  worker::RunResult run(const JobTicket& job, worker::RecordSink& sink, worker::Communicator& comm,
                        const worker::EngineCallbacks& callbacks) override;
  bool reads_data() const override { return false; }
};

// Completes every job at once with made-up but deterministic results, so that the report's tables and
// figures can be produced from the paper's sweep files without hours of training (tests, docs): test and
// validation metrics derived from the job id's hash, one epoch record per epoch (at most 3) with hashed
// seconds, and the model's real parameter count (the registry's, at the job's data shape; cached).
// Its device is "fixture" (`--runner fixture`), which `fufi report` prints as "fixture metrics (not measured)".
class FakeMetricsRunner : public JobRunner {
 public:
  worker::RunResult run(const JobTicket& job, worker::RecordSink& sink, worker::Communicator& comm,
                        const worker::EngineCallbacks& callbacks) override;
  bool reads_data() const override { return false; }
};

// The runner `fufi sweep --runner NAME` names: train (TrainingRunner), noop (NoopRunner) or fixture
// (FakeMetricsRunner). UsageError naming the valid ones for anything else.
std::unique_ptr<JobRunner> make_runner(const std::string& name);

// A failed RunResult: `error_class`, and the exception's message (fufi::Error: without the throw site).
worker::RunResult failed_result(ErrorClass error_class, const std::exception& e);
// The class of an exception that escaped a job: a fufi::Error by its kind (fufi/core/status.h),
// std::bad_alloc as out_of_memory, anything else as runtime.
ErrorClass error_class_of(const std::exception& e);

// The store's record of a finished attempt: the engine's result, as the worker measured and placed it.
results::Outcome outcome_of(const worker::RunResult& result, double wall_seconds, const results::Provenance& provenance);

}  // namespace fufi::orchestrator
