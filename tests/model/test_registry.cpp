#include <gtest/gtest.h>

#include "fufi/core/error.h"
#include "fufi/model.h"

using namespace fufi::model;

TEST(Registry, UnknownModelSuggestsNearest) {
  auto& r = ModelRegistry::instance();
  try {
    r.get("unifrm");
    FAIL();
  } catch (const fufi::UsageError& e) {
    EXPECT_NE(e.message().find("did you mean 'uniform'"), std::string::npos) << e.message();
  }
}

TEST(Registry, UnknownKeyIsUsageError) {
  auto& r = ModelRegistry::instance();
  EXPECT_THROW(r.resolve("uniform", fufi::Config::from_assignments({"channels=3"})), fufi::UsageError);
}

TEST(Uniform, SpreadsEachCoarseCellEvenly) {
  DataSpec spec;
  spec.coarse_h = 2;
  spec.coarse_w = 3;
  spec.upscale = 2;
  spec.scaler_ratio = 2.0;
  auto m = ModelRegistry::instance().create("uniform", spec, {});
  EXPECT_EQ(count_parameters(*m), 0);
  EXPECT_FALSE(m->trainable());
  auto x = torch::arange(6, torch::kFloat32).reshape({1, 1, 2, 3});
  auto y = m->forward({x, {}}).fine;
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 1, 4, 6}));
  // Each fine cell holds coarse * scale / 4; blocks sum back to coarse * scale.
  EXPECT_FLOAT_EQ(y[0][0][3][5].item<float>(), 5.0f * 2.0f / 4.0f);
  EXPECT_TRUE(torch::allclose(block_sum(y, 2), x * 2.0));
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

TEST(Layers, ExtEmbeddingHasReferenceWidth) {
  ExtEmbedding emb;
  EXPECT_EQ(emb->output_dim(), 12);
  auto ext = torch::tensor({{0.5f, 0.1f, 0.f, 1.f, 6.f, 13.f, 4.f}});
  EXPECT_EQ(emb->forward(ext).sizes(), (std::vector<int64_t>{1, 12}));
  EXPECT_EQ(count_parameters(*emb), 8 * 2 + 24 * 3 + 18 * 3);
}
