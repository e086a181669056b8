// The real BikeNYC data in ../shared/data (never committed): loads with C=2, x2, no ext. Skips when absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "fufi/data/dataset.h"
#include "fufi/data/stats.h"

namespace fufi_test_bikenyc {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

TEST(BikeNYC, LoadsTwoChannelsUpscaleTwoWithoutExt) {
  const std::string dir = std::string(FUFI_SOURCE_DIR) + "/../shared/data/BikeNYC_FUFI_P6";
  if (!std::filesystem::exists(dir + "/train/X.npy")) GTEST_SKIP() << dir << " is absent";
  auto d = fufi::data::load_fufi_data(dir);
  EXPECT_EQ(d.layout.flow_channels, 2);
  EXPECT_EQ(d.layout.coarse_h, 40);
  EXPECT_EQ(d.layout.coarse_w, 16);
  EXPECT_EQ(d.layout.upscale, 2);
  EXPECT_EQ(d.layout.ext_dim, 0);
  EXPECT_EQ(d.split("train").size(), 1532);
  EXPECT_EQ(d.split("valid").size(), 438);
  EXPECT_EQ(d.split("test").size(), 219);
  EXPECT_EQ(d.constraint.max_abs, 0.0);  // X is the exact 2x2 sum of Y
  auto st = fufi::data::dataset_stats(d);
  EXPECT_GT(st.splits[0].fine.zero_fraction, 0.9);  // very sparse: ~97 % zero fine cells
}

}  // namespace fufi_test_bikenyc
