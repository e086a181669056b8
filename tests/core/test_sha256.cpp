// SHA-256 hex (sha256.cpp): the FIPS 180-4 test vectors, lower-case hex, and every byte of the input counted
// (embedded NULs included), since job ids, sweep-file hashes and TorchScript file hashes are all this value.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "fufi/core/sha256.h"

namespace fufi_test_sha256 {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(fufi::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(fufi::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Two blocks (56 bytes: the padding spills into a second block).
  EXPECT_EQ(fufi::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a' (many blocks).
  EXPECT_EQ(fufi::sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IsLowerCaseHexOfThirtyTwoBytes) {
  const std::string h = fufi::sha256_hex("fufi");
  ASSERT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
}

TEST(Sha256, HashesEveryByteIncludingNul) {
  const std::string_view with_nul("a\0b", 3);
  EXPECT_NE(fufi::sha256_hex(with_nul), fufi::sha256_hex("a"));
  EXPECT_NE(fufi::sha256_hex(with_nul), fufi::sha256_hex(std::string_view("a\0c", 3)));
  EXPECT_EQ(fufi::sha256_hex(with_nul), fufi::sha256_hex(std::string("a\0b", 3)));
}

// The incremental hasher: pieces hash as their concatenation, hex() leaves the state usable, and a copy carries
// the state (job_id.h hashes a configuration's prefix once and copies it per seed).
TEST(Sha256, PiecesAndCopiesHashAsTheConcatenation) {
  fufi::Sha256 prefix;
  prefix.update("fufi-job-v2\n").update("task=P1\n");
  EXPECT_EQ(prefix.hex(), fufi::sha256_hex("fufi-job-v2\ntask=P1\n"));
  fufi::Sha256 seed1(prefix), seed2(prefix);
  seed1.update("seed=1\n");
  seed2.update("seed=2\n");
  EXPECT_EQ(seed1.hex(), fufi::sha256_hex("fufi-job-v2\ntask=P1\nseed=1\n"));
  EXPECT_EQ(seed2.hex(), fufi::sha256_hex("fufi-job-v2\ntask=P1\nseed=2\n"));
  EXPECT_EQ(prefix.hex(), fufi::sha256_hex("fufi-job-v2\ntask=P1\n")) << "copies left the original as it was";
  EXPECT_EQ(fufi::Sha256().hex(), fufi::sha256_hex(""));
}

}  // namespace fufi_test_sha256
