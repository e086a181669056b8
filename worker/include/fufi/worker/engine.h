#pragma once
// The training engine: one job = one model trained on one dataset with one seed, by the ranks of one
// data-parallel group (a Communicator). Paper recipe by default (Adam, lr 3e-4 halved every 8 epochs,
// 100 epochs, batch 20, early stopping on validation MSE, the best-validation checkpoint is tested).
//
// RUN_DIR holds last.ckpt (every epoch, atomically), best.ckpt (the best validation MSE so far) and,
// through a RunDirSink, epochs.jsonl and metrics.json. Rerunning a job whose RUN_DIR has last.ckpt
// continues from it to the same result an uninterrupted run reaches (same seed, build and device).
#include <cstdint>
#include <functional>
#include <string>

#include "fufi/core/config.h"
#include "fufi/core/job.h"
#include "fufi/worker/records.h"
#include "fufi/worker/communicator.h"

namespace fufi::worker {

// A JobSpec (fufi/core/job.h: model, task, seed and the user's model, loss and training keys in `settings`)
// and where it reads and writes.
struct TrainJob : JobSpec {
  std::string data_dir;  // a dataset directory, or a TaxiBJ-style root with `task`
  std::string run_dir;
  bool resume = true;    // continue from RUN_DIR/last.ckpt when it exists (and reads); false: remove it and best.ckpt
  // Stop (as if killed right after a checkpoint) once this many epochs have run in this call;
  // -1: run to the end. Lets tests and the sweep interrupt a job at an exact point.
  std::int64_t stop_after_epochs = -1;
  // Non-empty: append step diagnostics (worker/diagnosis.h) to this file; `diagnose_steps` first steps and
  // every step whose loss jumps.
  std::string diagnose_path;
  std::int64_t diagnose_steps = 20;
  // Refuse what data loading otherwise warns about (a spatial-constraint violation, ext continuous columns
  // outside 0..1) as bad_data.
  bool strict_data = false;
};

struct EngineCallbacks {
  std::function<void(const EpochRecord&)> on_epoch;  // after each epoch's checkpoint (rank 0 only)
  std::function<void()> heartbeat;                    // at least once per training step (all ranks)
  std::function<void(const std::string&)> on_warning;  // e.g. ext columns outside 0..1 (rank 0 only)
};

// Runs the job. Failures are classified into RunResult (status "failed", error_class, error) and
// reported to the sink, never swallowed; exit_code_for() maps them to the CLI's exit codes.
// With several ranks, rank 0 alone writes the run directory and calls the sink. Rank 0 holds RUN_DIR/.lock
// (fufi::FileLock) for the whole run: when another process holds it the job fails with bad_data naming the
// holder and writes nothing in RUN_DIR. A last.ckpt that does not read is not resumed from (a warning on
// stderr; the job starts fresh). A failure to write metrics.json fails the job (class io).
RunResult run_training(const TrainJob& job, RecordSink& sink, Communicator& comm, const EngineCallbacks& callbacks = {});

// 0 for done; 2 for bad_data/bad_config; 1 otherwise. An interrupted run (stop_after_epochs) is 0.
int exit_code_for(const RunResult& result);

}  // namespace fufi::worker
