#pragma once
// Building blocks shared by PLGF and the baselines.
#include <torch/torch.h>

#include <cstdint>

#include "fufi/model/batch_norm.h"

namespace fufi::model {

// N²-Normalization (UrbanFM, Liang et al. KDD 2019, §3.2) in its two variants. raw: (B,C,H,W), H and W
// multiples of the upscale factor N; the result has raw's shape.
//   Plain     raw / (blocksum(raw) + eps): UrbanFM's. Every N×N block sums to ~1 when raw >= 0; an all-zero
//             block stays zero (its coarse flow is lost), and a signed raw map (the SR baselines) can blow up
//             where a block's sum is near zero.
//   Smoothed  (relu(raw) + eps/N²) / (blocksum(relu(raw)) + eps): every block sums to 1 to float precision
//             whatever raw is; a block with no positive mass becomes uniform; blocks with mass ≫ eps get the
//             plain density. PLGF's N2 (n2=smoothed) and the baselines' opt-in `safe_n2`.
enum class N2Variant { Plain, Smoothed };
torch::Tensor n2_normalize(const torch::Tensor& raw, std::int64_t upscale, double eps,
                           N2Variant variant = N2Variant::Plain);

// Sum of each N×N block broadcast back to the block's cells.
torch::Tensor block_sum_upsampled(const torch::Tensor& fine, std::int64_t upscale);

// Distributional recovery: density ⊙ nearest-upsampled(coarse · scale). With a density from
// n2_normalize, every N×N block of the result sums to coarse·scale.
torch::Tensor recover_from_density(const torch::Tensor& density, const torch::Tensor& coarse, std::int64_t upscale,
                                   double scale);

// Sum-pool of a fine map to the coarse grid: the spatial constraint's left-hand side.
torch::Tensor block_sum(const torch::Tensor& fine, std::int64_t upscale);

// The reference models' external-factor embedding: (B,7) raw TaxiBJ columns ->
// (B, day_dim + hour_dim + weather_dim + 4) = [day(2), hour(3), weather(3), ext[:, 0:4]] by default.
struct ExtEmbeddingOptions {
  std::int64_t day_vocab = 8, day_dim = 2;
  std::int64_t hour_vocab = 24, hour_dim = 3;
  std::int64_t weather_vocab = 18, weather_dim = 3;
};

class ExtEmbeddingImpl : public torch::nn::Module {
 public:
  explicit ExtEmbeddingImpl(ExtEmbeddingOptions options = {});
  torch::Tensor forward(const torch::Tensor& ext);
  std::int64_t output_dim() const;

 private:
  ExtEmbeddingOptions options_;
  torch::nn::Embedding day_{nullptr}, hour_{nullptr}, weather_{nullptr};
};
TORCH_MODULE(ExtEmbedding);

// Integer column `col` of the raw ext tensor as int64 indices (hour, day, weather).
torch::Tensor ext_index(const torch::Tensor& ext, int col);

}  // namespace fufi::model
