#pragma once
// What a training job reports: one record per epoch and one result. The engine emits them to a
// RecordSink and never writes a database: `fufi train` writes JSON files (RunDirSink), the sweep
// worker forwards them to the coordinator, which is the only writer of the database.
#include <cstdint>
#include <string>
#include <vector>

#include "fufi/core/job.h"
#include "fufi/data/metrics.h"

namespace fufi::worker {

// One epoch's record: the type shared with the orchestrator and the results DB (fufi/core/job.h).
using EpochRecord = ::fufi::EpochRecord;

struct RunResult {
  // Text of a fufi::JobStatus and fufi::ErrorClass (fufi/core/status.h; parse_job_status/parse_error_class).
  std::string status = "done";  // done | failed | interrupted (stop_after_epochs)
  std::string error_class;      // diverged | out_of_memory | bad_data | bad_config | runtime; "" unless failed
  std::string error;            // the message, naming file/epoch/step where it applies
  data::FlowMetrics test;       // of the best-validation checkpoint
  data::FlowMetrics best_valid;
  std::int64_t best_epoch = -1;
  std::int64_t epochs_run = 0;
  bool early_stopped = false;
  std::int64_t parameters = 0;
  double mean_epoch_seconds = 0;
  std::int64_t peak_memory_bytes = 0;  // process RSS peak on CPU; CUDA allocator peak on GPUs
  std::string device;
  int ranks = 1;
  // The memory format the job trained in (channels_last | contiguous), and how it was chosen: "set" by the
  // user's key, or by channels_last=auto "measured" here or "cached" (worker/autotune.h), with the timings.
  std::string memory_format;
  std::string memory_format_source;
  double contiguous_ms = 0, channels_last_ms = 0;
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Called after a job resumes from a checkpoint whose last finished epoch is `last_epoch`
  // (-1: a fresh start), before any new epoch record.
  virtual void begin(std::int64_t last_epoch) {}
  virtual void epoch(const EpochRecord& record) = 0;
  virtual void result(const RunResult& result) = 0;
};

// RUN_DIR/epochs.jsonl (one JSON object per epoch) and RUN_DIR/metrics.json (written atomically).
class RunDirSink : public RecordSink {
 public:
  explicit RunDirSink(std::string run_dir);
  void begin(std::int64_t last_epoch) override;
  void epoch(const EpochRecord& record) override;
  void result(const RunResult& result) override;

 private:
  std::string dir_;
};

std::string to_json(const EpochRecord& record);
std::string to_json(const RunResult& result);
std::string to_json(const data::FlowMetrics& metrics);

// The epoch records RUN_DIR/epochs.jsonl holds, as RunDirSink writes them; lines that do not parse as an
// epoch record (a torn last line after a kill) are skipped. Empty when the file does not exist.
std::vector<EpochRecord> read_epoch_log(const std::string& run_dir);

}  // namespace fufi::worker
