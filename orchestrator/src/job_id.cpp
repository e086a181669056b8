#include "fufi/orchestrator/job_id.h"

#include "fufi/core/error.h"
#include "fufi/worker/train_config.h"

namespace fufi::orchestrator {

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
    if (!with_seed && key == "seed") continue;
    if (worker::is_execution_only_key(key)) continue;
    text += key + "=" + value + "\n";
  }
  return text;
}

}  // namespace fufi::orchestrator
