// The UrbanFM-family baselines: urbanfm, urbanpy, deeplgr, fode, urbanode. Exact reference parameter
// counts at 32→128 (baselines.md), then at test size: output shapes, the spatial constraint, gradients,
// a few training steps, multi-channel/no-ext/rectangular data, UrbanPy's multi-scale loss, the ODE step,
// and the FODE/UrbanODE negative-output quirk with its safe_n2 fix.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "fufi/core/error.h"
#include "fufi/model.h"
#include "fufi/model/losses.h"
#include "fufi/model/urban_baselines.h"

using namespace fufi::model;
using fufi::Config;

namespace {

DataSpec make_spec(std::int64_t channels, std::int64_t h, std::int64_t w, std::int64_t upscale, std::int64_t ext_dim) {
  DataSpec spec;
  spec.flow_channels = channels;
  spec.coarse_h = h;
  spec.coarse_w = w;
  spec.upscale = upscale;
  spec.ext_dim = ext_dim;
  return spec;
}

// TaxiBJ at the reference defaults: 32×32 → 128×128, 7 ext columns, hours 7..21.
DataSpec taxibj_spec() {
  auto spec = make_spec(1, 32, 32, 4, 7);
  spec.hour_offset = 7;
  spec.hour_slots = 15;
  return spec;
}

// A test-size TaxiBJ-like spec; scaler_ratio != 1 so that a model ignoring it is caught.
DataSpec small_spec() {
  auto spec = make_spec(1, 8, 8, 4, 7);
  spec.scaler_ratio = 2.0;
  return spec;
}

// BikeNYC-like: 2 channels, ×2, no ext, a rectangular grid.
DataSpec bike_spec() { return make_spec(2, 8, 4, 2, 0); }

std::int64_t count(const std::string& name, const DataSpec& spec, const std::vector<std::string>& sets = {}) {
  return count_parameters(*ModelRegistry::instance().create(name, spec, Config::from_assignments(sets)));
}

struct Batch {
  torch::Tensor coarse, fine, ext;
};

// Zero-inflated, heavy-tailed integer fine counts; the coarse map is their exact block sum (in coarse
// units, i.e. divided by scaler_ratio); ext in the raw 7-column TaxiBJ encoding.
Batch synthetic_batch(const DataSpec& spec, std::int64_t b) {
  Batch batch;
  auto shape = std::vector<std::int64_t>{b, spec.flow_channels, spec.fine_h(), spec.fine_w()};
  auto busy = (torch::rand(shape) > 0.3).to(torch::kFloat32);
  batch.fine = torch::floor(torch::exp(torch::randn(shape)) * 3.0) * busy;
  batch.coarse = block_sum(batch.fine, spec.upscale) / spec.scaler_ratio;
  if (spec.has_ext()) {
    batch.ext = torch::cat({torch::rand({b, 4}), torch::randint(1, 8, {b, 1}), torch::randint(7, 22, {b, 1}),
                            torch::randint(1, 18, {b, 1})},
                           1)
                    .to(torch::kFloat32);
  }
  return batch;
}

struct Case {
  std::string label;
  std::string model;
  std::vector<std::string> sets;  // small test-size configuration
  // Added for the few-steps training test only. FODE/UrbanODE train with safe_n2 there: in the
  // reference configuration, blocks of mixed sign and near-zero sum make the loss spike by orders of
  // magnitude (measured at this size: 58 -> 2455 -> ... -> 27843 within 20 steps), so whether a short
  // run ends lower depends on the dropout stream rather than on the implementation. The reference
  // configuration's forward, constraint and gradients are tested by the other cases.
  std::vector<std::string> train_sets = {};
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

std::vector<Case> small_cases() {
  return {
      {"urbanfm", "urbanfm", {"channels=16", "residual_blocks=2"}},
      {"urbanpy_local", "urbanpy", {"channels=16", "residual_blocks=2"}},
      {"urbanpy_global", "urbanpy", {"channels=16", "residual_blocks=2", "proposal=global"}},
      {"deeplgr", "deeplgr", {"channels=16", "se_blocks=2"}},
      {"fode", "fode", {"channels=16"}, {"safe_n2=true"}},
      {"urbanode", "urbanode", {"channels=16"}, {"safe_n2=true"}},
  };
}

std::shared_ptr<FufiModel> make(const Case& c, const DataSpec& spec) {
  return ModelRegistry::instance().create(c.model, spec, Config::from_assignments(c.sets));
}

// The spatial constraint as the references keep it: each N×N block sums to its coarse cell, except
// blocks whose raw map the ReLU before N2 zeroed entirely (N2 maps an all-zero block to zero; a quirk of
// every reference with that ReLU). A good share of blocks must be live, or the check would be vacuous:
// at test size, ×2 blocks of 4 cells and default init, up to ~48 % are dead (FODE without ext).
void expect_spatial_constraint(const torch::Tensor& fine, const torch::Tensor& expected_sums, std::int64_t upscale,
                               const std::string& label) {
  ASSERT_TRUE(torch::isfinite(fine).all().item<bool>()) << label;
  auto sums = block_sum(fine, upscale);
  auto dead = block_sum(fine.abs(), upscale) == 0;
  auto error = torch::where(dead, torch::zeros_like(sums), (sums - expected_sums).abs());
  EXPECT_LT(error.max().item<double>(), 1e-3 * (1.0 + expected_sums.abs().max().item<double>())) << label;
  EXPECT_LT(dead.to(torch::kFloat32).mean().item<double>(), 0.75) << label << ": most blocks are ReLU-dead";
}

// The objective its reference recipe trains with: UrbanPy's own multi-scale loss, MSE otherwise.
torch::Tensor training_loss(FufiModel& model, const ModelOutput& out, const torch::Tensor& target) {
  return model.has_model_loss() ? model.model_loss(out, target) : torch::mse_loss(out.fine, target);
}

}  // namespace

// ---------------------------------------------------------------- reference parameter counts (32→128)

TEST(UrbanFMFamilyCounts, UrbanFMMatchesReference) {
  auto spec = taxibj_spec();
  EXPECT_EQ(count("urbanfm", spec), 6226752);
  EXPECT_EQ(count("urbanfm", spec, {"channels=64"}), 1668992);
  EXPECT_EQ(count("urbanfm", spec, {"channels=32"}), 523680);
  EXPECT_EQ(count("urbanfm", spec, {"use_ext=false"}), 6082305);
  spec.ext_dim = 0;
  EXPECT_EQ(count("urbanfm", spec), 6082305);
}

TEST(UrbanFMFamilyCounts, UrbanPyMatchesReference) {
  auto spec = taxibj_spec();
  EXPECT_EQ(count("urbanpy", spec), 3536762);
  EXPECT_EQ(count("urbanpy", spec, {"proposal=global"}), 2974930);
  EXPECT_EQ(count("urbanpy", spec, {"channels=128"}), 11985338);
}

TEST(UrbanFMFamilyCounts, DeepLGRMatchesReference) { EXPECT_EQ(count("deeplgr", taxibj_spec()), 11026449); }

TEST(UrbanFMFamilyCounts, FODEMatchesReference) { EXPECT_EQ(count("fode", taxibj_spec()), 2131423); }

TEST(UrbanFMFamilyCounts, UrbanODEMatchesReference) { EXPECT_EQ(count("urbanode", taxibj_spec()), 3053139); }

// ---------------------------------------------------------------- every model at test size

class UrbanFMFamilySmall : public ::testing::TestWithParam<Case> {};

TEST_P(UrbanFMFamilySmall, OutputShapeAndSpatialConstraint) {
  torch::manual_seed(11);
  auto spec = small_spec();
  auto model = make(GetParam(), spec);
  auto batch = synthetic_batch(spec, 2);
  auto fine = model->forward({batch.coarse, batch.ext}).fine;
  ASSERT_EQ(fine.sizes(), batch.fine.sizes());
  expect_spatial_constraint(fine, batch.coarse * spec.scaler_ratio, spec.upscale, GetParam().label);
}

TEST_P(UrbanFMFamilySmall, MultiChannelRectangularWithoutExt) {
  torch::manual_seed(12);
  auto spec = bike_spec();
  auto model = make(GetParam(), spec);
  auto batch = synthetic_batch(spec, 2);
  EXPECT_FALSE(batch.ext.defined());
  auto fine = model->forward({batch.coarse, {}}).fine;
  ASSERT_EQ(fine.sizes(), (std::vector<std::int64_t>{2, 2, 16, 8}));
  expect_spatial_constraint(fine, batch.coarse, spec.upscale, GetParam().label);
}

TEST_P(UrbanFMFamilySmall, BackwardReachesEveryUsedParameter) {
  torch::manual_seed(13);
  auto spec = small_spec();
  auto model = make(GetParam(), spec);
  auto batch = synthetic_batch(spec, 2);
  auto out = model->forward({batch.coarse, batch.ext});
  training_loss(*model, out, batch.fine).backward();
  for (const auto& item : model->named_parameters()) {
    // UrbanODE's conv4/5/6 exist in the reference but are never called.
    if (item.key().rfind("unused.", 0) == 0) {
      EXPECT_FALSE(item.value().grad().defined()) << item.key();
      continue;
    }
    ASSERT_TRUE(item.value().grad().defined()) << GetParam().label << ": no gradient for " << item.key();
    EXPECT_TRUE(torch::isfinite(item.value().grad()).all().item<bool>()) << item.key();
  }
}

TEST_P(UrbanFMFamilySmall, TrainingStepsLowerTheLoss) {
  torch::manual_seed(14);
  auto spec = small_spec();
  auto sets = GetParam().sets;
  sets.insert(sets.end(), GetParam().train_sets.begin(), GetParam().train_sets.end());
  auto model = ModelRegistry::instance().create(GetParam().model, spec, Config::from_assignments(sets));
  auto batch = synthetic_batch(spec, 4);
  // Dropout stays on (train mode); reseeding before each evaluation gives both the same masks.
  auto evaluate = [&] {
    torch::NoGradGuard no_grad;
    torch::manual_seed(99);
    return training_loss(*model, model->forward({batch.coarse, batch.ext}), batch.fine).item<double>();
  };
  const double before = evaluate();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  for (int step = 0; step < 20; ++step) {
    adam.zero_grad();
    training_loss(*model, model->forward({batch.coarse, batch.ext}), batch.fine).backward();
    adam.step();
  }
  const double after = evaluate();
  EXPECT_LT(after, 0.9 * before) << GetParam().label << ": " << before << " -> " << after;
}

TEST_P(UrbanFMFamilySmall, RejectsInputsThatDoNotMatchItsSpec) {
  auto spec = small_spec();
  auto model = make(GetParam(), spec);
  auto batch = synthetic_batch(spec, 2);
  EXPECT_THROW(model->forward({batch.coarse, {}}), fufi::UsageError);  // ext expected
  EXPECT_THROW(model->forward({batch.coarse.slice(3, 0, 4), batch.ext}), fufi::UsageError);
}

TEST_P(UrbanFMFamilySmall, CarriesItsReferenceRecipe) {
  const auto& info = ModelRegistry::instance().get(GetParam().model);
  ASSERT_TRUE(info.recipes.count("reference"));
  const auto& recipe = info.recipes.at("reference");
  for (const char* key : {"epochs", "batch_size", "lr", "lr_halve_every", "adam_beta1", "adam_beta2", "loss",
                          "scaler_x", "scaler_y"})
    EXPECT_TRUE(recipe.has(key)) << GetParam().model << " recipe lacks " << key;
  EXPECT_EQ(recipe.get_string("loss"), GetParam().model == "urbanpy" ? "model" : "mse");
}

INSTANTIATE_TEST_SUITE_P(Models, UrbanFMFamilySmall, ::testing::ValuesIn(small_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.label; });

// ---------------------------------------------------------------- recipes, registry, errors

TEST(UrbanFMFamily, RecipesFollowTheirReferenceScripts) {
  auto& r = ModelRegistry::instance();
  const auto& urbanfm = r.get("urbanfm").recipes.at("reference");
  EXPECT_EQ(urbanfm.get_int("lr_halve_every"), 20);
  EXPECT_DOUBLE_EQ(urbanfm.get_double("scaler_x"), 1500.0);
  EXPECT_DOUBLE_EQ(urbanfm.get_double("scaler_y"), 100.0);
  EXPECT_EQ(r.get("urbanpy").recipes.at("reference").get_int("lr_halve_every"), 50);
  for (const char* name : {"deeplgr", "fode", "urbanode"}) {
    const auto& recipe = r.get(name).recipes.at("reference");
    EXPECT_DOUBLE_EQ(recipe.get_double("adam_beta2"), 0.9) << name;  // CUFAR passes b1 twice
    EXPECT_EQ(recipe.get_int("lr_halve_every"), 0) << name;
    EXPECT_DOUBLE_EQ(recipe.get_double("scaler_y"), 1.0) << name;
  }
}

TEST(UrbanFMFamily, OnlyUrbanPyHasItsOwnLoss) {
  auto spec = small_spec();
  for (const auto& c : small_cases()) EXPECT_EQ(make(c, spec)->has_model_loss(), c.model == "urbanpy") << c.label;
}

TEST(UrbanFMFamily, ArchitecturalLimitsAreUsageErrors) {
  auto& r = ModelRegistry::instance();
  auto spec = small_spec();
  spec.upscale = 3;  // sub-pixel ×2 stages need a power of two
  for (const char* name : {"urbanfm", "urbanpy", "deeplgr", "fode", "urbanode"}) {
    try {
      r.create(name, spec, Config::from_assignments({"channels=16"}));
      ADD_FAILURE() << name << " accepted upscale 3";
    } catch (const fufi::UsageError& e) {
      // The user's model is named first, not one of its building blocks (e.g. the ext-to-fine upsampler).
      EXPECT_EQ(e.message().rfind(std::string(name) + ": upscale factor 3 is not a power of two", 0), 0u)
          << e.message();
    }
  }
  spec.upscale = 1;
  EXPECT_THROW(r.create("urbanpy", spec, Config::from_assignments({"channels=16"})), fufi::UsageError);
  spec = small_spec();
  EXPECT_THROW(r.create("fode", spec, Config::from_assignments({"channels=8"})), fufi::UsageError);
  EXPECT_THROW(r.create("urbanode", spec, Config::from_assignments({"channels=48"})), fufi::UsageError);
  EXPECT_THROW(r.create("urbanpy", spec, Config::from_assignments({"proposal=middle"})), fufi::UsageError);
  // DeepLGR's pyramid needs gcd(H, W) divisible by 8: 12×4 fine maps have gcd 4.
  spec.coarse_h = 6;
  spec.coarse_w = 2;
  spec.upscale = 2;
  EXPECT_THROW(r.create("deeplgr", spec, Config::from_assignments({"channels=16", "se_blocks=1"})), fufi::UsageError);
  // Ext of another width cannot be embedded.
  spec = small_spec();
  spec.ext_dim = 5;
  EXPECT_THROW(r.create("urbanfm", spec, Config::from_assignments({"channels=16"})), fufi::UsageError);
  EXPECT_NO_THROW(r.create("urbanfm", spec, Config::from_assignments({"channels=16", "use_ext=false"})));
}

TEST(UrbanFMFamily, ZeroBlockBodiesAreIdentities) {
  torch::manual_seed(5);
  auto spec = small_spec();
  auto batch = synthetic_batch(spec, 2);
  for (const auto& [name, sets] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"urbanfm", {"channels=16", "residual_blocks=0"}},
           {"urbanpy", {"channels=16", "residual_blocks=0", "proposal_res_blocks=0"}},
           {"deeplgr", {"channels=16", "se_blocks=0"}}}) {
    auto model = ModelRegistry::instance().create(name, spec, Config::from_assignments(sets));
    EXPECT_EQ(model->forward({batch.coarse, batch.ext}).fine.sizes(), batch.fine.sizes()) << name;
  }
}

// ---------------------------------------------------------------- UrbanPy

TEST(UrbanPy, ReturnsEveryScaleAndEachKeepsItsConstraint) {
  torch::manual_seed(21);
  auto spec = small_spec();
  spec.upscale = 8;  // three ×2 steps
  auto model = ModelRegistry::instance().create("urbanpy", spec,
                                                Config::from_assignments({"channels=16", "residual_blocks=1"}));
  auto batch = synthetic_batch(spec, 2);
  auto out = model->forward({batch.coarse, batch.ext});
  ASSERT_EQ(out.intermediate.size(), 2u);
  ASSERT_EQ(out.densities.size(), 3u);
  auto expected = batch.coarse * spec.scaler_ratio;
  for (int i = 0; i < 3; ++i) {
    const std::int64_t block = std::int64_t{2} << i;
    const auto& flows = i < 2 ? out.intermediate[i] : out.fine;
    ASSERT_EQ(flows.size(2), 8 * block);
    EXPECT_EQ(out.densities[i].sizes(), flows.sizes());
    EXPECT_TRUE(torch::allclose(block_sum(flows, block), expected, 1e-3, 1e-2)) << "scale " << block;
    // Densities sum to one over each block with traffic.
    EXPECT_TRUE(torch::allclose(block_sum(out.densities[i], block), torch::ones_like(expected), 1e-3, 1e-3));
  }
  auto loss = model->model_loss(out, batch.fine);
  EXPECT_EQ(loss.dim(), 0);
  EXPECT_GT(loss.item<double>(), 0.0);
  // Someone else's output (no densities) is a usage error, not a crash.
  EXPECT_THROW(model->model_loss(ModelOutput{out.fine, {}, {}}, batch.fine), fufi::UsageError);
}

TEST(UrbanPy, ModelLossIsWeightedMseOverScalesPlusKl) {
  torch::manual_seed(22);
  auto spec = small_spec();
  auto model = ModelRegistry::instance().create(
      "urbanpy", spec, Config::from_assignments({"channels=16", "residual_blocks=1", "kl_alpha=0.25"}));
  auto batch = synthetic_batch(spec, 2);
  auto out = model->forward({batch.coarse, batch.ext});
  auto mid_target = block_sum(batch.fine, 2);  // the 16×16 scale
  auto mse = torch::mse_loss(out.intermediate[0], mid_target) + torch::mse_loss(out.fine, batch.fine);
  auto kl = urbanpy_density_kl(out.densities[0], mid_target, 2) + urbanpy_density_kl(out.densities[1], batch.fine, 4);
  EXPECT_NEAR(model->model_loss(out, batch.fine).item<double>(), (0.75 * mse + 0.25 * kl).item<double>(), 1e-5);
}

TEST(UrbanPy, DensityKlMatchesHandComputation) {
  // One sample, one 2×2 block with counts {1, 3, 0, 0} (true density {.25, .75, 0, 0}) and one empty block.
  auto target = torch::tensor({{1.f, 3.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}}).reshape({1, 1, 2, 4});
  auto predicted = torch::tensor({{0.5f, 0.5f, 0.25f, 0.25f}, {0.f, 0.f, 0.25f, 0.25f}}).reshape({1, 1, 2, 4});
  // Only the first block counts; the zero-density cells contribute ~1e-9·log(...) ≈ 0.
  const double expected = 0.25 * std::log(0.25 / 0.5) + 0.75 * std::log(0.75 / 0.5);
  EXPECT_NEAR(urbanpy_density_kl(predicted, target, 2).item<double>(), expected, 1e-5);
  // A perfect prediction has zero divergence; an all-empty sample contributes zero, not NaN.
  auto perfect = torch::tensor({{0.25f, 0.75f, 0.25f, 0.25f}, {0.f, 0.f, 0.25f, 0.25f}}).reshape({1, 1, 2, 4});
  EXPECT_NEAR(urbanpy_density_kl(perfect, target, 2).item<double>(), 0.0, 1e-5);
  EXPECT_EQ(urbanpy_density_kl(perfect, torch::zeros_like(target), 2).item<double>(), 0.0);
}

TEST(UrbanPy, LocalConvGivesEachTileItsOwnMatrix) {
  torch::manual_seed(23);
  LocalConv local(LocalConvOptions{2, 3, 2, 2, 2});
  {
    torch::NoGradGuard no_grad;
    local->weight.copy_(torch::eye(8).expand({6, 8, 8}));
  }
  auto x = torch::randn({3, 2, 4, 6});
  EXPECT_TRUE(torch::allclose(local->forward(x), x));  // identity per tile
  {
    torch::NoGradGuard no_grad;
    local->weight[4].mul_(3.0);  // tile (row 1, col 1) only
  }
  auto y = local->forward(x);
  auto tile = [](const torch::Tensor& t) { return t.slice(2, 2, 4).slice(3, 2, 4); };
  EXPECT_TRUE(torch::allclose(tile(y), 3.0 * tile(x)));
  EXPECT_TRUE(torch::allclose(y.slice(2, 0, 2), x.slice(2, 0, 2)));
  EXPECT_EQ(count_parameters(*local), 6 * 8 * 8);
}

// ---------------------------------------------------------------- FODE / UrbanODE

TEST(OdeModels, RungeKuttaThreeEighthsStepIsFourthOrder) {
  // dy/dt = a·y: one RK4 step gives y0·(1 + h + h²/2 + h³/6 + h⁴/24), h = a·dt.
  auto y0 = torch::tensor({1.0, -2.0}, torch::kFloat64);
  for (double a : {0.5, -1.3}) {
    for (double dt : {1.0, 0.25}) {
      const double h = a * dt;
      auto y1 = rk4_three_eighths_step([a](const torch::Tensor& y) { return a * y; }, y0, dt);
      const double factor = 1 + h + h * h / 2 + h * h * h / 6 + h * h * h * h / 24;
      EXPECT_TRUE(torch::allclose(y1, y0 * factor, 1e-12, 1e-12)) << a << " " << dt;
    }
  }
  // The 3/8 rule (not the classic rule) on dy/dt = t-free nonlinear f: compare with the explicit tableau.
  auto f = [](const torch::Tensor& y) { return torch::sin(y) * 2.0; };
  auto k1 = f(y0), k2 = f(y0 + k1 / 3.0), k3 = f(y0 + k2 - k1 / 3.0), k4 = f(y0 + k1 - k2 + k3);
  EXPECT_TRUE(torch::allclose(rk4_three_eighths_step(f, y0), y0 + (k1 + 3 * k2 + 3 * k3 + k4) / 8.0));
}

// The reference's PyramidAttention.forward written out literally (per-sample conv2d against the
// normalised key patches, conv_transpose2d with the value patches, interpolate by scale factor), from
// the module's own parameters: fufi's batched-GEMM version must give the same map.
torch::Tensor literal_pyramid_attention(PyramidAttention& attention, const torch::Tensor& input) {
  namespace F = torch::nn::functional;
  auto params = attention->named_parameters();
  auto conv_prelu = [&](const std::string& name, const torch::Tensor& x) {
    auto y = torch::conv2d(x, params[name + ".0.weight"], params[name + ".0.bias"]);
    return torch::prelu(y, params[name + ".1.weight"]);
  };
  auto patches = [](const torch::Tensor& x) {
    return F::unfold(x, F::UnfoldFuncOptions({3, 3}).padding(1))
        .view({x.size(0), x.size(1), 3, 3, -1})
        .permute({0, 4, 1, 2, 3});
  };
  auto query = conv_prelu("match_base", input);
  std::vector<torch::Tensor> keys, values;
  for (int level = 0; level < 5; ++level) {
    const double scale = 1.0 - level / 10.0;
    auto ref = level == 0 ? input
                          : F::interpolate(input, F::InterpolateFuncOptions()
                                                      .scale_factor(std::vector<double>{scale, scale})
                                                      .mode(torch::kNearest)
                                                      .recompute_scale_factor(true));
    values.push_back(patches(conv_prelu("assembly", ref)));
    keys.push_back(patches(conv_prelu("match", ref)));
  }
  std::vector<torch::Tensor> out;
  for (std::int64_t i = 0; i < input.size(0); ++i) {
    std::vector<torch::Tensor> k, v;
    for (int level = 0; level < 5; ++level) {
      k.push_back(keys[level][i]);
      v.push_back(values[level][i]);
    }
    auto wi = torch::cat(k, 0);
    auto norms = torch::max(wi.pow(2).sum({1, 2, 3}, true).sqrt(), torch::full({1}, 1e-4));
    auto xi = F::pad(query.slice(0, i, i + 1), F::PadFuncOptions({1, 1, 1, 1}));
    auto yi = torch::softmax(F::conv2d(xi, wi / norms) * 10.0, 1);
    out.push_back(F::conv_transpose2d(yi, torch::cat(v, 0), F::ConvTranspose2dFuncOptions().padding(1)) / 4.0);
  }
  return torch::cat(out, 0) + input;
}

TEST(OdeModels, PyramidAttentionMatchesTheLiteralReferenceComputation) {
  torch::manual_seed(32);
  PyramidAttention attention(8);
  auto input = torch::randn({2, 8, 7, 5});  // rectangular and odd, to catch transposed axes
  auto expected = literal_pyramid_attention(attention, input);
  auto actual = attention->forward(input);
  ASSERT_EQ(actual.sizes(), input.sizes());
  EXPECT_TRUE(torch::allclose(actual, expected, 1e-4, 1e-5)) << (actual - expected).abs().max().item<double>();
  EXPECT_EQ(count_parameters(*attention), (8 * 4 + 4 + 1) * 2 + (8 * 8 + 8 + 1));
}

// The reference adds the signed high-resolution ext ODE terms after the head's ReLU; a block with mixed
// signs and a small positive sum then yields negative fine flows. Forcing the ext ODE's derivative to a
// ±10 pattern along the width makes that happen deterministically; safe_n2 clamps it away.
TEST(OdeModels, SignedExtTermsGiveNegativeOutputsUnlessSafeN2) {
  for (const char* name : {"fode", "urbanode"}) {
    for (bool safe : {false, true}) {
      torch::manual_seed(31);
      auto spec = small_spec();
      auto model = ModelRegistry::instance().create(
          name, spec, Config::from_assignments({"channels=16", safe ? "safe_n2=true" : "safe_n2=false"}));
      {
        torch::NoGradGuard no_grad;
        for (auto& item : model->named_parameters()) {
          const auto& key = item.key();
          if (key.find("ext_ode") == std::string::npos || key.find("fine") == std::string::npos) continue;
          if (key.find("fc3.weight") != std::string::npos) item.value().zero_();
          if (key.find("fc3.bias") != std::string::npos)
            item.value().copy_((torch::arange(item.value().size(0)).remainder(2) * 20 - 10).to(torch::kFloat32));
        }
      }
      model->eval();
      auto batch = synthetic_batch(spec, 2);
      auto fine = model->forward({batch.coarse + 1.0, batch.ext}).fine;
      if (safe)
        EXPECT_GE(fine.min().item<double>(), 0.0) << name;
      else
        EXPECT_LT(fine.min().item<double>(), 0.0) << name;
    }
  }
}

// ---------------------------------------------------------------- DualFocal plugs into UrbanFM

TEST(UrbanFMFamily, DualFocalTrainsUrbanFM) {
  torch::manual_seed(41);
  auto spec = small_spec();
  auto model = ModelRegistry::instance().create("urbanfm", spec,
                                                Config::from_assignments({"channels=16", "residual_blocks=2"}));
  auto loss = make_loss("dualfocal", Config{}, 1.0);
  auto batch = synthetic_batch(spec, 4);
  auto evaluate = [&] {
    torch::NoGradGuard no_grad;
    torch::manual_seed(99);
    return loss->forward(model->forward({batch.coarse, batch.ext}).fine, batch.fine).item<double>();
  };
  const double before = evaluate();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  for (int step = 0; step < 20; ++step) {
    adam.zero_grad();
    auto value = loss->forward(model->forward({batch.coarse, batch.ext}).fine, batch.fine);
    ASSERT_TRUE(std::isfinite(value.item<double>()));
    value.backward();
    adam.step();
  }
  EXPECT_LT(evaluate(), before);
}
