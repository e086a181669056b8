// A dataset's identity (data_identity.cpp): one text for the sweep that writes it and the report that reads it.
#include <gtest/gtest.h>

#include "fufi/core/data_identity.h"

namespace fufi_test_data_identity {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using fufi::DataIdentity;

TEST(DataIdentity, SyntheticTextRoundTrips) {
  DataIdentity d;
  d.synthetic = true;
  d.preset = "small";
  d.seed = 2026;
  d.coarse_size = 16;
  d.upscale = 4;
  d.samples_per_task = 300;
  d.generator = 1;
  const std::string text = d.text();
  EXPECT_EQ(text, "synthetic:preset=small,seed=2026,coarse_size=16,upscale=4,samples_per_task=300,generator=1");
  const auto back = DataIdentity::parse(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->synthetic);
  EXPECT_EQ(back->preset, "small");
  EXPECT_EQ(back->seed, 2026u);
  EXPECT_EQ(back->coarse_size, 16);
  EXPECT_EQ(back->upscale, 4);
  EXPECT_EQ(back->samples_per_task, 300);
  EXPECT_EQ(back->generator, 1);
  EXPECT_EQ(back->text(), text);
}

TEST(DataIdentity, RootsAndOlderOrForeignTexts) {
  const auto root = DataIdentity::parse("root:/data/TaxiBJ");
  ASSERT_TRUE(root.has_value());
  EXPECT_FALSE(root->synthetic);
  EXPECT_EQ(root->root, "/data/TaxiBJ");
  EXPECT_EQ(root->text(), "root:/data/TaxiBJ");
  // Before the generator had a version: still read, generator 0.
  const auto old = DataIdentity::parse("synthetic:preset=paper,seed=1,coarse_size=32,upscale=4,samples_per_task=0");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->generator, 0);
  EXPECT_FALSE(DataIdentity::parse("synthetic:preset=small,seed=x,coarse_size=16,upscale=4,samples_per_task=1"));
  EXPECT_FALSE(DataIdentity::parse("synthetic:seed=1"));
  EXPECT_FALSE(DataIdentity::parse("/data/TaxiBJ"));
}

}  // namespace fufi_test_data_identity
