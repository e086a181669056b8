#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <limits>

#include "fufi/core/error.h"
#include "fufi/data/dataset.h"
#include "fufi/data/npy.h"

namespace fufi_test_dataset {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::data;
namespace fs = std::filesystem;

namespace {

// A valid tiny dataset: C channels, 2x3 coarse, upscale 2, exact constraint, optional ext.
class DatasetDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("fufi_ds_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
                                          std::to_string(::getpid()));  // unique per process: test runs may overlap
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void write_split(const std::string& split, std::int64_t n, std::int64_t channels, bool with_ext, bool four_d) {
    const std::int64_t h = 2, w = 3, s = 2;
    std::vector<float> fine(static_cast<std::size_t>(n * channels * h * s * w * s));
    for (std::size_t i = 0; i < fine.size(); ++i) fine[i] = static_cast<float>((i * 7) % 5);
    std::vector<float> coarse(static_cast<std::size_t>(n * channels * h * w), 0);
    for (std::int64_t i = 0; i < n * channels; ++i)
      for (std::int64_t r = 0; r < h * s; ++r)
        for (std::int64_t c = 0; c < w * s; ++c)
          coarse[static_cast<std::size_t>(i * h * w + (r / s) * w + c / s)] += fine[static_cast<std::size_t>((i * h * s + r) * w * s + c)];
    fs::create_directories(root_ / split);
    std::vector<std::int64_t> xs = four_d ? std::vector<std::int64_t>{n, channels, h, w} : std::vector<std::int64_t>{n, h, w};
    std::vector<std::int64_t> ys = four_d ? std::vector<std::int64_t>{n, channels, h * s, w * s}
                                          : std::vector<std::int64_t>{n, h * s, w * s};
    write_npy((root_ / split / "X.npy").string(), xs, coarse.data());
    write_npy((root_ / split / "Y.npy").string(), ys, fine.data());
    if (with_ext) {
      std::vector<float> ext;
      for (std::int64_t i = 0; i < n; ++i) {
        std::vector<float> row{0.5f, 0.2f, 0, 1, static_cast<float>(1 + i % 7), static_cast<float>(7 + i % 15), 1};
        ext.insert(ext.end(), row.begin(), row.end());
      }
      write_npy((root_ / split / "ext.npy").string(), {n, 7}, ext.data());
    }
  }
  void write_all(std::int64_t channels = 1, bool with_ext = true, bool four_d = false) {
    write_split("train", 6, channels, with_ext, four_d);
    write_split("valid", 2, channels, with_ext, four_d);
    write_split("test", 3, channels, with_ext, four_d);
  }
  std::string file(const std::string& split, const std::string& name) const { return (root_ / split / name).string(); }
  // Replaces one array file.
  void replace(const std::string& split, const std::string& name, const std::vector<std::int64_t>& shape,
               const std::vector<float>& values) {
    write_npy(file(split, name), shape, values.data());
  }
  void expect_error(const std::string& needle, LoadOptions options = {}) {
    try {
      load_fufi_data(root_.string(), options);
      ADD_FAILURE() << "expected an InputError containing '" << needle << "'";
    } catch (const fufi::InputError& e) {
      EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
    }
  }
  fs::path root_;
};

}  // namespace

TEST_F(DatasetDir, LoadsThreeDimensionalLayoutWithExt) {
  write_all();
  auto d = load_fufi_data(root_.string());
  EXPECT_EQ(d.layout.flow_channels, 1);
  EXPECT_EQ(d.layout.coarse_h, 2);
  EXPECT_EQ(d.layout.coarse_w, 3);
  EXPECT_EQ(d.layout.upscale, 2);
  EXPECT_EQ(d.layout.ext_dim, 7);
  EXPECT_EQ(d.split("train").size(), 6);
  EXPECT_EQ(d.split("train").X.shape, (std::vector<std::int64_t>{6, 1, 2, 3}));
  EXPECT_EQ(d.split("test").Y.shape, (std::vector<std::int64_t>{3, 1, 4, 6}));
  EXPECT_EQ(d.constraint.max_abs, 0.0);
  EXPECT_TRUE(d.warnings.empty());
}

TEST_F(DatasetDir, LoadsMultiChannelWithoutExt) {
  write_all(/*channels=*/2, /*with_ext=*/false, /*four_d=*/true);
  auto d = load_fufi_data(root_.string());
  EXPECT_EQ(d.layout.flow_channels, 2);
  EXPECT_EQ(d.layout.ext_dim, 0);
  EXPECT_TRUE(d.split("valid").ext.values.empty());
}

TEST_F(DatasetDir, MissingFileNamesIt) {
  write_all();
  fs::remove(file("valid", "Y.npy"));
  expect_error(file("valid", "Y.npy"));
}

TEST_F(DatasetDir, MismatchedSampleCounts) {
  write_all();
  replace("train", "Y.npy", {5, 4, 6}, std::vector<float>(5 * 24, 0));
  expect_error("5 samples");
}

TEST_F(DatasetDir, NonIntegerUpscale) {
  write_all();
  replace("train", "Y.npy", {6, 5, 6}, std::vector<float>(6 * 30, 0));
  expect_error("not one integer multiple");
}

TEST_F(DatasetDir, UnequalUpscaleAcrossAxes) {
  write_all();
  replace("train", "Y.npy", {6, 4, 9}, std::vector<float>(6 * 36, 0));
  expect_error("not one integer multiple");
}

TEST_F(DatasetDir, NegativeAndNonFiniteValues) {
  write_all();
  std::vector<float> y(6 * 24, 1.0f);
  y[5] = -1.0f;
  replace("train", "Y.npy", {6, 4, 6}, y);
  expect_error("negative flow");
  y[5] = std::nanf("");
  replace("train", "Y.npy", {6, 4, 6}, y);
  expect_error("non-finite");
  // Located as the user indexes it: sample 2, channel 0, row 3, col 1 of a (N,4,6) fine map.
  y[5] = 1.0f;
  y[2 * 24 + 3 * 6 + 1] = std::nanf("");
  replace("train", "Y.npy", {6, 4, 6}, y);
  expect_error(file("train", "Y.npy") + ": non-finite value nan at sample 2, channel 0, row 3, col 1");
  // Four-dimensional (N,C,h,w): the channel is located too (checked before X and Y are compared).
  replace("train", "Y.npy", {6, 4, 6}, std::vector<float>(6 * 24, 1.0f));
  std::vector<float> x(6 * 2 * 2 * 3, 1.0f);
  x[1 * 12 + 1 * 6 + 0 * 3 + 2] = -std::numeric_limits<float>::infinity();
  replace("valid", "X.npy", {2, 2, 2, 3}, std::vector<float>(x.begin(), x.begin() + 24));
  expect_error(file("valid", "X.npy") + ": non-finite value -inf at sample 1, channel 1, row 0, col 2");
}

TEST_F(DatasetDir, ExtContinuousColumnsOutsideUnitRangeWarnAndStrictRefuses) {
  write_all();
  // Temperature in degrees Celsius and wind in mph, as raw weather exports hold them.
  auto ext = read_npy(file("test", "ext.npy"));
  for (std::int64_t i = 0; i < 3; ++i) {
    ext.values[static_cast<std::size_t>(i * 7 + 0)] = -3.5f + 10.0f * static_cast<float>(i);
    ext.values[static_cast<std::size_t>(i * 7 + 1)] = 12.0f;
  }
  write_npy(file("test", "ext.npy"), ext);
  auto d = load_fufi_data(root_.string());
  ASSERT_EQ(d.warnings.size(), 2u);
  EXPECT_NE(d.warnings[0].find(file("test", "ext.npy") + ": column 0 (temperature) ranges -3.5..16.5"), std::string::npos)
      << d.warnings[0];
  EXPECT_NE(d.warnings[0].find("3 of 3 rows"), std::string::npos) << d.warnings[0];
  EXPECT_NE(d.warnings[1].find("column 1 (wind speed) ranges 12..12"), std::string::npos) << d.warnings[1];
  LoadOptions strict;
  strict.strict = true;
  expect_error("column 0 (temperature) ranges -3.5..16.5", strict);
  // The documented encoding raises nothing.
  write_all();
  EXPECT_TRUE(load_fufi_data(root_.string(), strict).warnings.empty());
}

TEST_F(DatasetDir, BadExtShapeAndRanges) {
  write_all();
  replace("train", "ext.npy", {6, 5}, std::vector<float>(30, 1));
  expect_error("7 external-factor columns");
  std::vector<float> ext(42, 1);
  ext[5] = 24;  // hour of row 0
  replace("train", "ext.npy", {6, 7}, ext);
  expect_error("(hour)");
  ext[5] = 12;
  ext[6] = 2.5f;  // weather not an integer
  replace("train", "ext.npy", {6, 7}, ext);
  expect_error("(weather)");
  ext[6] = 1;
  replace("train", "ext.npy", {5, 7}, std::vector<float>(ext.begin(), ext.begin() + 35));
  expect_error("5 rows");
}

TEST_F(DatasetDir, ExtPresentInOneSplitOnly) {
  write_all();
  fs::remove(file("test", "ext.npy"));
  expect_error("ext.npy is absent");
}

TEST_F(DatasetDir, ChannelMismatchBetweenXAndY) {
  write_all(1, true, true);
  replace("train", "Y.npy", {6, 2, 4, 6}, std::vector<float>(6 * 2 * 24, 0));
  expect_error("channels");
}

TEST_F(DatasetDir, ConstraintViolationIsReportedAndStrictRejects) {
  write_all();
  auto d0 = load_fufi_data(root_.string());
  std::vector<float> x(6 * 6);
  // Reload X of train, bump one coarse cell by 3.
  auto x_arr = read_npy(file("train", "X.npy"));
  x_arr.values[4] += 3.0f;
  write_npy(file("train", "X.npy"), x_arr);
  auto d = load_fufi_data(root_.string());
  EXPECT_NEAR(d.constraint.max_abs, 3.0, 1e-6);
  EXPECT_EQ(d.constraint.split, "train");
  EXPECT_EQ(d.constraint.sample, 0);
  EXPECT_EQ(d.constraint.row, 1);
  EXPECT_EQ(d.constraint.col, 1);
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_NE(d.warnings[0].find("spatial constraint violated"), std::string::npos);
  LoadOptions strict;
  strict.strict = true;
  expect_error("spatial constraint violated", strict);
}

TEST_F(DatasetDir, TaskResolution) {
  write_all();
  EXPECT_EQ(resolve_task_dir(root_.string(), ""), root_.string());
  EXPECT_THROW(resolve_task_dir(root_.string(), "P9"), fufi::InputError);
  EXPECT_THROW(resolve_task_dir((root_ / "nope").string(), "P1"), fufi::InputError);
  fs::create_directories(root_ / "P2" / "train");
  fufi::data::write_npy((root_ / "P2" / "train" / "X.npy").string(), {1}, std::vector<float>{0}.data());
  EXPECT_EQ(list_tasks(root_.string()), (std::vector<std::string>{"P2"}));
  EXPECT_EQ(resolve_task_dir(root_.string(), "P2"), (root_ / "P2").string());
}

TEST_F(DatasetDir, MissingDirectory) {
  EXPECT_THROW(load_fufi_data((root_ / "absent").string()), fufi::InputError);
}

// The paper's 7:1:2 chronological protocol: train, valid and test concatenated in that order and re-split by
// count, every array (X, Y, ext) cut at the same samples.
TEST_F(DatasetDir, ChronologicalResplit) {
  write_all(/*channels=*/1, /*with_ext=*/true);  // 6 + 2 + 3 = 11 samples
  auto data = load_fufi_data(root_.string());
  // The concatenation's sample order, recognisable by the ext hour column (7 + i % 15 within each split).
  std::vector<float> hours;
  for (const auto& name : split_names()) {
    const auto& e = data.split(name).ext;
    for (std::int64_t i = 0; i < e.shape[0]; ++i) hours.push_back(e.values[static_cast<std::size_t>(i * 7 + 5)]);
  }
  resplit_chronological(data, 7, 1, 2);
  // floor(11 * 7/10) = 7, floor(11 * 1/10) = 1, the rest 3.
  EXPECT_EQ(data.split("train").size(), 7);
  EXPECT_EQ(data.split("valid").size(), 1);
  EXPECT_EQ(data.split("test").size(), 3);
  std::size_t k = 0;
  for (const auto& name : split_names()) {
    const auto& s = data.split(name);
    EXPECT_EQ(s.X.shape[0], s.Y.shape[0]);
    EXPECT_EQ(s.X.values.size(), static_cast<std::size_t>(s.size() * 2 * 3));
    for (std::int64_t i = 0; i < s.size(); ++i, ++k)
      EXPECT_EQ(s.ext.values[static_cast<std::size_t>(i * 7 + 5)], hours[k]) << name << " sample " << i;
  }
  EXPECT_EQ(k, hours.size());
  auto tiny = load_fufi_data(root_.string());
  tiny.splits.at("train").X.shape[0] = 0;  // pretend a nearly empty dataset cannot be split
  tiny.splits.at("valid").X.shape[0] = 0;
  tiny.splits.at("test").X.shape[0] = 1;
  EXPECT_THROW(resplit_chronological(tiny, 7, 1, 2), fufi::InputError);
}

}  // namespace fufi_test_dataset
