#include "fufi/core/sha256.h"

#include <openssl/evp.h>

#include "fufi/core/error.h"

namespace fufi {

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

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  FUFI_CHECK(EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) == 1, RuntimeError,
             "OpenSSL EVP_Digest(SHA-256) failed");
  return hex_of(digest, length);
}

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  FUFI_CHECK(state_->ctx != nullptr && EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) == 1, RuntimeError,
             "OpenSSL EVP_DigestInit(SHA-256) failed");
}

Sha256::~Sha256() = default;

Sha256::Sha256(const Sha256& other) : state_(std::make_unique<State>()) {
  FUFI_CHECK(state_->ctx != nullptr && EVP_MD_CTX_copy_ex(state_->ctx, other.state_->ctx) == 1, RuntimeError,
             "OpenSSL EVP_MD_CTX_copy(SHA-256) failed");
}

Sha256& Sha256::update(std::string_view bytes) {
  FUFI_CHECK(EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size()) == 1, RuntimeError,
             "OpenSSL EVP_DigestUpdate(SHA-256) failed");
  return *this;
}

std::string Sha256::hex() const {
  Sha256 copy(*this);  // finalising consumes a state: finalise a copy
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  FUFI_CHECK(EVP_DigestFinal_ex(copy.state_->ctx, digest, &length) == 1, RuntimeError,
             "OpenSSL EVP_DigestFinal(SHA-256) failed");
  return hex_of(digest, length);
}

}  // namespace fufi
