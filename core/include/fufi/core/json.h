#pragma once
// The JSON form of the records every component shares (nlohmann's to_json/from_json, found by ADL), written
// once here: the engine's epochs.jsonl and metrics.json, the sweep's MPI messages (orchestrator's
// wire_format) and the readers of both use these codecs, so one field is added in one place.
//
// Numbers that are not finite are written as null (JSON has no NaN) and read back as NaN; a number that is
// missing or not a number reads as NaN too, so a reader never throws on a record from an older fufi.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fufi/core/config.h"
#include "fufi/core/job.h"
#include "fufi/core/metrics.h"

namespace fufi {

// {"mae", "mape", "mse", "rmse"}; FlowMetrics::count is not written (the files never had it) and reads as 0.
void to_json(nlohmann::json& j, const FlowMetrics& m);
void from_json(const nlohmann::json& j, FlowMetrics& m);

// {"best", "epoch", "lr", "samples_per_second", "seconds", "train_loss", "valid"}. Reading needs "epoch".
void to_json(nlohmann::json& j, const EpochRecord& r);
void from_json(const nlohmann::json& j, EpochRecord& r);

// A Config as an object of strings; `source` is what errors about its keys name (Config::source_of).
void to_json(nlohmann::json& j, const Config& c);
Config config_from_json(const nlohmann::json& j, std::string_view source);

// What a worker needs of a job: {"id", "model", "task", "variant", "seed", "settings"}. group_id and resolved
// stay with the coordinator (they only name and hash the job) and read back empty.
void to_json(nlohmann::json& j, const JobSpec& spec);
void from_json(const nlohmann::json& j, JobSpec& spec);  // settings get the source "sweep"

// A number, or NaN when `key` is missing, null or not a number.
double number_or_nan(const nlohmann::json& j, const char* key);

// Compact text; bytes that are not UTF-8 (in an error message, say) are replaced, never a throw.
std::string compact_json(const nlohmann::json& j);

}  // namespace fufi
