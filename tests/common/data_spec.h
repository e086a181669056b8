#pragma once
// Data shapes for tests of models and of what builds them (include only from targets that link fufi_model).
#include <cstdint>

#include "fufi/model/model.h"

namespace fufi::test {

// TaxiBJ: 1 flow channel, H x W coarse -> (N H) x (N W) fine, the 7 external factors; hours 0..23 (DataSpec's
// default; CUFAR/UNO tests that need TaxiBJ's 7..21 set hour_offset and hour_slots themselves).
inline model::DataSpec taxibj_spec(std::int64_t h = 32, std::int64_t w = 32, std::int64_t upscale = 4) {
  model::DataSpec spec;
  spec.coarse_h = h;
  spec.coarse_w = w;
  spec.upscale = upscale;
  spec.ext_dim = model::ext_col::kCount;
  return spec;
}

// A small square map for fast tests: coarse x coarse -> (N coarse)^2, with or without external factors.
inline model::DataSpec small_spec(std::int64_t coarse = 8, std::int64_t upscale = 4, bool ext = true) {
  model::DataSpec spec = taxibj_spec(coarse, coarse, upscale);
  if (!ext) spec.ext_dim = 0;
  return spec;
}

}  // namespace fufi::test
