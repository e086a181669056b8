#pragma once
// SHA-256 as lower-case hex: the one hash of fufi's identities. A job's id and its group's id
// (orchestrator/job_id.h), a sweep file's hash and a "torchscript:PATH" model's file hash (model/) are all
// this function of their bytes, so that two components never disagree on how an identity is spelled.
// OpenSSL's EVP interface (FIPS 180-4) computes it: a well-kept library, not fufi's own code.
#include <memory>
#include <string>
#include <string_view>

namespace fufi {

// The 64 lower-case hex digits of SHA-256(bytes). Throws RuntimeError (exit 1) only if OpenSSL itself fails.
std::string sha256_hex(std::string_view bytes);

// SHA-256 fed in pieces, whose state can be copied: hashing many texts that share a prefix costs the prefix
// once (orchestrator/job_id.h: a million seeds of one configuration). hex() of the pieces equals sha256_hex of
// their concatenation, and leaves the state as it was (more pieces may follow).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256& other);
  Sha256& operator=(const Sha256&) = delete;
  Sha256& update(std::string_view bytes);
  std::string hex() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fufi
