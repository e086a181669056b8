#include "fufi/model/baseline_blocks.h"

#include "fufi/core/error.h"

namespace fufi::model {

namespace nn = torch::nn;

std::int64_t log2_exact(std::int64_t value, const char* what) {
  std::int64_t k = 0;
  while ((std::int64_t{1} << k) < value) ++k;
  FUFI_CHECK(value >= 1 && (std::int64_t{1} << k) == value, UsageError, "upscale factor {} is not a power of two ({} doubles the resolution per stage)",
             value, what);
  return k;
}

SubPixelUpsamplerImpl::SubPixelUpsamplerImpl(SubPixelUpsamplerOptions options) : options_(options) {
  const auto steps = log2_exact(options.upscale, "sub-pixel upsampling");
  for (std::int64_t i = 0; i < steps; ++i) {
    nn::Sequential stage;
    stage->push_back(nn::Conv2d(nn::Conv2dOptions(options.channels, options.channels * 4, 3).padding(1).bias(options.conv_bias)));
    if (options.batch_norm) stage->push_back(BatchNorm2d(options.channels * 4));
    stage->push_back(nn::PixelShuffle(2));
    if (options.leaky_slope > 0)
      stage->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(options.leaky_slope).inplace(true)));
    else
      stage->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
    stages_->push_back(stage);
  }
  register_module("stages", stages_);
}

torch::Tensor SubPixelUpsamplerImpl::forward(torch::Tensor x) {
  for (const auto& stage : *stages_) x = stage->as<nn::Sequential>()->forward(x);
  return x;
}

ResidualBlockImpl::ResidualBlockImpl(std::int64_t c) {
  conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1)));
  bn1_ = register_module("bn1", BatchNorm2d(c));
  conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1)));
  bn2_ = register_module("bn2", BatchNorm2d(c));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn1_->forward(conv1_->forward(x)));
  return x + bn2_->forward(conv2_->forward(y));
}

UrbanExtNetImpl::UrbanExtNetImpl(UrbanExtNetOptions options) : options_(options) {
  embedding_ = register_module("embedding", ExtEmbedding());
  fc1_ = register_module("fc1", nn::Linear(embedding_->output_dim(), options.hidden));
  dropout_ = register_module("dropout", nn::Dropout(options.dropout));
  fc2_ = register_module("fc2", nn::Linear(options.hidden, options.out_h * options.out_w));
}

torch::Tensor UrbanExtNetImpl::forward(const torch::Tensor& ext) {
  auto e = embedding_->forward(ext);
  e = torch::relu(dropout_->forward(fc1_->forward(e)));
  e = torch::relu(fc2_->forward(e));
  return e.view({-1, 1, options_.out_h, options_.out_w});
}

ExtToHighResImpl::ExtToHighResImpl(std::int64_t upscale) {
  const auto steps = log2_exact(upscale, "the ext-to-fine upsampler");
  for (std::int64_t i = 0; i < steps; ++i) {
    body_->push_back(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)));
    body_->push_back(BatchNorm2d(4));
    body_->push_back(nn::PixelShuffle(2));
    body_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
  }
  register_module("body", body_);
}

torch::Tensor ExtToHighResImpl::forward(torch::Tensor x) { return body_->forward(x); }

void init_urbanfm_weights(nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/true)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      conv->weight.normal_(0.0, 0.02);
    } else if (auto* bn = m->as<BatchNorm2d>()) {
      bn->weight.normal_(1.0, 0.02);
      bn->bias.zero_();
    }
  }
}

ModelOutput n2_recovered_output(const torch::Tensor& raw, const torch::Tensor& coarse, const DataSpec& spec,
                                double eps, bool smoothed) {
  auto density = n2_normalize(raw, spec.upscale, eps, smoothed ? N2Variant::Smoothed : N2Variant::Plain);
  return {recover_from_density(density, coarse, spec.upscale, spec.scaler_ratio), {}, {}};
}

UrbanInput::UrbanInput(nn::Module& owner, const DataSpec& spec, UrbanInputOptions options) : use_ext_(options.use_ext) {
  if (use_ext_) {
    options.ext_net.out_h = spec.coarse_h;
    options.ext_net.out_w = spec.coarse_w;
    ext_net_ = owner.register_module("ext_net", UrbanExtNet(options.ext_net));
    ext_to_fine_ = owner.register_module("ext_to_fine", ExtToHighRes(options.ext_upscale));
  }
  // The ext map rides along as one more input channel.
  const auto in = spec.flow_channels + (use_ext_ ? 1 : 0);
  stem_ = owner.register_module("stem", nn::Conv2d(nn::Conv2dOptions(in, options.features, 9).padding(4)));
}

torch::Tensor UrbanInput::ext_map(const torch::Tensor& ext) { return ext_net_->forward(ext); }

torch::Tensor UrbanInput::stem(const torch::Tensor& coarse, const torch::Tensor& ext_map) {
  return stem_->forward(use_ext_ ? torch::cat({coarse, ext_map}, 1) : coarse);
}

torch::Tensor UrbanInput::ext_to_fine(const torch::Tensor& ext_map) { return ext_to_fine_->forward(ext_map); }

torch::Tensor UrbanInput::with_fine_ext(const torch::Tensor& x, const torch::Tensor& ext_map) {
  return use_ext_ ? torch::cat({x, ext_to_fine(ext_map)}, 1) : x;
}

UrbanFMTrunk::UrbanFMTrunk(nn::Module& owner, const DataSpec& spec, std::int64_t features, bool use_ext,
                           std::int64_t blocks, const std::function<nn::AnyModule()>& make_block)
    : input_(owner, spec, UrbanInputOptions{features, use_ext, UrbanExtNetOptions{128, 0.3}, spec.upscale}) {
  nn::Sequential body;
  for (std::int64_t i = 0; i < blocks; ++i) body->push_back(make_block());
  body_ = owner.register_module("body", body);
  body_conv_ = owner.register_module("body_conv", nn::Conv2d(nn::Conv2dOptions(features, features, 3).padding(1)));
  body_bn_ = owner.register_module("body_bn", BatchNorm2d(features));
  upsampler_ = owner.register_module(
      "upsampler", SubPixelUpsampler(SubPixelUpsamplerOptions{features, spec.upscale, true, true, 0.0}));
}

torch::Tensor UrbanFMTrunk::forward(const ModelInput& input, torch::Tensor& ext_map) {
  ext_map = input_.uses_ext() ? input_.ext_map(input.ext) : torch::Tensor();
  auto stem = torch::relu(input_.stem(input.coarse, ext_map));
  auto features = stem + body_bn_->forward(body_conv_->forward(forward_or_identity(body_, stem)));
  return upsampler_->forward(features);
}

namespace {
constexpr double kCufarDropout = 0.3;

// Linear(in, 64) → Dropout 0.3 → ReLU → Linear(64, out) → ReLU: CUFAR's ext2lr / ext2lr_global.
nn::Sequential cufar_ext_projection(std::int64_t in, std::int64_t out) {
  return nn::Sequential(nn::Linear(in, 64), nn::Dropout(kCufarDropout), nn::ReLU(nn::ReLUOptions().inplace(true)),
                        nn::Linear(64, out), nn::ReLU(nn::ReLUOptions().inplace(true)));
}
}  // namespace

CufarMiniModelImpl::CufarMiniModelImpl(CufarMiniModelOptions o) {
  const auto conv2_out = o.shuffle > 0 ? o.out * o.shuffle * o.shuffle : o.out;
  conv1_ = register_module("conv1",
                           nn::Conv2d(nn::Conv2dOptions(o.in, o.mid, o.kernel).padding(o.kernel / 2).groups(o.groups)));
  conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(o.mid, conv2_out, 3).padding(1).groups(o.groups)));
  if (o.shuffle > 0) shuffle_ = register_module("pixelshuffle", nn::PixelShuffle(o.shuffle));
  bn_ = register_module("batch_norm", BatchNorm2d(o.out));
  dropout_ = register_module("dropout", nn::Dropout(kCufarDropout));
}

torch::Tensor CufarMiniModelImpl::forward(torch::Tensor x) {
  x = torch::relu(conv1_->forward(x));
  x = torch::relu(conv2_->forward(x));
  if (shuffle_) x = torch::relu(shuffle_->forward(x));
  return dropout_->forward(bn_->forward(x));
}

HourExtMaps::HourExtMaps(nn::Module& owner, std::int64_t hour_slots, std::int64_t region_cells,
                         std::int64_t global_cells, ExtEmbeddingOptions embedding) {
  time_region_ = owner.register_module("time_emb_region", nn::Embedding(hour_slots, region_cells));
  time_global_ = owner.register_module("time_emb_global", nn::Embedding(hour_slots, global_cells));
  embedding_ = owner.register_module("embed_ext", ExtEmbedding(embedding));
  ext_region_ = owner.register_module("ext2lr", cufar_ext_projection(embedding_->output_dim(), region_cells));
  ext_global_ = owner.register_module("ext2lr_global", cufar_ext_projection(embedding_->output_dim(), global_cells));
}

void HourExtMaps::append(torch::Tensor& regions, torch::Tensor& global_in, const torch::Tensor& ext,
                         const torch::Tensor& slots) {
  const auto B = regions.size(0), R = regions.size(1), rh = regions.size(3), rw = regions.size(4);
  const auto H = global_in.size(2), W = global_in.size(3);
  auto emb = embedding_->forward(ext);
  auto ext_region = ext_region_->forward(emb).view({B, 1, 1, rh, rw}).expand({B, R, 1, rh, rw});
  auto time_region = time_region_->forward(slots).view({B, 1, 1, rh, rw}).expand({B, R, 1, rh, rw});
  regions = torch::cat({regions, ext_region, time_region}, 2);
  auto ext_global = ext_global_->forward(emb).view({B, 1, H, W});
  auto time_global = time_global_->forward(slots).view({B, 1, H, W});
  global_in = torch::cat({global_in, ext_global, time_global}, 1);
}

torch::Tensor hour_slot_indices(const torch::Tensor& ext, const DataSpec& spec, const std::string& model) {
  auto hours = ext_index(ext, ext_col::kHour);
  auto host = hours.cpu();
  auto acc = host.accessor<std::int64_t, 1>();
  for (std::int64_t i = 0; i < host.size(0); ++i) {
    auto slot = acc[i] - spec.hour_offset;
    FUFI_CHECK(slot >= 0 && slot < spec.hour_slots, InputError,
               "{}: sample {} has hour {}, outside the hour-specific heads' range {}..{} "
               "(hour_offset={}, hour_slots={})",
               model, i, acc[i], spec.hour_offset, spec.hour_offset + spec.hour_slots - 1, spec.hour_offset,
               spec.hour_slots);
  }
  return hours - spec.hour_offset;
}

torch::Tensor apply_hour_heads(const nn::ModuleList& heads, const torch::Tensor& features, const torch::Tensor& slots) {
  auto host = slots.cpu();
  auto acc = host.accessor<std::int64_t, 1>();
  std::vector<torch::Tensor> out;
  out.reserve(features.size(0));
  for (std::int64_t b = 0; b < features.size(0); ++b)
    out.push_back(heads->ptr<nn::Conv2dImpl>(acc[b])->forward(features.slice(0, b, b + 1)));
  return torch::cat(out, 0);
}

}  // namespace fufi::model
