#include "fufi/orchestrator/job_id.h"

#include <openssl/evp.h>

#include "fufi/core/error.h"
#include "fufi/worker/train_config.h"

namespace fufi::orchestrator {

namespace {

std::string hex_of(const unsigned char* digest, unsigned int length) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

// Whether a key has its line in job_identity_text.
bool identity_line(const std::string& key, bool with_seed) {
  if (!with_seed && key == "seed") return false;
  return !worker::is_execution_only_key(key);
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  FUFI_CHECK(EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) == 1, RuntimeError,
             "OpenSSL EVP_Digest(SHA-256) failed");
  return hex_of(digest, length);
}

struct ConfigurationIdentity::Digest {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Digest() { EVP_MD_CTX_free(ctx); }
};

ConfigurationIdentity::ConfigurationIdentity(const std::string& data_identity, const std::string& task,
                                             const Config& resolved)
    : prefix_(std::make_unique<Digest>()) {
  // job_identity_text's lines in its order (Config is sorted by key): those before "seed", then those after.
  std::string prefix = "fufi-job-v2\ndata=" + data_identity + "\ntask=" + task + "\n";
  for (const auto& [key, value] : resolved.items()) {
    if (key == "seed" || !identity_line(key, true)) continue;
    (key < "seed" ? prefix : suffix_) += key + "=" + value + "\n";
  }
  group_id_ = sha256_hex(prefix + suffix_);
  FUFI_CHECK(prefix_->ctx != nullptr && EVP_DigestInit_ex(prefix_->ctx, EVP_sha256(), nullptr) == 1 &&
                 EVP_DigestUpdate(prefix_->ctx, prefix.data(), prefix.size()) == 1,
             RuntimeError, "OpenSSL EVP_DigestInit/Update(SHA-256) failed");
}

ConfigurationIdentity::~ConfigurationIdentity() = default;

std::string ConfigurationIdentity::job_id(std::uint64_t seed) const {
  // The seed as job_identity_text gets it: resolve_job_settings sets std::to_string(seed), the sweep normalises it.
  const std::string line = "seed=" + normalise_value(std::to_string(seed)) + "\n";
  Digest d;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  FUFI_CHECK(d.ctx != nullptr && EVP_MD_CTX_copy_ex(d.ctx, prefix_->ctx) == 1 &&
                 EVP_DigestUpdate(d.ctx, line.data(), line.size()) == 1 &&
                 EVP_DigestUpdate(d.ctx, suffix_.data(), suffix_.size()) == 1 &&
                 EVP_DigestFinal_ex(d.ctx, digest, &length) == 1,
             RuntimeError, "OpenSSL EVP_Digest(SHA-256) failed");
  return hex_of(digest, length);
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
