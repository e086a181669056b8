#include "fufi/core/json.h"

#include <limits>

namespace fufi {

using json = nlohmann::json;

double number_or_nan(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::string compact_json(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void to_json(json& j, const FlowMetrics& m) { j = json{{"mse", m.mse}, {"mae", m.mae}, {"mape", m.mape}, {"rmse", m.rmse}}; }

void from_json(const json& j, FlowMetrics& m) {
  m = FlowMetrics{};
  m.mse = number_or_nan(j, "mse");
  m.mae = number_or_nan(j, "mae");
  m.mape = number_or_nan(j, "mape");
  m.rmse = number_or_nan(j, "rmse");
}

void to_json(json& j, const EpochRecord& r) {
  j = json{{"epoch", r.epoch}, {"train_loss", r.train_loss}, {"valid", r.valid},
           {"lr", r.lr},       {"seconds", r.seconds},       {"samples_per_second", r.samples_per_second},
           {"best", r.best}};
}

void from_json(const json& j, EpochRecord& r) {
  r = EpochRecord{};
  r.epoch = j.at("epoch").get<std::int64_t>();
  r.train_loss = number_or_nan(j, "train_loss");
  if (const auto v = j.find("valid"); v != j.end() && v->is_object()) r.valid = v->get<FlowMetrics>();
  else r.valid = json::object().get<FlowMetrics>();  // every metric NaN: not measured
  r.lr = number_or_nan(j, "lr");
  r.seconds = number_or_nan(j, "seconds");
  r.samples_per_second = number_or_nan(j, "samples_per_second");
  r.best = j.value("best", false);
}

void to_json(json& j, const Config& c) {
  j = json::object();
  for (const auto& [k, v] : c.items()) j[k] = v;
}

Config config_from_json(const json& j, std::string_view source) {
  Config c;
  for (const auto& [k, v] : j.items()) c.set(k, v.get<std::string>(), source);
  return c;
}

void to_json(json& j, const JobSpec& s) {
  j = json{{"id", s.id},     {"model", s.model}, {"task", s.task},
           {"variant", s.variant}, {"seed", s.seed},   {"settings", s.settings}};
}

void from_json(const json& j, JobSpec& s) {
  s = JobSpec{};
  s.id = j.at("id").get<std::string>();
  s.model = j.at("model").get<std::string>();
  s.task = j.at("task").get<std::string>();
  s.variant = j.at("variant").get<std::string>();
  s.seed = j.at("seed").get<std::uint64_t>();
  s.settings = config_from_json(j.at("settings"), "sweep");
}

}  // namespace fufi
