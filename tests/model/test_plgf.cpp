// PLGF: shapes, the spatial constraint, gradients, ablation switches, size against the paper, and
// that a few training steps learn. Forward/backward runs use small widths (8 channels, 4x4-8x8 grids).
#include <gtest/gtest.h>

#include <string>

#include "fufi/core/error.h"
#include "fufi/model.h"
#include "fufi/model/losses.h"
#include "fufi/model/plgf.h"

namespace fufi_test_plgf {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::model;

namespace {

// A small PLGF that still has every component (2 dense layers, growth 8, 2 heads, 3 pyramid levels).
fufi::Config small_config(std::vector<std::string> extra = {}) {
  std::vector<std::string> items{"channels=8", "depth=2", "growth=8", "heads=2", "fpn_scales=3"};
  items.insert(items.end(), extra.begin(), extra.end());
  return fufi::Config::from_assignments(items);
}

DataSpec small_spec(std::int64_t channels, std::int64_t upscale, bool ext, std::int64_t size = 4) {
  DataSpec spec;
  spec.flow_channels = channels;
  spec.coarse_h = size;
  spec.coarse_w = size;
  spec.upscale = upscale;
  spec.ext_dim = ext ? ext_col::kCount : 0;
  return spec;
}

// Valid raw TaxiBJ ext rows: temperature, wind, holiday, weekend, day 1..7, hour 7..21, weather 1..17.
torch::Tensor random_ext(std::int64_t batch) {
  auto ext = torch::zeros({batch, ext_col::kCount});
  ext.slice(1, 0, 2).uniform_(0, 1);
  ext.select(1, ext_col::kHoliday).copy_(torch::randint(0, 2, {batch}));
  ext.select(1, ext_col::kWeekend).copy_(torch::randint(0, 2, {batch}));
  ext.select(1, ext_col::kDayOfWeek).copy_(torch::randint(1, 8, {batch}));
  ext.select(1, ext_col::kHour).copy_(torch::randint(7, 22, {batch}));
  ext.select(1, ext_col::kWeather).copy_(torch::randint(1, 18, {batch}));
  return ext;
}

ModelInput random_input(const DataSpec& spec, std::int64_t batch) {
  ModelInput in;
  in.coarse = torch::rand({batch, spec.flow_channels, spec.coarse_h, spec.coarse_w});
  if (spec.has_ext()) in.ext = random_ext(batch);
  return in;
}

std::shared_ptr<FufiModel> create(const DataSpec& spec, const fufi::Config& config) {
  return ModelRegistry::instance().create("plgf", spec, config);
}

bool has_parameter_containing(const torch::nn::Module& m, const std::string& part) {
  for (const auto& p : m.named_parameters())
    if (p.key().find(part) != std::string::npos) return true;
  return false;
}

DataSpec taxibj_spec(bool ext = true) {
  DataSpec spec;  // 32x32 → x4, C = 1
  spec.ext_dim = ext ? ext_col::kCount : 0;
  spec.hour_offset = 7;
  spec.hour_slots = 15;
  return spec;
}

}  // namespace

TEST(Plgf, PaperSizeIsWithinFivePercentOf356M) {
  // Paper, Efficiency Evaluation: 3.56 M parameters at channels 128, depth 4, x4 with ext.
  auto m = create(taxibj_spec(), {});
  const auto n = count_parameters(*m);
  std::cout << "plgf paper configuration: " << n << " parameters (paper: 3.56 M)\n";
  EXPECT_GT(n, 3'560'000 * 0.95);
  EXPECT_LT(n, 3'560'000 * 1.05);
  // Width and depth scale the model monotonically (Fig. 6).
  EXPECT_LT(count_parameters(*create(taxibj_spec(), fufi::Config::from_assignments({"channels=64"}))), n);
  EXPECT_GT(count_parameters(*create(taxibj_spec(), fufi::Config::from_assignments({"depth=6"}))), n);
}

TEST(Plgf, OutputShapesForUpscale248AndChannels12) {
  torch::manual_seed(1);
  for (std::int64_t upscale : {2, 4, 8}) {
    for (std::int64_t channels : {1, 2}) {
      for (bool ext : {true, false}) {
        auto spec = small_spec(channels, upscale, ext);
        auto m = create(spec, small_config());
        auto out = m->forward(random_input(spec, 2)).fine;
        EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{2, channels, 4 * upscale, 4 * upscale}))
            << "upscale " << upscale << " channels " << channels << " ext " << ext;
      }
    }
  }
  // A non-square grid whose sides the pyramid does not divide evenly (BikeNYC is 40x16, x2, C = 2).
  auto spec = small_spec(2, 2, false);
  spec.coarse_h = 10;
  spec.coarse_w = 6;
  auto out = create(spec, small_config())->forward(random_input(spec, 2)).fine;
  EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{2, 2, 20, 12}));
}

TEST(Plgf, BlocksSumToTheCoarseInputForAnyInput) {
  torch::manual_seed(2);
  for (std::int64_t upscale : {2, 4}) {
    auto spec = small_spec(2, upscale, true);
    spec.scaler_ratio = 15.0;  // scaler_X / scaler_Y, e.g. 1500 / 100
    auto m = create(spec, small_config());
    auto in = random_input(spec, 3);
    // Zeros, tiny and huge values, all in one batch.
    in.coarse = torch::rand({3, 2, 4, 4}) * torch::pow(10.0, torch::randint(-6, 4, {3, 2, 4, 4}).to(torch::kFloat));
    in.coarse.index_put_({0, 0}, 0.0f);
    auto out = m->forward(in).fine;
    EXPECT_TRUE((out >= 0).all().item<bool>());
    auto expected = in.coarse * 15.0;
    auto sums = block_sum(out, upscale);
    EXPECT_TRUE(torch::allclose(sums, expected, /*rtol=*/1e-5, /*atol=*/1e-30))
        << "max abs error " << (sums - expected).abs().max().item<float>();
  }
}

TEST(Plgf, ExactN2KeepsTheConstraintWhenTheRawDensityIsZero) {
  // An all-zero block (every ReLU off) would lose its coarse flow with UrbanFM's N2; here it is spread evenly.
  auto raw = torch::rand({1, 1, 4, 4});
  raw.slice(2, 0, 2).slice(3, 0, 2).zero_();
  raw[0][0][2][2] = 1e-9f;  // a nearly-empty block, where raw/(sum + eps) would sum well short of 1
  raw[0][0][2][3] = 0.0f;
  raw[0][0][3][2] = 0.0f;
  raw[0][0][3][3] = 0.0f;
  auto density = n2_normalize(raw, 2, 1e-7, N2Variant::Smoothed);
  auto sums = block_sum(density, 2);
  EXPECT_TRUE(torch::allclose(sums, torch::ones_like(sums), 1e-6, 1e-6)) << sums;
  EXPECT_FLOAT_EQ(density[0][0][0][0].item<float>(), 0.25f);

  // The same through the model: a head bias of -1e3 turns every raw density to 0 after the ReLU.
  auto spec = small_spec(1, 2, true);
  auto m = create(spec, small_config());
  for (auto& p : m->named_parameters())
    if (p.key() == "head.bias") p.value().detach().fill_(-1e3);
  auto in = random_input(spec, 2);
  auto out = m->forward(in).fine;
  EXPECT_TRUE(torch::allclose(block_sum(out, 2), in.coarse, 1e-5, 1e-7));
}

TEST(Plgf, EveryParameterGetsAGradient) {
  torch::manual_seed(3);
  for (bool ext : {true, false}) {
    auto spec = small_spec(2, 4, ext);
    // 64 channels give the DualAttention bottleneck 8 ReLU units; at 8 channels its single unit can be
    // dead for a whole batch, which is a zero gradient by design, not a broken path.
    auto m = create(spec, small_config({"channels=64"}));
    auto in = random_input(spec, 2);
    auto target = torch::rand({2, 2, 16, 16});
    auto loss = make_loss("dualfocal", {}, 1.0)->forward(m->forward(in).fine, target);
    loss.backward();
    ASSERT_TRUE(std::isfinite(loss.item<double>()));
    for (const auto& p : m->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key() << " (ext " << ext << ")";
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key() << " (ext " << ext << ")";
    }
  }
}

TEST(Plgf, AblationSwitchesRemoveExactlyTheirComponent) {
  const auto spec = small_spec(1, 4, true);  // two progressive blocks
  const auto options = plgf_options_from_config(small_config());
  const auto c = options.channels, d = options.resolved_cond_dim();
  auto full = create(spec, small_config());
  const auto n_full = count_parameters(*full);
  for (auto part : {"film", "fusion", "gate", "context"}) EXPECT_TRUE(has_parameter_containing(*full, part)) << part;

  auto no_film = create(spec, small_config({"film=false"}));
  EXPECT_FALSE(has_parameter_containing(*no_film, "film"));
  EXPECT_EQ(n_full - count_parameters(*no_film), 2 * count_parameters(*Film(d, c)));

  auto no_fusion = create(spec, small_config({"local_global=false"}));
  EXPECT_FALSE(has_parameter_containing(*no_fusion, "fusion"));
  EXPECT_EQ(n_full - count_parameters(*no_fusion), 2 * count_parameters(*LocalGlobalFusion(options)));

  auto no_gate = create(spec, small_config({"context_gate=false"}));
  EXPECT_FALSE(has_parameter_containing(*no_gate, "gate"));
  EXPECT_EQ(n_full - count_parameters(*no_gate), 2 * count_parameters(*ContextGatedAttention(d, c, options.heads)));

  // With neither consumer of e_cond, the context embedding is not built either.
  auto no_cond = create(spec, small_config({"film=false", "context_gate=false"}));
  EXPECT_FALSE(has_parameter_containing(*no_cond, "context"));
  EXPECT_FALSE(std::dynamic_pointer_cast<PlgfModel>(no_cond)->has_context_embedding());

  // Each variant still runs and still meets the constraint.
  torch::manual_seed(4);
  for (const auto& m : {no_film, no_fusion, no_gate, no_cond}) {
    auto in = random_input(spec, 2);
    EXPECT_TRUE(torch::allclose(block_sum(m->forward(in).fine, 4), in.coarse, 1e-5, 1e-7));
  }
}

TEST(Plgf, WithoutExtThereIsNoConditioningPath) {
  auto m = create(small_spec(2, 2, false), small_config());
  EXPECT_FALSE(has_parameter_containing(*m, "context"));
  EXPECT_FALSE(has_parameter_containing(*m, "film"));
  // Context-Gated Attention stays, attending with a learned query.
  EXPECT_TRUE(has_parameter_containing(*m, "gate_query"));
  auto no_gate = create(small_spec(2, 2, false), small_config({"context_gate=false"}));
  EXPECT_FALSE(has_parameter_containing(*no_gate, "gate"));
}

TEST(Plgf, BadConfigurationsAreUsageErrors) {
  EXPECT_THROW(create(small_spec(1, 3, true), small_config()), fufi::UsageError);  // not a power of two
  EXPECT_THROW(create(small_spec(1, 1, true), small_config()), fufi::UsageError);  // nothing to upscale
  EXPECT_THROW(create(small_spec(1, 2, true), small_config({"heads=3"})), fufi::UsageError);
  EXPECT_THROW(create(small_spec(1, 2, true), small_config({"depth=0"})), fufi::UsageError);
  EXPECT_THROW(create(small_spec(1, 2, true), small_config({"blocks=2"})), fufi::UsageError);
  auto spec = small_spec(1, 2, true);
  spec.ext_dim = 5;
  EXPECT_THROW(create(spec, small_config()), fufi::UsageError);
  // A model built with ext refuses input without it.
  auto m = create(small_spec(1, 2, true), small_config());
  EXPECT_THROW(m->forward({torch::rand({1, 1, 4, 4}), {}}), fufi::UsageError);
}

TEST(Plgf, RecipeIsThePapersAppendixA) {
  const auto& info = ModelRegistry::instance().get("plgf");
  ASSERT_EQ(info.recipes.count("plgf"), 1u);
  const auto& r = info.recipes.at("plgf");
  EXPECT_DOUBLE_EQ(r.get_double("lr"), 3e-4);
  EXPECT_EQ(r.get_int("lr_halve_every"), 8);
  EXPECT_EQ(r.get_int("epochs"), 100);
  EXPECT_EQ(r.get_int("batch_size"), 20);
  EXPECT_EQ(r.get_string("loss"), "dualfocal");
  // The paper is silent on input scaling: PLGF's own default, chosen on validation data (docs/FIDELITY.md).
  ASSERT_EQ(info.recipes.count("defaults"), 1u);
  EXPECT_EQ(info.recipes.at("defaults").get_string("scaling"), "train_max");
  const auto defaults = info.defaults();
  EXPECT_EQ(defaults.get_int("channels"), 128);
  EXPECT_EQ(defaults.get_int("depth"), 4);
  EXPECT_EQ(defaults.get_int("growth"), 32);
  EXPECT_EQ(defaults.get_int("fpn_scales"), 4);
  EXPECT_DOUBLE_EQ(defaults.get_double("residual_scale"), 0.1);
}

TEST(Plgf, AFewTrainingStepsReduceTheLoss) {
  // Synthetic task: each 2x2 block splits its coarse flow by a fixed spatial pattern whose strength
  // depends on the hour, so the model has to learn the pattern (and may use the context).
  torch::manual_seed(6);
  auto spec = small_spec(1, 2, true, 6);
  auto m = create(spec, small_config());
  auto pattern = torch::rand({1, 1, 12, 12}) + 0.05;
  auto density_of = [&](const torch::Tensor& ext) {
    auto strength = (ext.select(1, ext_col::kHour) / 21.0).view({-1, 1, 1, 1});
    return n2_normalize(pattern.pow(1 + strength), 2, 1e-12, N2Variant::Smoothed);
  };
  auto ext = random_ext(16);
  auto coarse = torch::rand({16, 1, 6, 6}) * 20;
  auto fine = recover_from_density(density_of(ext), coarse, 2, 1.0);
  auto loss_fn = make_loss("dualfocal", {}, 1.0);
  torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(3e-3));
  auto loss_now = [&] {
    torch::NoGradGuard g;
    m->eval();
    auto l = loss_fn->forward(m->forward({coarse, ext}).fine, fine).item<double>();
    m->train();
    return l;
  };
  const double before = loss_now();
  for (int step = 0; step < 40; ++step) {
    opt.zero_grad();
    auto loss = loss_fn->forward(m->forward({coarse, ext}).fine, fine);
    loss.backward();
    opt.step();
  }
  const double after = loss_now();
  EXPECT_LT(after, 0.7 * before) << "before " << before << " after " << after;
}

// The additions beyond the paper's text are switches (docs/FIDELITY.md); their defaults keep the model as it was.
TEST(Plgf, AdditionsBeyondThePaperAreSwitches) {
  const auto spec = small_spec(1, 4, true);
  auto count = [&](std::vector<std::string> extra) { return count_parameters(*create(spec, small_config(extra))); };
  const auto base = count({});
  // GroupNorm after each RDB fusion: 2 x 8 affine parameters in each of the 2 blocks.
  EXPECT_EQ(count({"rdb_fusion_norm=false"}), base - 2 * 2 * 8);
  // BatchNorm (2 x 8) replaced by a conv bias (8) at each of 3 levels in 2 blocks.
  EXPECT_EQ(count({"fpn_norm=false"}), base - 2 * 3 * 8);
  EXPECT_FALSE(has_parameter_containing(*create(spec, small_config({"rdb_fusion_norm=false"})), "fusion_norm"));
  EXPECT_TRUE(has_parameter_containing(*create(spec, small_config()), "fusion_norm"));

  // plain N2: an all-zero raw block loses its flow (UrbanFM's N2); smoothed spreads it evenly.
  const auto raw = torch::zeros({1, 1, 2, 2});
  EXPECT_NEAR(n2_normalize(raw, 2, 1e-7).sum().item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(n2_normalize(raw, 2, 1e-7, N2Variant::Smoothed).sum().item<double>(), 1.0, 1e-6);
  torch::manual_seed(3);
  auto plain = create(spec, small_config({"n2=plain"}));
  auto in = random_input(spec, 2);
  auto out = plain->forward(in).fine;
  EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{2, 1, 16, 16}));
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  EXPECT_THROW(create(spec, small_config({"n2=exact"})), fufi::UsageError);
}

}  // namespace fufi_test_plgf
