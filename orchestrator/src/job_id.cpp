#include "fufi/orchestrator/job_id.h"

#include "fufi/core/error.h"
#include "fufi/worker/train_config.h"

namespace fufi::orchestrator {

namespace {

// Whether a key has its line in job_identity_text.
bool identity_line(const std::string& key, bool with_seed) {
  if (!with_seed && key == "seed") return false;
  return !worker::is_execution_only_key(key);
}

}  // namespace

ConfigurationIdentity::ConfigurationIdentity(const std::string& data_identity, const std::string& task,
                                             const Config& resolved) {
  // job_identity_text's lines in its order (Config is sorted by key): those before "seed", then those after.
  std::string prefix = "fufi-job-v2\ndata=" + data_identity + "\ntask=" + task + "\n";
  for (const auto& [key, value] : resolved.items()) {
    if (key == "seed" || !identity_line(key, true)) continue;
    (key < "seed" ? prefix : suffix_) += key + "=" + value + "\n";
  }
  group_id_ = sha256_hex(prefix + suffix_);
  prefix_.update(prefix);
}

std::string ConfigurationIdentity::job_id(std::uint64_t seed) const {
  // The seed as job_identity_text gets it: resolve_job_settings sets std::to_string(seed), the sweep normalises it.
  const std::string line = "seed=" + normalise_value(std::to_string(seed)) + "\n";
  return Sha256(prefix_).update(line).update(suffix_).hex();
}

std::string normalise_value(const std::string& value) {
  double number = 0;
  return parse_double(value, number) ? canonical_number(number) : value;
}

std::string job_identity_text(const std::string& data_identity, const std::string& task, const Config& resolved,
                              bool with_seed) {
  // Versioned, line-oriented and sorted (Config is an ordered map): the same job always gives the same text.
  // Execution-only keys (threads, device, grad_overlap, ...) say how a job runs, not what it computes: they
  // stay out of the id, so rerunning a sweep with another device or bucket size resumes it instead of
  // starting every job again (the checkpoint's resume check ignores the same keys; provenance records them).
  std::string text = "fufi-job-v2\ndata=" + data_identity + "\ntask=" + task + "\n";
  for (const auto& [key, value] : resolved.items()) {
    if (!identity_line(key, with_seed)) continue;
    text += key + "=" + value + "\n";
  }
  return text;
}

}  // namespace fufi::orchestrator
