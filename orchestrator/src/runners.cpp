// The runners that train (TrainingRunner) or do nothing (NoopRunner), and how a job's failure and result
// become the store's outcome.
#include <new>

#include "fufi/core/error.h"
#include "fufi/orchestrator/runner.h"
#include "fufi/worker/failure.h"
#include "fufi/orchestrator/sweep_data.h"

namespace fufi::orchestrator {

ErrorClass error_class_of(const std::exception& e) {
  std::string message;
  return worker::classify(e, &message);
}

worker::RunResult failed_result(ErrorClass error_class, const std::exception& e) {
  worker::RunResult r;
  r.status = std::string(to_string(JobStatus::Failed));
  r.error_class = std::string(to_string(error_class));
  worker::classify(e, &r.error);  // the same human message as the engine's (first line, allocator failures said plainly)
  return r;
}

worker::RunResult TrainingRunner::run(const JobTicket& ticket, worker::RecordSink& sink, worker::Communicator& comm,
                                      const worker::EngineCallbacks& callbacks) {
  worker::TrainJob job = ticket;
  job.resume = true;
  try {
    // Torch threads for a job that leaves them to fufi (threads=0): the cores this rank may use, decided by the
    // worker (the engine's own default would count the coordinator among the node's ranks). `threads` is an
    // execution-only key, so a job resumed elsewhere, with another count, continues its checkpoint.
    if (ticket.worker_threads > 0 && job.settings.get_int("threads", 0) == 0)
      job.settings.set("threads", std::to_string(ticket.worker_threads), "sweep worker");
  } catch (const std::exception& e) {
    return failed_result(error_class_of(e), e);
  }
  try {
    // A worker on another node than the coordinator generates the same synthetic bytes locally.
    if (ticket.synthetic) ensure_synthetic_task(ticket.data_dir, ticket.synth, ticket.task);
  } catch (const std::exception& e) {
    return failed_result(ErrorClass::BadData, e);  // whatever went wrong, this job's data is not there
  }
  return worker::run_training(job, sink, comm, callbacks);
}

worker::RunResult NoopRunner::run(const JobTicket&, worker::RecordSink&, worker::Communicator& comm,
                                  const worker::EngineCallbacks&) {
  worker::RunResult result;
  result.device = "noop";
  result.ranks = comm.size();
  return result;
}

std::unique_ptr<JobRunner> make_runner(const std::string& name) {
  if (name == "train") return std::make_unique<TrainingRunner>();
  if (name == "noop") return std::make_unique<NoopRunner>();
  if (name == "fixture") return std::make_unique<FakeMetricsRunner>();  // report tests and docs
  FUFI_THROW(UsageError, "--runner: unknown runner '{}' (train, noop, fixture)", name);
}

results::Outcome outcome_of(const worker::RunResult& r, double wall_seconds, const results::Provenance& provenance) {
  results::Outcome o;
  o.status = parse_job_status(r.status);
  o.error_class = parse_error_class(r.error_class);
  o.error = r.error;
  o.test = r.test;
  o.valid = r.best_valid;
  o.parameters = r.parameters;
  o.epochs_run = r.epochs_run;
  o.best_epoch = r.best_epoch;
  o.peak_memory_bytes = r.peak_memory_bytes;
  o.early_stopped = r.early_stopped;
  o.mean_epoch_seconds = r.mean_epoch_seconds;
  o.wall_seconds = wall_seconds;
  o.provenance = provenance;
  o.provenance.device = r.device;
  o.provenance.ranks = r.ranks;
  o.provenance.memory_format = r.memory_format;
  o.provenance.memory_format_source = r.memory_format_source;
  return o;
}

}  // namespace fufi::orchestrator
