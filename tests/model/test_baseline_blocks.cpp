// Blocks shared by the reference baselines (baseline_blocks.cpp): sub-pixel upsampling and ext-to-fine
// (shapes, parameter counts, the power-of-two check naming what needs it), the residual block, UrbanFM's ext
// subnet, its initialisation, the N2 output end that keeps every block equal to its coarse cell, the input end,
// and the hour-specific heads (slots, the range error naming the model, one head per sample).
#include <gtest/gtest.h>

#include "expect_error.h"
#include "fufi/core/error.h"
#include "fufi/model.h"
#include "fufi/model/baseline_blocks.h"

namespace fufi_test_baseline_blocks {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

namespace {

torch::Tensor ext_with_hours(const std::vector<float>& hours) {
  const auto n = static_cast<std::int64_t>(hours.size());
  auto ext = torch::zeros({n, ext_col::kCount});
  ext.select(1, ext_col::kDayOfWeek).fill_(3);
  ext.select(1, ext_col::kWeather).fill_(2);
  ext.select(1, ext_col::kHour).copy_(torch::tensor(hours));
  return ext;
}

}  // namespace

TEST(BaselineBlocks, Log2ExactAcceptsPowersOfTwoAndNamesWhatNeedsThem) {
  EXPECT_EQ(log2_exact(1, "x"), 0);
  EXPECT_EQ(log2_exact(2, "x"), 1);
  EXPECT_EQ(log2_exact(8, "x"), 3);
  fufi::test::expect_error<fufi::UsageError>([] { log2_exact(6, "sub-pixel upsampling"); },
                                             {"upscale factor 6 is not a power of two", "sub-pixel upsampling"});
  EXPECT_THROW(log2_exact(0, "x"), fufi::UsageError);
}

TEST(BaselineBlocks, SubPixelUpsamplerDoublesPerStage) {
  torch::manual_seed(1);
  SubPixelUpsamplerOptions o;
  o.channels = 4;
  o.upscale = 8;
  SubPixelUpsampler up(o);
  auto x = torch::randn({2, 4, 3, 5});
  auto y = up->forward(x);
  EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{2, 4, 24, 40}));
  EXPECT_GE(y.min().item<float>(), 0.0f);  // ReLU
  // 3 stages of conv3 4→16 (+ bias) and BN(16).
  EXPECT_EQ(count_parameters(*up), 3 * ((4 * 16 * 9 + 16) + 2 * 16));
  o.batch_norm = false;
  o.conv_bias = false;
  o.leaky_slope = 0.2;
  SubPixelUpsampler leaky(o);
  EXPECT_EQ(count_parameters(*leaky), 3 * (4 * 16 * 9));
  EXPECT_LT(leaky->forward(x).min().item<float>(), 0.0f);  // LeakyReLU lets negatives through
  o.upscale = 3;
  EXPECT_THROW(SubPixelUpsampler{o}, fufi::UsageError);
}

TEST(BaselineBlocks, ExtToHighResHasTheReferenceSize) {
  ExtToHighRes ext2hr(4);
  EXPECT_EQ(count_parameters(*ext2hr), 96);  // UrbanFM's ext2hr at ×4: 2 × (conv3 1→4 + bias, BN 4)
  EXPECT_EQ(ext2hr->forward(torch::rand({2, 1, 3, 3})).sizes(), (std::vector<std::int64_t>{2, 1, 12, 12}));
  fufi::test::expect_error<fufi::UsageError>([] { ExtToHighRes{6}; }, "the ext-to-fine upsampler");
}

TEST(BaselineBlocks, ResidualBlockAddsItsInput) {
  torch::manual_seed(2);
  ResidualBlock block(4);
  auto x = torch::randn({2, 4, 5, 5});
  EXPECT_EQ(block->forward(x).sizes(), x.sizes());
  // With the last BatchNorm's scale and shift at zero the block is the identity.
  {
    torch::NoGradGuard no_grad;
    block->named_parameters()["bn2.weight"].zero_();
    block->named_parameters()["bn2.bias"].zero_();
  }
  EXPECT_TRUE(torch::allclose(block->forward(x), x));
}

TEST(BaselineBlocks, UrbanExtNetMapsRawExtToOneNonNegativeCoarseMap) {
  torch::manual_seed(3);
  UrbanExtNetOptions o;
  o.hidden = 16;
  o.out_h = 3;
  o.out_w = 5;
  UrbanExtNet net(o);
  net->eval();
  auto map = net->forward(ext_with_hours({8, 9}));
  EXPECT_EQ(map.sizes(), (std::vector<std::int64_t>{2, 1, 3, 5}));
  EXPECT_GE(map.min().item<float>(), 0.0f);
  // Embedding (2·8 + 3·24 + 3·18), Linear 12→16, Linear 16→15.
  EXPECT_EQ(count_parameters(*net), (16 + 72 + 54) + (12 * 16 + 16) + (16 * 15 + 15));
}

TEST(BaselineBlocks, UrbanFMInitialisationDrawsConvAndBatchNormWeights) {
  torch::manual_seed(4);
  ResidualBlock block(32);
  init_urbanfm_weights(*block);
  auto params = block->named_parameters();
  auto conv = params["conv1.weight"];
  EXPECT_NEAR(conv.mean().item<double>(), 0.0, 0.002);
  EXPECT_NEAR(conv.std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(params["bn1.weight"].mean().item<double>(), 1.0, 0.02);
  EXPECT_GT(params["bn1.weight"].std().item<double>(), 0.0);
  EXPECT_TRUE(torch::equal(params["bn1.bias"], torch::zeros({32})));
}

TEST(BaselineBlocks, N2RecoveredOutputKeepsEveryBlockEqualToItsCoarseCell) {
  torch::manual_seed(5);
  DataSpec spec;
  spec.flow_channels = 2;
  spec.coarse_h = 3;
  spec.coarse_w = 2;
  spec.upscale = 4;
  spec.scaler_ratio = 1.5;
  auto coarse = torch::rand({2, 2, 3, 2}) * 10 + 1;
  auto raw = torch::rand({2, 2, 12, 8});
  auto out = n2_recovered_output(raw, coarse, spec, 1e-9);
  ASSERT_EQ(out.fine.sizes(), raw.sizes());
  EXPECT_TRUE(torch::allclose(block_sum(out.fine, 4), coarse * 1.5, 1e-4, 1e-4));
  // Smoothed: also for a signed raw map.
  auto signed_out = n2_recovered_output(torch::randn({2, 2, 12, 8}), coarse, spec, 1e-5, /*smoothed=*/true);
  EXPECT_GE(signed_out.fine.min().item<float>(), 0.0f);
  EXPECT_TRUE(torch::allclose(block_sum(signed_out.fine, 4), coarse * 1.5, 1e-4, 1e-4));
}

TEST(BaselineBlocks, UrbanInputRegistersTheReferenceLayersOnItsOwner) {
  DataSpec spec;
  spec.coarse_h = 4;
  spec.coarse_w = 4;
  spec.ext_dim = ext_col::kCount;
  torch::nn::Module owner;
  UrbanInputOptions o;
  o.features = 8;
  o.ext_net.hidden = 16;
  UrbanInput input(owner, spec, o);
  EXPECT_TRUE(input.uses_ext());
  std::vector<std::string> names;
  for (const auto& child : owner.named_children()) names.push_back(child.key());
  EXPECT_EQ(names, (std::vector<std::string>{"ext_net", "ext_to_fine", "stem"}));
  owner.eval();
  auto map = input.ext_map(ext_with_hours({10}));
  EXPECT_EQ(map.sizes(), (std::vector<std::int64_t>{1, 1, 4, 4}));
  EXPECT_EQ(input.stem(torch::rand({1, 1, 4, 4}), map).sizes(), (std::vector<std::int64_t>{1, 8, 4, 4}));
  EXPECT_EQ(input.with_fine_ext(torch::rand({1, 8, 16, 16}), map).sizes(), (std::vector<std::int64_t>{1, 9, 16, 16}));
  // Without ext only the stem exists, reading the flow channels alone.
  torch::nn::Module bare;
  o.use_ext = false;
  UrbanInput flow_only(bare, spec, o);
  EXPECT_FALSE(flow_only.uses_ext());
  EXPECT_EQ(bare.named_children().size(), 1u);
  EXPECT_EQ(flow_only.stem(torch::rand({1, 1, 4, 4}), {}).sizes(), (std::vector<std::int64_t>{1, 8, 4, 4}));
}

TEST(BaselineBlocks, HourSlotsAndTheRangeErrorNamingTheModel) {
  DataSpec spec;
  spec.hour_offset = 7;
  spec.hour_slots = 15;  // hours 7..21
  auto slots = hour_slot_indices(ext_with_hours({7, 12, 21}), spec, "cufar");
  EXPECT_TRUE(torch::equal(slots, torch::tensor({0, 5, 14}, torch::kLong)));
  fufi::test::expect_error<fufi::InputError>([&] { hour_slot_indices(ext_with_hours({9, 22}), spec, "uno"); },
                                             {"uno: sample 1 has hour 22", "7..21"});
  EXPECT_THROW(hour_slot_indices(ext_with_hours({6}), spec, "uno"), fufi::InputError);
}

TEST(BaselineBlocks, EachSampleGoesThroughTheHeadOfItsSlot) {
  torch::nn::ModuleList heads;
  for (int i = 0; i < 3; ++i) {
    torch::nn::Conv2d head(torch::nn::Conv2dOptions(1, 1, 1).bias(false));
    torch::NoGradGuard no_grad;
    head->weight.fill_(static_cast<float>(i + 1));  // head i multiplies by i + 1
    heads->push_back(head);
  }
  auto features = torch::ones({3, 1, 2, 2});
  auto out = apply_hour_heads(heads, features, torch::tensor({2, 0, 1}, torch::kLong));
  EXPECT_TRUE(torch::equal(out[0], torch::full({1, 2, 2}, 3.0f)));
  EXPECT_TRUE(torch::equal(out[1], torch::full({1, 2, 2}, 1.0f)));
  EXPECT_TRUE(torch::equal(out[2], torch::full({1, 2, 2}, 2.0f)));
}

}  // namespace fufi_test_baseline_blocks
