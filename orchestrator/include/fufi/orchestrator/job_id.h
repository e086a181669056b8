#pragma once
// A job's id: the SHA-256 of its canonical text, which holds the dataset identity, the task and every
// resolved key (engine defaults, the model's defaults, the sweep's settings; numbers normalised), sorted. The
// same sweep file gives the same ids whatever the order of its keys, and two sweeps that describe the same
// training share its result (docs/SWEEPS.md).
#include <string>
#include <string_view>

#include "fufi/core/config.h"
#include "fufi/core/sha256.h"

namespace fufi::orchestrator {

// Lower-case hex SHA-256: core's, the same function that hashes TorchScript model files (fufi/core/sha256.h).
using fufi::sha256_hex;

// The canonical text a job id hashes ("fufi-job-v2\ndata=...\ntask=...\nkey=value\n..."). Execution-only keys
// (worker::is_execution_only_key: threads, device, ...) are left out; `with_seed` = false gives the text of
// the job's group (its configuration over seeds).
std::string job_identity_text(const std::string& data_identity, const std::string& task, const Config& resolved,
                              bool with_seed = true);

// A number's canonical spelling when `value` is a number ("3e-4" -> "0.0003", "64.0" -> "64"), else `value`.
std::string normalise_value(const std::string& value);

}  // namespace fufi::orchestrator
