#include "fufi/worker/records.h"

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "fufi/core/error.h"

namespace fufi::worker {

namespace {

nlohmann::json metrics_json(const data::FlowMetrics& m) {
  return {{"mse", m.mse}, {"mae", m.mae}, {"mape", m.mape}, {"rmse", m.rmse}};
}

}  // namespace

std::string to_json(const data::FlowMetrics& m) { return metrics_json(m).dump(); }

std::string to_json(const EpochRecord& r) {
  nlohmann::json j{{"epoch", r.epoch},   {"train_loss", r.train_loss}, {"valid", metrics_json(r.valid)},
                   {"lr", r.lr},         {"seconds", r.seconds},       {"samples_per_second", r.samples_per_second},
                   {"best", r.best}};
  return j.dump();
}

std::string to_json(const RunResult& r) {
  nlohmann::json j{{"status", r.status},
                   {"best_epoch", r.best_epoch},
                   {"epochs_run", r.epochs_run},
                   {"early_stopped", r.early_stopped},
                   {"parameters", r.parameters},
                   {"mean_epoch_seconds", r.mean_epoch_seconds},
                   {"peak_memory_bytes", r.peak_memory_bytes},
                   {"device", r.device},
                   {"ranks", r.ranks}};
  if (r.status == "done") {
    j["test"] = metrics_json(r.test);
    j["best_valid"] = metrics_json(r.best_valid);
  } else {
    j["error_class"] = r.error_class;
    j["error"] = r.error;
  }
  return j.dump(2) + "\n";
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) FUFI_THROW(RuntimeError, "{}: cannot open for writing: {}", tmp, std::strerror(errno));
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) {
      ::close(fd);
      FUFI_THROW(RuntimeError, "{}: write failed: {}", tmp, std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    FUFI_THROW(RuntimeError, "cannot rename {} to {}: {}", tmp, path, std::strerror(errno));
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
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.contains("epoch")) continue;  // a torn last line
    if (j["epoch"].get<std::int64_t>() <= last_epoch) kept += line + "\n";
  }
  write_file_atomically(path, kept);
}

void RunDirSink::epoch(const EpochRecord& record) {
  std::ofstream out(dir_ + "/epochs.jsonl", std::ios::app);
  out << to_json(record) << "\n";
  out.flush();
  if (!out) FUFI_THROW(RuntimeError, "{}/epochs.jsonl: write failed", dir_);
}

void RunDirSink::result(const RunResult& result) { write_file_atomically(dir_ + "/metrics.json", to_json(result)); }

}  // namespace fufi::worker
