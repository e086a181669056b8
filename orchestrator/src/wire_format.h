#pragma once
// The sweep's messages (private to fufi_orchestrator): their MPI tags and their JSON text. The records
// inside (JobSpec, EpochRecord, FlowMetrics) use the one codec of fufi/core/json.h; this file only adds the
// envelopes. Numbers that are not finite travel as null and come back as NaN.
//
//   HELLO      group leader -> coordinator  the group's provenance (host, GPUs, rank group, versions)
//   JOB        coordinator -> group leader  a JobTicket
//   STOP       coordinator -> group leader  "" : no more jobs
//   CANCEL     coordinator -> group leader  {"id"}: fail-fast stopped this job
//   BEGIN      group leader -> coordinator  {"id", "last_epoch", "epochs": [the run directory's records]}
//   EPOCH      group leader -> coordinator  {"id", ...EpochRecord}
//   HEARTBEAT  group leader -> coordinator  {"id"}
//   RESULT     group leader -> coordinator  {"id", ...Outcome without provenance, "device", "ranks"}
#include <cstdint>
#include <string>
#include <vector>

#include "fufi/orchestrator/runner.h"
#include "fufi/results/store.h"

namespace fufi::orchestrator {

enum Tag : int { kHello = 101, kJob, kStop, kCancel, kBegin, kEpoch, kHeartbeat, kResult };

std::string to_json(const JobTicket& ticket);
JobTicket ticket_from_json(const std::string& text);

std::string provenance_json(const results::Provenance& p);
results::Provenance provenance_from_json(const std::string& text);

// HEARTBEAT and CANCEL: a job id.
std::string id_json(const std::string& job_id);
std::string id_from_json(const std::string& text);

std::string epoch_json(const std::string& job_id, const EpochRecord& record);
struct EpochMessage {
  std::string job_id;
  EpochRecord record;
};
EpochMessage epoch_from_json(const std::string& text);

std::string begin_json(const std::string& job_id, std::int64_t last_epoch, const std::vector<EpochRecord>& replay);
struct BeginMessage {
  std::string job_id;
  std::int64_t last_epoch = -1;
  std::vector<EpochRecord> replay;
};
BeginMessage begin_from_json(const std::string& text);

std::string result_json(const std::string& job_id, const results::Outcome& outcome);
struct ResultMessage {
  std::string job_id;
  results::Outcome outcome;
};
// `where` is the group's provenance (from its HELLO); the message adds the device and rank count.
ResultMessage result_from_json(const std::string& text, const results::Provenance& where);

}  // namespace fufi::orchestrator
