#include "wire_format.h"

#include <nlohmann/json.hpp>

#include "fufi/core/json.h"

namespace fufi::orchestrator {

using json = nlohmann::json;

std::string to_json(const JobTicket& t) {
  json j = static_cast<const JobSpec&>(t);
  j["attempt"] = t.attempt;
  j["data_dir"] = t.data_dir;
  j["run_dir"] = t.run_dir;
  j["synthetic"] = t.synthetic;
  if (t.synthetic) {
    j["synth"] = {{"preset", t.synth.preset},
                  {"seed", t.synth.seed},
                  {"coarse_size", t.synth.coarse_size},
                  {"upscale", t.synth.upscale},
                  {"samples_per_task", t.synth.samples_per_task}};
  }
  return compact_json(j);
}

JobTicket ticket_from_json(const std::string& text) {
  const json j = json::parse(text);
  JobTicket t;
  static_cast<JobSpec&>(t) = j.get<JobSpec>();
  t.attempt = j.at("attempt").get<int>();
  t.data_dir = j.at("data_dir").get<std::string>();
  t.run_dir = j.at("run_dir").get<std::string>();
  t.synthetic = j.at("synthetic").get<bool>();
  if (t.synthetic) {
    const auto& s = j.at("synth");
    t.synth.preset = s.at("preset").get<std::string>();
    t.synth.seed = s.at("seed").get<std::uint64_t>();
    t.synth.coarse_size = s.at("coarse_size").get<std::int64_t>();
    t.synth.upscale = s.at("upscale").get<std::int64_t>();
    t.synth.samples_per_task = s.at("samples_per_task").get<std::int64_t>();
  }
  return t;
}

std::string provenance_json(const results::Provenance& p) {
  return compact_json(json{{"fufi_version", p.fufi_version}, {"git_commit", p.git_commit}, {"torch_version", p.torch_version},
                           {"cuda", p.cuda},                 {"nccl", p.nccl},             {"mpi_library", p.mpi_library},
                           {"host", p.host},                 {"gpu", p.gpu},               {"rank_group", p.rank_group},
                           {"blas", p.blas},                 {"malloc", p.malloc_library}});
}

results::Provenance provenance_from_json(const std::string& text) {
  const json j = json::parse(text);
  results::Provenance p;
  p.fufi_version = j.at("fufi_version").get<std::string>();
  p.git_commit = j.at("git_commit").get<std::string>();
  p.torch_version = j.at("torch_version").get<std::string>();
  p.cuda = j.at("cuda").get<std::string>();
  p.nccl = j.at("nccl").get<std::string>();
  p.mpi_library = j.at("mpi_library").get<std::string>();
  p.host = j.at("host").get<std::string>();
  p.gpu = j.at("gpu").get<std::string>();
  p.rank_group = j.at("rank_group").get<std::string>();
  p.blas = j.at("blas").get<std::string>();
  p.malloc_library = j.at("malloc").get<std::string>();
  return p;
}

std::string id_json(const std::string& job_id) { return compact_json(json{{"id", job_id}}); }

std::string id_from_json(const std::string& text) { return json::parse(text).at("id").get<std::string>(); }

namespace {

json epoch_object(const std::string& job_id, const EpochRecord& record) {
  json j = record;
  j["id"] = job_id;
  return j;
}

}  // namespace

std::string epoch_json(const std::string& job_id, const EpochRecord& record) {
  return compact_json(epoch_object(job_id, record));
}

EpochMessage epoch_from_json(const std::string& text) {
  const json j = json::parse(text);
  return {j.at("id").get<std::string>(), j.get<EpochRecord>()};
}

std::string begin_json(const std::string& job_id, std::int64_t last_epoch, const std::vector<EpochRecord>& replay) {
  json epochs = json::array();
  for (const auto& r : replay) epochs.push_back(epoch_object(job_id, r));
  return compact_json(json{{"id", job_id}, {"last_epoch", last_epoch}, {"epochs", epochs}});
}

BeginMessage begin_from_json(const std::string& text) {
  const json j = json::parse(text);
  BeginMessage m;
  m.job_id = j.at("id").get<std::string>();
  m.last_epoch = j.at("last_epoch").get<std::int64_t>();
  for (const auto& e : j.at("epochs")) m.replay.push_back(e.get<EpochRecord>());
  return m;
}

std::string result_json(const std::string& job_id, const results::Outcome& o) {
  return compact_json(json{{"id", job_id},
                           {"status", std::string(to_string(o.status))},
                           {"error_class", std::string(to_string(o.error_class))},
                           {"error", o.error},
                           {"test", o.test},
                           {"valid", o.valid},
                           {"parameters", o.parameters},
                           {"epochs_run", o.epochs_run},
                           {"best_epoch", o.best_epoch},
                           {"peak_memory_bytes", o.peak_memory_bytes},
                           {"early_stopped", o.early_stopped},
                           {"mean_epoch_seconds", o.mean_epoch_seconds},
                           {"wall_seconds", o.wall_seconds},
                           {"device", o.provenance.device},
                           {"ranks", o.provenance.ranks},
                           {"memory_format", o.provenance.memory_format},
                           {"memory_format_source", o.provenance.memory_format_source}});
}

ResultMessage result_from_json(const std::string& text, const results::Provenance& where) {
  const json j = json::parse(text);
  ResultMessage m;
  m.job_id = j.at("id").get<std::string>();
  results::Outcome& o = m.outcome;
  o.status = parse_job_status(j.at("status").get<std::string>());
  o.error_class = parse_error_class(j.at("error_class").get<std::string>());
  o.error = j.at("error").get<std::string>();
  o.test = j.at("test").get<FlowMetrics>();
  o.valid = j.at("valid").get<FlowMetrics>();
  o.parameters = j.at("parameters").get<std::int64_t>();
  o.epochs_run = j.at("epochs_run").get<std::int64_t>();
  o.best_epoch = j.at("best_epoch").get<std::int64_t>();
  o.peak_memory_bytes = j.at("peak_memory_bytes").get<std::int64_t>();
  o.early_stopped = j.at("early_stopped").get<bool>();
  o.mean_epoch_seconds = number_or_nan(j, "mean_epoch_seconds");
  o.wall_seconds = number_or_nan(j, "wall_seconds");
  o.provenance = where;
  o.provenance.device = j.at("device").get<std::string>();
  o.provenance.ranks = j.at("ranks").get<int>();
  o.provenance.memory_format = j.at("memory_format").get<std::string>();
  o.provenance.memory_format_source = j.at("memory_format_source").get<std::string>();
  return m;
}

}  // namespace fufi::orchestrator
