#pragma once
// Where a sweep job's records go (private to fufi_orchestrator). Every sink that reports also writes the
// run directory as `fufi train` does (epochs.jsonl, metrics.json), created on first use so that a job that
// never reports (the no-op runner) leaves no directory behind.
#include <mpi.h>

#include <optional>
#include <string>

#include "fufi/orchestrator/coordinator.h"
#include "fufi/worker/records.h"
#include "mpi_transport.h"
#include "sweep_session.h"

namespace fufi::orchestrator {

// Writes the run directory, then tells subclasses about each record.
class RunDirTeeSink : public worker::RecordSink {
 public:
  explicit RunDirTeeSink(std::string run_dir) : run_dir_(std::move(run_dir)) {}
  void begin(std::int64_t last_epoch) override;
  void epoch(const worker::EpochRecord& r) override;
  void result(const worker::RunResult& r) override { files().result(r); }

 protected:
  // After the run directory has dropped the records past `last_epoch`; `replay` is what it kept.
  virtual void forward_begin(std::int64_t last_epoch, const std::vector<EpochRecord>& replay) = 0;
  virtual void forward_epoch(const EpochRecord& r) = 0;

 private:
  worker::RunDirSink& files();
  std::string run_dir_;
  std::optional<worker::RunDirSink> files_;
};

// The single-process path: records go straight to the coordinator.
class CoordinatorSink : public RunDirTeeSink {
 public:
  CoordinatorSink(Coordinator& c, CommitClock& commit, const JobTicket& t)
      : RunDirTeeSink(t.run_dir), c_(c), commit_(commit), id_(t.id) {}

 private:
  void forward_begin(std::int64_t last_epoch, const std::vector<EpochRecord>& replay) override;
  void forward_epoch(const EpochRecord& r) override;
  Coordinator& c_;
  CommitClock& commit_;
  std::string id_;
};

// A rank group's leader: records go to the coordinator as messages. On a resume it also sends the run
// directory's records up to the checkpoint, so the DB gets epochs that a dead sweep's worker checkpointed
// but its coordinator never recorded.
class LeaderSink : public RunDirTeeSink {
 public:
  LeaderSink(MPI_Comm comm, Outbox& outbox, const JobTicket& t)
      : RunDirTeeSink(t.run_dir), comm_(comm), outbox_(outbox), id_(t.id) {}

 private:
  void forward_begin(std::int64_t last_epoch, const std::vector<EpochRecord>& replay) override;
  void forward_epoch(const EpochRecord& r) override;
  MPI_Comm comm_;
  Outbox& outbox_;
  std::string id_;
};

// The other ranks of a group (and of `fufi train` under mpirun): rank 0 reports.
class NullSink : public worker::RecordSink {
 public:
  void epoch(const worker::EpochRecord&) override {}
  void result(const worker::RunResult&) override {}
};

}  // namespace fufi::orchestrator
