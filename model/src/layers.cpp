#include "fufi/model/layers.h"

#include "fufi/core/error.h"
#include "fufi/model/model.h"
#include "fufi/model/probe.h"

namespace fufi::model {

namespace F = torch::nn::functional;

torch::Tensor block_sum(const torch::Tensor& fine, std::int64_t upscale) {
  if (upscale == 1) return fine;
  return F::avg_pool2d(fine, F::AvgPool2dFuncOptions(upscale).stride(upscale)) *
         static_cast<double>(upscale * upscale);
}

static torch::Tensor upsample_nearest(const torch::Tensor& x, std::int64_t factor) {
  if (factor == 1) return x;
  // repeat_interleave is exact and deterministic on every device (interpolate's nearest is too, but
  // its gradient uses atomics on CUDA).
  return x.repeat_interleave(factor, /*dim=*/2).repeat_interleave(factor, /*dim=*/3);
}

torch::Tensor block_sum_upsampled(const torch::Tensor& fine, std::int64_t upscale) {
  return upsample_nearest(block_sum(fine, upscale), upscale);
}

torch::Tensor n2_normalize(const torch::Tensor& raw, std::int64_t upscale, double eps, N2Variant variant) {
  if (variant == N2Variant::Plain) {
    probe_n2_input(raw, upscale);
    return raw / (block_sum_upsampled(raw, upscale) + eps);
  }
  auto mass = torch::relu(raw);
  probe_n2_input(mass, upscale);
  const double floor = eps / static_cast<double>(upscale * upscale);
  return (mass + floor) / (block_sum_upsampled(mass, upscale) + eps);
}

torch::Tensor recover_from_density(const torch::Tensor& density, const torch::Tensor& coarse, std::int64_t upscale,
                                   double scale) {
  return density * upsample_nearest(coarse * scale, upscale);
}

torch::Tensor ext_index(const torch::Tensor& ext, int col) {
  return ext.select(1, col).round().to(torch::kLong);
}

ExtEmbeddingImpl::ExtEmbeddingImpl(ExtEmbeddingOptions options) : options_(options) {
  day_ = register_module("day", torch::nn::Embedding(options.day_vocab, options.day_dim));
  hour_ = register_module("hour", torch::nn::Embedding(options.hour_vocab, options.hour_dim));
  weather_ = register_module("weather", torch::nn::Embedding(options.weather_vocab, options.weather_dim));
}

torch::Tensor ExtEmbeddingImpl::forward(const torch::Tensor& ext) {
  auto day = day_->forward(ext_index(ext, ext_col::kDayOfWeek));
  auto hour = hour_->forward(ext_index(ext, ext_col::kHour));
  auto weather = weather_->forward(ext_index(ext, ext_col::kWeather));
  auto cont = ext.slice(1, 0, ext_col::kContinuous);
  return torch::cat({day, hour, weather, cont}, 1);
}

std::int64_t ExtEmbeddingImpl::output_dim() const {
  return options_.day_dim + options_.hour_dim + options_.weather_dim + ext_col::kContinuous;
}

}  // namespace fufi::model
