#include "sweep_sinks.h"

#include "wire_format.h"

namespace fufi::orchestrator {

worker::RunDirSink& RunDirTeeSink::files() {
  if (!files_) files_.emplace(run_dir_);
  return *files_;
}

void RunDirTeeSink::begin(std::int64_t last_epoch) {
  files().begin(last_epoch);
  forward_begin(last_epoch, worker::read_epoch_log(run_dir_));
}

void RunDirTeeSink::epoch(const worker::EpochRecord& r) {
  files().epoch(r);
  forward_epoch(r);
}

void CoordinatorSink::forward_begin(std::int64_t last_epoch, const std::vector<EpochRecord>& replay) {
  c_.begin(id_, last_epoch, replay);
  commit_.maybe();
}

void CoordinatorSink::forward_epoch(const EpochRecord& r) {
  c_.epoch(id_, r);
  commit_.maybe();
}

void LeaderSink::forward_begin(std::int64_t last_epoch, const std::vector<EpochRecord>& replay) {
  outbox_.send(comm_, 0, kBegin, begin_json(id_, last_epoch, replay));
}

void LeaderSink::forward_epoch(const EpochRecord& r) { outbox_.send(comm_, 0, kEpoch, epoch_json(id_, r)); }

}  // namespace fufi::orchestrator
