#pragma once
// What a training job reports: one record per epoch and one result. The engine emits them to a
// RecordSink and never writes a database: `fufi train` writes JSON files (RunDirSink), the sweep
// worker forwards them to the coordinator, which is the only writer of the database.
#include <cstdint>
#include <string>

#include "fufi/data/metrics.h"

namespace fufi::worker {

struct EpochRecord {
  std::int64_t epoch = 0;  // 0-based
  double train_loss = 0;   // mean over the epoch's training samples
  data::FlowMetrics valid;
  double lr = 0;
  double seconds = 0;
  double samples_per_second = 0;
  bool best = false;  // this epoch's validation MSE is the best so far
};

struct RunResult {
  std::string status = "done";  // done | failed
  std::string error_class;      // diverged | out_of_memory | bad_data | bad_config | runtime
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

// Writes `text` to `path` via a temporary file, fsync and rename: readers see the old or the new file.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace fufi::worker
