// Building blocks shared by every model (layers.cpp): block sums, both N2 variants and the recovery that keeps
// every N×N block equal to its coarse cell, the ext index columns, the reference ext embedding.
#include <gtest/gtest.h>

#include "fufi/core/error.h"
#include "fufi/model.h"
#include "fufi/model/layers.h"

namespace fufi_test_layers {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

TEST(Layers, BlockSumAddsEachBlockAndUpsampledBroadcastsIt) {
  auto fine = torch::arange(16, torch::kFloat32).reshape({1, 1, 4, 4});
  auto sums = block_sum(fine, 2);
  ASSERT_EQ(sums.sizes(), (std::vector<int64_t>{1, 1, 2, 2}));
  // Top-left block: 0 + 1 + 4 + 5; bottom-right: 10 + 11 + 14 + 15.
  EXPECT_FLOAT_EQ(sums[0][0][0][0].item<float>(), 10.0f);
  EXPECT_FLOAT_EQ(sums[0][0][1][1].item<float>(), 50.0f);
  EXPECT_TRUE(torch::equal(block_sum(fine, 1), fine));  // ×1: nothing to sum
  auto up = block_sum_upsampled(fine, 2);
  ASSERT_EQ(up.sizes(), fine.sizes());
  EXPECT_FLOAT_EQ(up[0][0][1][0].item<float>(), 10.0f);  // every cell of a block holds the block's sum
  EXPECT_FLOAT_EQ(up[0][0][3][3].item<float>(), 50.0f);
  // Rectangular, several channels: each channel's blocks are its own.
  auto r = torch::ones({2, 3, 4, 8});
  r.select(1, 2).mul_(2);
  EXPECT_TRUE(torch::equal(block_sum(r, 4).select(1, 2), torch::full({2, 1, 2}, 32.0f)));
}

TEST(Layers, N2NormalizeBlocksSumToOneAndZeroBlocksStayZero) {
  auto raw = torch::rand({2, 1, 8, 8});
  raw.slice(2, 0, 4).slice(3, 0, 4).zero_();
  auto d = n2_normalize(raw, 4, 1e-5);
  auto sums = block_sum(d, 4);
  EXPECT_NEAR(sums[0][0][0][0].item<float>(), 0.0f, 1e-6);
  EXPECT_NEAR(sums[0][0][1][1].item<float>(), 1.0f, 1e-4);
  auto coarse = torch::rand({2, 1, 2, 2}) * 100;
  auto fine = recover_from_density(d, coarse, 4, 1.0);
  auto back = block_sum(fine, 4);
  EXPECT_NEAR(back[1][0][1][0].item<float>(), coarse[1][0][1][0].item<float>(), 1e-2);
}

TEST(Layers, SmoothedN2SumsToOneForAnyRawMap) {
  torch::manual_seed(3);
  auto raw = torch::randn({2, 2, 8, 8});
  raw.slice(2, 0, 4).slice(3, 4, 8).fill_(-1.0);  // a block with no positive mass
  auto d = n2_normalize(raw, 4, 1e-5, N2Variant::Smoothed);
  EXPECT_GE(d.min().item<float>(), 0.0f);
  EXPECT_TRUE(torch::allclose(block_sum(d, 4), torch::ones({2, 2, 2, 2}), 1e-5, 1e-5));
  // The block without positive mass becomes uniform: 1/16 per cell.
  EXPECT_TRUE(torch::allclose(d.slice(2, 0, 4).slice(3, 4, 8), torch::full({2, 2, 4, 4}, 1.0f / 16), 1e-6, 1e-6));
  // The plain variant divides the signed map as it is: negative densities (the SR baselines' failure mode).
  EXPECT_LT(n2_normalize(raw, 4, 1e-5, N2Variant::Plain).min().item<float>(), 0.0f);
}

TEST(Layers, RecoveryKeepsEveryBlockEqualToItsScaledCoarseCell) {
  torch::manual_seed(4);
  auto density = n2_normalize(torch::rand({3, 1, 12, 8}) + 0.01, 4, 1e-7, N2Variant::Smoothed);
  auto coarse = torch::rand({3, 1, 3, 2}) * 50;
  auto fine = recover_from_density(density, coarse, 4, 2.5);
  ASSERT_EQ(fine.sizes(), (std::vector<int64_t>{3, 1, 12, 8}));
  EXPECT_TRUE(torch::allclose(block_sum(fine, 4), coarse * 2.5, 1e-4, 1e-3));
}

TEST(Layers, ExtIndexRoundsAColumnToInt64) {
  auto ext = torch::tensor({{0.5f, 0.1f, 0.f, 1.f, 6.f, 12.9999f, 4.f}, {0.f, 0.f, 1.f, 0.f, 1.f, 7.f, 17.f}});
  auto hours = ext_index(ext, ext_col::kHour);
  EXPECT_EQ(hours.scalar_type(), torch::kLong);
  EXPECT_EQ(hours[0].item<int64_t>(), 13);
  EXPECT_EQ(hours[1].item<int64_t>(), 7);
  EXPECT_EQ(ext_index(ext, ext_col::kWeather)[1].item<int64_t>(), 17);
}

TEST(Layers, ExtEmbeddingHasReferenceWidth) {
  ExtEmbedding emb;
  EXPECT_EQ(emb->output_dim(), 12);
  auto ext = torch::tensor({{0.5f, 0.1f, 0.f, 1.f, 6.f, 13.f, 4.f}});
  EXPECT_EQ(emb->forward(ext).sizes(), (std::vector<int64_t>{1, 12}));
  EXPECT_EQ(count_parameters(*emb), 8 * 2 + 24 * 3 + 18 * 3);
}

TEST(Layers, ExtEmbeddingConcatenatesEmbeddingsAndTheContinuousColumns) {
  ExtEmbedding emb;
  auto ext = torch::tensor({{0.5f, 0.25f, 1.f, 0.f, 3.f, 9.f, 2.f}});
  auto out = emb->forward(ext);
  auto params = emb->named_parameters();
  // [day(2), hour(3), weather(3), ext[:, 0:4]]: each embedding row picked by its column's value.
  EXPECT_TRUE(torch::equal(out.slice(1, 0, 2)[0], params["day.weight"][3]));
  EXPECT_TRUE(torch::equal(out.slice(1, 2, 5)[0], params["hour.weight"][9]));
  EXPECT_TRUE(torch::equal(out.slice(1, 5, 8)[0], params["weather.weight"][2]));
  EXPECT_TRUE(torch::equal(out.slice(1, 8, 12), ext.slice(1, 0, 4)));
}

}  // namespace fufi_test_layers
