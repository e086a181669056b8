// The benchmarks' output: JSON (`--format json`, what scripts read) and the aligned tables people read. Split
// from bench.cpp, which measures.
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fufi/bench/bench.h"

namespace fufi::bench {

namespace {

nlohmann::json timing_json(const Timing& t, const std::string& prefix) {
  return {{prefix + "_median", t.median_ms}, {prefix + "_min", t.min_ms}, {prefix + "_max", t.max_ms}};
}

nlohmann::json profile_json(const std::vector<OpShare>& shares, double step_ms) {
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& o : shares)
    ops.push_back({{"operator", o.name}, {"self_ms", o.self_ms}, {"share", o.share}, {"calls", o.calls}});
  return {{"step_ms", step_ms}, {"operators", ops}};
}

}  // namespace

std::string to_json(const TrainBenchResult& r) {
  nlohmann::json j{{"model", r.model},
                   {"parameters", r.parameters},
                   {"batch", r.batch},
                   {"threads", r.threads},
                   {"device", r.device},
                   {"device_name", r.device_name},
                   {"channels_last", r.channels_last},
                   {"memory_format_source", r.memory_format_source},
                   {"bf16", r.bf16},
                   {"adam_impl", r.adam_impl},
                   {"host_data", r.host_data},
                   {"cuda_graph", r.cuda_graph},
                   {"repetitions", r.step.repetitions},
                   {"pipelined_step_ms", r.pipelined_step_ms},
                   {"samples_per_second", r.samples_per_second},
                   {"peak_memory_bytes", r.peak_memory_bytes}};
  j.update(timing_json(r.step, "step_ms"));
  if (r.epoch_samples > 0) {
    j["epoch_samples"] = r.epoch_samples;
    j["epochs"] = r.epoch.repetitions;
    j.update(timing_json(r.epoch, "epoch_ms"));
  }
  if (!r.profile.empty()) j["profile"] = profile_json(r.profile, r.profile_step_ms);
  return j.dump(2) + "\n";
}

std::string to_json(const InferBenchResult& r) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : r.points) {
    nlohmann::json j{{"batch", p.batch}, {"maps_per_second", p.maps_per_second}};
    j.update(timing_json(p.batch_time, "batch_ms"));
    points.push_back(j);
  }
  nlohmann::json j{{"model", r.model}, {"parameters", r.parameters}, {"threads", r.threads}, {"device", r.device},
                   {"bf16", r.bf16},   {"grad_mode", r.grad_mode},   {"points", points}};
  if (!r.profile.empty()) j["profile"] = profile_json(r.profile, r.profile_step_ms);
  return j.dump(2) + "\n";
}

std::string to_json(const AllreduceResult& r) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : r.points) {
    nlohmann::json j{{"bytes", p.bytes}, {"algbw_gbps", p.algbw_gbps}, {"busbw_gbps", p.busbw_gbps}};
    j.update(timing_json(p.time, "time_ms"));
    points.push_back(j);
  }
  return nlohmann::json{{"backend", r.backend}, {"ranks", r.ranks}, {"points", points}}.dump(2) + "\n";
}

std::string to_table(const TrainBenchResult& r) {
  std::string out = fmt::format(
      "{}: {} parameters, batch {}, {} ({}), {} threads, channels_last {}, bf16 {}, adam {}, data {}, cuda_graph {}\n"
      "  train step  median {:.2f} ms  min {:.2f}  max {:.2f}  ({} steps, synchronised each)\n"
      "  pipelined   {:.2f} ms/step  {:.1f} samples/s  peak memory {:.0f} MB\n",
      r.model, r.parameters, r.batch, r.device, r.device_name, r.threads, r.channels_last ? "on" : "off",
      r.bf16 ? "on" : "off", r.adam_impl, r.host_data ? "host" : "resident", r.cuda_graph, r.step.median_ms,
      r.step.min_ms, r.step.max_ms, r.step.repetitions, r.pipelined_step_ms, r.samples_per_second,
      static_cast<double>(r.peak_memory_bytes) / 1e6);
  if (r.epoch_samples > 0)
    out += fmt::format("  epoch of {} samples  median {:.1f} ms  min {:.1f}  max {:.1f}  ({} epochs)\n", r.epoch_samples,
                       r.epoch.median_ms, r.epoch.min_ms, r.epoch.max_ms, r.epoch.repetitions);
  if (!r.profile.empty()) out += "\n" + to_table(r.profile, r.profile_step_ms);
  return out;
}

std::string to_json(const DpTrainBenchResult& r) {
  nlohmann::json modes = nlohmann::json::array();
  for (const auto& m : r.modes) {
    nlohmann::json j{{"mode", m.mode}, {"repetitions", m.step.repetitions}};
    j.update(timing_json(m.step, "step_ms"));
    modes.push_back(j);
  }
  nlohmann::json j{{"model", r.model},         {"parameters", r.parameters}, {"batch", r.batch},
                   {"ranks", r.ranks},         {"threads", r.threads},       {"bucket_mb", r.bucket_mb},
                   {"buckets", r.buckets},     {"modes", modes}};
  j["hidden_fraction"] = std::isnan(r.hidden_fraction) ? nlohmann::json(nullptr) : nlohmann::json(r.hidden_fraction);
  return j.dump(2) + "\n";
}

std::string to_table(const DpTrainBenchResult& r) {
  std::string out = fmt::format(
      "{}: {} parameters, global batch {}, {} ranks x {} threads, {} gradient buckets of <= {} MB\n", r.model,
      r.parameters, r.batch, r.ranks, r.threads, r.buckets, r.bucket_mb);
  for (const auto& m : r.modes)
    out += fmt::format("  {:<8} step median {:>9.2f} ms  min {:>9.2f}  max {:>9.2f}  ({} steps)\n", m.mode,
                       m.step.median_ms, m.step.min_ms, m.step.max_ms, m.step.repetitions);
  if (!std::isnan(r.hidden_fraction))
    out += fmt::format("  hidden: {:.0f}% of the all-reduce time ((after - overlap) / (after - none))\n",
                       100.0 * r.hidden_fraction);
  return out;
}

std::string to_table(const InferBenchResult& r) {
  std::string out = fmt::format("{}: {} parameters, {}, {} threads, bf16 {}, forward in {} mode\n", r.model,
                                r.parameters, r.device, r.threads, r.bf16 ? "on" : "off", r.grad_mode);
  for (const auto& p : r.points)
    out += fmt::format("  batch {:>4}  median {:>9.2f} ms  min {:>9.2f}  max {:>9.2f}  {:>9.1f} maps/s\n", p.batch,
                       p.batch_time.median_ms, p.batch_time.min_ms, p.batch_time.max_ms, p.maps_per_second);
  if (!r.profile.empty()) out += "\n" + to_table(r.profile, r.profile_step_ms);
  return out;
}

std::string to_table(const AllreduceResult& r) {
  std::string out = fmt::format("all-reduce ({}, {} ranks)\n  {:>12} {:>12} {:>12} {:>12}\n", r.backend, r.ranks, "bytes",
                                "time ms", "algbw GB/s", "busbw GB/s");
  for (const auto& p : r.points)
    out += fmt::format("  {:>12} {:>12.3f} {:>12.3f} {:>12.3f}\n", p.bytes, p.time.median_ms, p.algbw_gbps, p.busbw_gbps);
  return out;
}

}  // namespace fufi::bench
