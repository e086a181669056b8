// PLGF's blocks (plgf_blocks.cpp) against the paper's equations at small widths: ECA's adaptive kernel, the
// Residual Dense Block's size and residual scale, FiLM and Context-Gated Attention at their identities, and the
// shapes of DualAttention, EnhancedFPN, Local-Global Fusion and the Environment Context Embedding.
#include <gtest/gtest.h>

#include "fufi/model.h"
#include "fufi/model/plgf.h"

namespace fufi_test_plgf_blocks {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

TEST(PlgfBlocks, ComponentsFollowThePaper) {
  EXPECT_EQ(eca_kernel_size(128), 5);  // ECA-Net's adaptive kernel at the paper's width
  EXPECT_EQ(eca_kernel_size(64), 3);
  EXPECT_EQ(eca_kernel_size(192), 5);
  // RDB at C=128, growth 32, 4 layers: 4 dense convs + GroupNorms, 1x1 fusion + GroupNorm, ECA(k=5), alpha.
  std::int64_t dense = 0;
  for (int i = 0; i < 4; ++i) dense += (128 + 32 * i) * 32 * 9 + 32 + 2 * 32;
  EXPECT_EQ(count_parameters(*ResidualDenseBlock(128, 32, 4, 0.1, 0.0)), dense + (256 * 128 + 128) + 256 + 5 + 1);
  // FiLM is (1 + γ)·F + β: zero projections leave the features unchanged, γ = 1 doubles them.
  torch::manual_seed(5);
  Film film(4, 3);
  auto h = torch::rand({2, 3, 4, 4});
  auto cond = torch::randn({2, 4});
  {
    torch::NoGradGuard no_grad;
    for (auto& p : film->parameters()) p.zero_();
  }
  EXPECT_TRUE(torch::equal(film->forward(h, cond), h));
  {
    torch::NoGradGuard no_grad;
    film->named_parameters()["gamma.bias"].fill_(1.0);
  }
  EXPECT_TRUE(torch::allclose(film->forward(h, cond), 2 * h));
  // Context-Gated Attention is γ ⊙ h + β with γ's projection bias starting at 1 (near the identity).
  ContextGatedAttention gate(8, 3, 2);
  EXPECT_TRUE(torch::equal(gate->named_parameters()["gamma.bias"], torch::ones({3})));
  EXPECT_EQ(gate->forward(h, torch::randn({2, 8})).sizes(), h.sizes());
  // The learnable residual scale starts at 0.1.
  ResidualDenseBlock rdb(8, 8, 2, 0.1, 0.0);
  EXPECT_FLOAT_EQ(rdb->named_parameters()["alpha"].item<float>(), 0.1f);
}

TEST(PlgfBlocks, EcaScalesEachChannelByOneWeightInZeroOne) {
  torch::manual_seed(6);
  Eca eca(16);
  auto x = torch::rand({2, 16, 5, 3}) + 0.5;
  auto y = eca->forward(x);
  ASSERT_EQ(y.sizes(), x.sizes());
  auto ratio = y / x;  // one weight per (sample, channel), the same at every cell
  EXPECT_TRUE(torch::allclose(ratio, ratio.select(2, 0).select(2, 0).unsqueeze(-1).unsqueeze(-1).expand_as(ratio)));
  EXPECT_GT(ratio.min().item<float>(), 0.0f);
  EXPECT_LT(ratio.max().item<float>(), 1.0f);
}

TEST(PlgfBlocks, AttentionAndPyramidKeepTheFeatureShape) {
  torch::manual_seed(7);
  // Odd, rectangular grids: the pyramid's pooled levels are resized back to the input's own size.
  auto x = torch::randn({2, 8, 7, 5});
  EXPECT_EQ(DualAttention(8)->forward(x).sizes(), x.sizes());
  EXPECT_EQ(EnhancedFpn(8, 3)->forward(x).sizes(), x.sizes());
  EXPECT_EQ(EnhancedFpn(8, 3, /*level_norm=*/false)->forward(x).sizes(), x.sizes());
  PlgfOptions o;
  o.channels = 8;
  o.growth = 4;
  o.depth = 2;
  o.fpn_scales = 2;
  EXPECT_EQ(LocalGlobalFusion(o)->forward(x).sizes(), x.sizes());
  // The RDB is a residual block: with α = 0 it is the identity.
  ResidualDenseBlock rdb(8, 4, 2, 0.0, 0.0);
  EXPECT_TRUE(torch::equal(rdb->forward(x), x));
}

TEST(PlgfBlocks, EnvironmentContextEmbeddingGivesOneVectorPerSample) {
  torch::manual_seed(8);
  EnvironmentContextEmbedding ece(8, 2);
  auto ext = torch::tensor({{0.5f, 0.1f, 0.f, 1.f, 6.f, 13.f, 4.f}, {0.2f, 0.9f, 1.f, 0.f, 1.f, 7.f, 17.f}});
  auto e = ece->forward(ext);
  ASSERT_EQ(e.sizes(), (std::vector<int64_t>{2, 8}));
  EXPECT_TRUE(torch::isfinite(e).all().item<bool>());
  // Another hour gives another context.
  auto later = ext.clone();
  later[0][ext_col::kHour] = 20;
  EXPECT_FALSE(torch::allclose(ece->forward(later)[0], e[0]));
  EXPECT_TRUE(torch::allclose(ece->forward(later)[1], e[1]));
}

}  // namespace fufi_test_plgf_blocks
