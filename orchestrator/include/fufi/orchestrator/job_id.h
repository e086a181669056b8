#pragma once
// A job's id: the SHA-256 of its canonical text, which holds the dataset identity, the task and every
// resolved key (engine defaults, the model's defaults, the sweep's settings; numbers normalised), sorted. The
// same sweep file gives the same ids whatever the order of its keys, and two sweeps that describe the same
// training share its result (docs/SWEEPS.md).
#include <cstdint>
#include <memory>
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

// The ids of one configuration's jobs without rebuilding their text per seed: job_identity_text is split at
// the seed's line once, and the SHA-256 state after the part before it is kept, so a seed's id hashes only
// "seed=N\n" and the part after it. The bytes hashed are job_identity_text's, so the ids are the same
// (test_job_id.cpp checks both; test_sweep.cpp pins ids an earlier fufi wrote). A million-seed sweep (issue #17)
// needs this.
class ConfigurationIdentity {
 public:
  // `resolved`: the configuration's resolved keys; a "seed" key in it is ignored.
  ConfigurationIdentity(const std::string& data_identity, const std::string& task, const Config& resolved);

  // sha256_hex(job_identity_text(..., with_seed = false)).
  const std::string& group_id() const { return group_id_; }
  // sha256_hex(job_identity_text(...)) of the job with this seed.
  std::string job_id(std::uint64_t seed) const;

 private:
  Sha256 prefix_;  // the SHA-256 state after the lines before "seed="
  std::string suffix_;              // the lines after the seed's
  std::string group_id_;
};

// A number's canonical spelling when `value` is a number ("3e-4" -> "0.0003", "64.0" -> "64"), else `value`.
std::string normalise_value(const std::string& value);

}  // namespace fufi::orchestrator
