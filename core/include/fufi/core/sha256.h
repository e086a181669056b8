#pragma once
// SHA-256 as lower-case hex: the one hash of fufi's identities. A job's id and its group's id
// (orchestrator/job_id.h), a sweep file's hash and a "torchscript:PATH" model's file hash (model/) are all
// this function of their bytes, so that two components never disagree on how an identity is spelled.
// OpenSSL's EVP interface (FIPS 180-4) computes it: a well-kept library, not fufi's own code.
#include <string>
#include <string_view>

namespace fufi {

// The 64 lower-case hex digits of SHA-256(bytes). Throws RuntimeError (exit 1) only if OpenSSL itself fails.
std::string sha256_hex(std::string_view bytes);

}  // namespace fufi
