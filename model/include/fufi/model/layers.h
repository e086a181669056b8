#pragma once
// Building blocks shared by PLGF and the baselines.
#include <torch/torch.h>

#include <cstdint>

namespace fufi::model {

// N2-Normalization (UrbanFM): divides each N×N block of `raw` by the block's sum + eps, so every block
// of the result sums to ~1 when raw >= 0. An all-zero block stays zero. raw: (B,C,H,W), H,W multiples of N.
torch::Tensor n2_normalize(const torch::Tensor& raw, std::int64_t upscale, double eps);

// The opt-in `safe_n2` of the baselines: ReLU, then N2 with additive smoothing,
// (relu(raw) + eps/N²) / (blocksum(relu(raw)) + eps). Every block sums to exactly 1 whatever `raw` is: a
// block with no positive mass becomes uniform instead of zero (UNO's lost blocks) or exploding (the SR
// baselines' negative sums); blocks with mass ≫ eps get the plain N2 density. Smooth in raw: no NaN gradients.
torch::Tensor smoothed_n2_normalize(const torch::Tensor& raw, std::int64_t upscale, double eps);

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
