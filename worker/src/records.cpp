#include "fufi/worker/records.h"

#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "fufi/core/atomic_file.h"
#include "fufi/core/error.h"
#include "fufi/core/json.h"
#include "fufi/core/status.h"

namespace fufi::worker {

using json = nlohmann::json;

namespace {

// An epochs.jsonl line as a record, or nothing for a line that is not one (a torn last line after a kill).
std::optional<EpochRecord> parse_epoch_line(const std::string& line) {
  if (line.empty()) return std::nullopt;
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("epoch")) return std::nullopt;
  return j.get<EpochRecord>();
}

}  // namespace

std::string to_json(const data::FlowMetrics& m) { return json(m).dump(); }

std::string to_json(const EpochRecord& r) { return json(r).dump(); }

std::string to_json(const RunResult& r) {
  json j{{"status", r.status},
         {"best_epoch", r.best_epoch},
         {"epochs_run", r.epochs_run},
         {"early_stopped", r.early_stopped},
         {"parameters", r.parameters},
         {"mean_epoch_seconds", r.mean_epoch_seconds},
         {"peak_memory_bytes", r.peak_memory_bytes},
         {"device", r.device},
         {"ranks", r.ranks},
         {"memory_format", r.memory_format},
         {"memory_format_source", r.memory_format_source}};
  if (r.memory_format_source == "measured" || r.memory_format_source == "cached")
    j["memory_format_ms"] = {{"contiguous", r.contiguous_ms}, {"channels_last", r.channels_last_ms}};
  if (r.status == to_string(JobStatus::Done)) {
    j["test"] = r.test;
    j["best_valid"] = r.best_valid;
  } else {
    j["error_class"] = r.error_class;
    j["error"] = r.error;
  }
  return j.dump(2) + "\n";
}

std::vector<EpochRecord> read_epoch_log(const std::string& run_dir) {
  std::vector<EpochRecord> records;
  std::ifstream in(run_dir + "/epochs.jsonl");
  std::string line;
  while (std::getline(in, line))
    if (auto r = parse_epoch_line(line)) records.push_back(*r);
  return records;
}

RunDirSink::RunDirSink(std::string run_dir) : dir_(std::move(run_dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) FUFI_THROW(InputError, "{}: cannot create run directory: {}", dir_, ec.message());
}

void RunDirSink::begin(std::int64_t last_epoch) {
  // Keep only the records of epochs the checkpoint covers: a kill between the record and the
  // checkpoint would otherwise leave a record that the resumed run writes again.
  const std::string path = dir_ + "/epochs.jsonl";
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    const auto r = parse_epoch_line(line);
    if (r && r->epoch <= last_epoch) kept += line + "\n";
  }
  write_file_atomically(path, kept);
}

void RunDirSink::epoch(const EpochRecord& record) { append_to_file(dir_ + "/epochs.jsonl", to_json(record) + "\n"); }

void RunDirSink::result(const RunResult& result) { write_file_atomically(dir_ + "/metrics.json", to_json(result)); }

}  // namespace fufi::worker
