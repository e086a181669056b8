#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "fufi/core/error.h"
#include "fufi/data/npy.h"
#include "npy_test_util.h"

namespace fufi_test_npy {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::data;
using fufi::test::npy_bytes;
using fufi::test::npy_dict;
using fufi::test::raw_bytes;

namespace {

class NpyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fufi_npy_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    auto p = (dir_ / name).string();
    fufi::test::write_file(p, bytes);
    return p;
  }
  // Reading `bytes` from a file must fail with an InputError whose message names the file and contains `reason`.
  void expect_rejected(const std::string& name, const std::vector<std::uint8_t>& bytes, const std::string& reason,
                       NpyReadOptions options = {}) {
    auto path = write(name, bytes);
    try {
      read_npy(path, options);
      ADD_FAILURE() << name << ": expected rejection (" << reason << ")";
    } catch (const fufi::InputError& e) {
      EXPECT_NE(e.message().find(path), std::string::npos) << e.message();
      EXPECT_NE(e.message().find(reason), std::string::npos) << "message: " << e.message();
    }
    // The in-memory parser must reject it the same way (the fuzzer drives that path).
    EXPECT_THROW(parse_npy(bytes.data(), bytes.size(), name, options), fufi::InputError) << name;
  }
  std::filesystem::path dir_;
};

const std::vector<float> kSix{0, 1, 2, 3, 4.5f, 5};

}  // namespace

TEST_F(NpyFiles, RoundTripsFloat32) {
  auto path = (dir_ / "a.npy").string();
  write_npy(path, {2, 3}, kSix.data());
  auto a = read_npy(path);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.values, kSix);
  EXPECT_EQ(a.source_dtype, NpyDtype::F4);
  // Header is 64-byte aligned as NumPy writes it.
  auto bytes = serialize_npy({2, 3}, kSix.data());
  EXPECT_EQ((bytes.size() - 24) % 64, 0u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(NpyFiles, ReadsEverySupportedDtype) {
  struct Case {
    std::string descr;
    std::vector<std::uint8_t> payload;
  };
  const std::vector<Case> cases{
      {"<f4", raw_bytes<float>({0, 1, 2, 3, 4.5f, 5})},
      {"<f8", raw_bytes<double>({0, 1, 2, 3, 4.5, 5})},
      {"<i4", raw_bytes<std::int32_t>({0, 1, 2, 3, 4, 5})},
      {"<i8", raw_bytes<std::int64_t>({0, 1, 2, 3, 4, 5})},
      {"<i2", raw_bytes<std::int16_t>({0, 1, 2, 3, 4, 5})},
      {"<u2", raw_bytes<std::uint16_t>({0, 1, 2, 3, 4, 5})},
      {"|u1", {0, 1, 2, 3, 4, 5}},
      {"|b1", {0, 1, 0, 1, 1, 0}},
  };
  for (const auto& c : cases) {
    auto a = parse_npy(npy_bytes(npy_dict(c.descr, "(2, 3)"), c.payload).data(),
                       npy_bytes(npy_dict(c.descr, "(2, 3)"), c.payload).size(), c.descr);
    ASSERT_EQ(a.values.size(), 6u) << c.descr;
    EXPECT_EQ(to_string(a.source_dtype), c.descr);
    if (c.descr == "|b1") {
      EXPECT_EQ(a.values, (std::vector<float>{0, 1, 0, 1, 1, 0}));
    } else {
      EXPECT_FLOAT_EQ(a.values[3], 3.0f) << c.descr;
      EXPECT_FLOAT_EQ(a.values[5], 5.0f) << c.descr;
    }
  }
}

TEST_F(NpyFiles, ReadsVersions2And3AndScalarsAndEmptyArrays) {
  auto payload = raw_bytes<float>({7, 8});
  for (int major : {2, 3}) {
    auto bytes = npy_bytes(npy_dict("<f4", "(2,)"), payload, major);
    auto a = parse_npy(bytes.data(), bytes.size(), "v");
    EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2}));
    EXPECT_EQ(a.values, (std::vector<float>{7, 8}));
  }
  auto scalar = npy_bytes(npy_dict("<f4", "()"), raw_bytes<float>({3}));
  EXPECT_EQ(parse_npy(scalar.data(), scalar.size(), "s").values, (std::vector<float>{3}));
  auto empty = npy_bytes(npy_dict("<f4", "(0, 5)"), {});
  EXPECT_EQ(parse_npy(empty.data(), empty.size(), "e").values.size(), 0u);
  // Keys in another order, double quotes, no trailing comma: still valid Python dict literals.
  auto reordered = npy_bytes("{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}", payload);
  EXPECT_EQ(parse_npy(reordered.data(), reordered.size(), "r").values, (std::vector<float>{7, 8}));
}

TEST_F(NpyFiles, RejectsBadMagic) {
  auto bytes = npy_bytes(npy_dict("<f4", "(2,)"), raw_bytes<float>({1, 2}));
  bytes[1] = 'X';
  expect_rejected("magic.npy", bytes, "bad magic");
  expect_rejected("tiny.npy", {0x93, 'N'}, "bad magic");
}

TEST_F(NpyFiles, NamesWhatAFileWithoutTheMagicIs) {
  // np.savez writes a zip archive: its local file header signature.
  std::vector<std::uint8_t> zip{'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  expect_rejected("X.npy", zip, "zip archive, as NumPy's .npz is");
  expect_rejected("empty.npy", {}, "the file is empty");
  expect_rejected("pickle.npy", {0x80, 4, 0x95, 0, 0, 0, 0, 0, 0, 0, 0}, "Python pickle");
  expect_rejected("h5.npy", {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n', 0, 0}, "HDF5");
  expect_rejected("gz.npy", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0}, "gzip");
}

TEST_F(NpyFiles, NonFiniteIsLocatedByMultiIndex) {
  NpyReadOptions strict;
  strict.allow_nonfinite = false;
  std::vector<float> v(2 * 3 * 4, 1.0f);
  v[1 * 12 + 2 * 4 + 3] = std::nanf("");
  expect_rejected("nan3d.npy", npy_bytes(npy_dict("<f4", "(2, 3, 4)"), raw_bytes<float>(v)),
                  "non-finite value nan at index (1, 2, 3) of shape (2, 3, 4)", strict);
}

TEST_F(NpyFiles, RejectsUnsupportedVersion) {
  expect_rejected("v4.npy", npy_bytes(npy_dict("<f4", "(2,)"), raw_bytes<float>({1, 2}), 4), "version 4.0");
  expect_rejected("v11.npy", npy_bytes(npy_dict("<f4", "(2,)"), raw_bytes<float>({1, 2}), 1, 1), "version 1.1");
}

TEST_F(NpyFiles, RejectsMalformedHeaders) {
  auto p = raw_bytes<float>({1, 2});
  expect_rejected("nokey.npy", npy_bytes("{'descr': '<f4', 'shape': (2,), }", p), "missing");
  expect_rejected("extrakey.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", p),
                  "unexpected key");
  expect_rejected("dupkey.npy", npy_bytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", p),
                  "duplicate");
  expect_rejected("badshape.npy", npy_bytes(npy_dict("<f4", "(2 3)"), p), "shape");
  expect_rejected("negshape.npy", npy_bytes(npy_dict("<f4", "(-2,)"), p), "non-negative");
}

TEST_F(NpyFiles, RejectsHeaderWithoutNewlineAndTrailingGarbage) {
  auto p = raw_bytes<float>({1, 2});
  auto bytes = npy_bytes(npy_dict("<f4", "(2,)"), p);
  // Replace the header's final newline with a space.
  const std::size_t header_end = 10 + (bytes[8] | (bytes[9] << 8));
  bytes[header_end - 1] = ' ';
  expect_rejected("nonl.npy", bytes, "newline");
  expect_rejected("garbage.npy", npy_bytes(npy_dict("<f4", "(2,)") + " junk", p), "trailing characters");
  expect_rejected("unterminated.npy", npy_bytes("{'descr': '<f4", p), "unterminated");
}

TEST_F(NpyFiles, RejectsOversizedHeader) {
  std::string dict = npy_dict("<f4", "(2,)");
  dict.append(kMaxNpyHeaderBytes + 10, ' ');
  expect_rejected("hugeheader.npy", npy_bytes(dict, raw_bytes<float>({1, 2}), 2), "exceeds");
}

TEST_F(NpyFiles, RejectsTruncatedHeader) {
  auto bytes = npy_bytes(npy_dict("<f4", "(2,)"), {});
  bytes.resize(30);
  expect_rejected("truncheader.npy", bytes, "truncated NPY header");
}

TEST_F(NpyFiles, RejectsFortranOrder) {
  expect_rejected("fortran.npy", npy_bytes(npy_dict("<f4", "(1, 2)", true), raw_bytes<float>({1, 2})), "Fortran");
}

TEST_F(NpyFiles, RejectsBigEndianObjectAndUnknownDtypes) {
  expect_rejected("big.npy", npy_bytes(npy_dict(">f4", "(2,)"), raw_bytes<float>({1, 2})), "big-endian");
  expect_rejected("object.npy", npy_bytes(npy_dict("|O", "(2,)"), std::vector<std::uint8_t>(16)), "object dtype");
  expect_rejected("complex.npy", npy_bytes(npy_dict("<c8", "(2,)"), std::vector<std::uint8_t>(16)), "unsupported dtype");
  expect_rejected("structured.npy",
                  npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", raw_bytes<float>({1, 2})),
                  "structured");
  expect_rejected("badbool.npy", npy_bytes(npy_dict("|b1", "(2,)"), {0, 7}), "not 0 or 1");
}

TEST_F(NpyFiles, RejectsShapeOverflow) {
  expect_rejected("overflow.npy", npy_bytes(npy_dict("<f8", "(4294967296, 4294967296, 16)"), {}), "overflows");
  expect_rejected("bigdim.npy", npy_bytes(npy_dict("<f4", "(99999999999999999999999,)"), {}), "overflows");
}

TEST_F(NpyFiles, RejectsTruncatedAndOversizedPayload) {
  expect_rejected("trunc.npy", npy_bytes(npy_dict("<f4", "(3,)"), raw_bytes<float>({1, 2})), "truncated payload");
  // A header that claims a huge array must fail on size before allocating anything.
  expect_rejected("claimshuge.npy", npy_bytes(npy_dict("<f4", "(1000000000000,)"), raw_bytes<float>({1})),
                  "truncated payload");
  expect_rejected("long.npy", npy_bytes(npy_dict("<f4", "(1,)"), raw_bytes<float>({1, 2})), "unexpected bytes");
}

TEST_F(NpyFiles, RejectsNonFiniteWhenForbidden) {
  NpyReadOptions strict;
  strict.allow_nonfinite = false;
  auto nan = npy_bytes(npy_dict("<f4", "(3,)"), raw_bytes<float>({1, std::nanf(""), 2}));
  expect_rejected("nan.npy", nan, "non-finite", strict);
  auto inf = npy_bytes(npy_dict("<f8", "(2,)"), raw_bytes<double>({1, std::numeric_limits<double>::infinity()}));
  expect_rejected("inf.npy", inf, "non-finite", strict);
  // Allowed by default.
  EXPECT_NO_THROW(parse_npy(nan.data(), nan.size(), "nan"));
}

TEST_F(NpyFiles, MissingFileAndDirectoryAreInputErrors) {
  EXPECT_THROW(read_npy((dir_ / "absent.npy").string()), fufi::InputError);
  EXPECT_THROW(read_npy(dir_.string()), fufi::InputError);
}

}  // namespace fufi_test_npy
