#pragma once
// The data shape a model is built for when there is no dataset at hand (`fufi models`, `fufi bench`):
// TaxiBJ by default (C=1, 32x32 -> x4, 7 ext columns, hours 7..21).
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "fufi/model/model.h"

namespace fufi::cli {

struct DataShapeArgs {
  std::int64_t data_channels = 1;
  std::string coarse = "32";
  std::int64_t upscale = 4;
  bool no_ext = false;
  std::int64_t hour_offset = 7;
  std::int64_t hour_slots = 15;
};

void add_data_shape_options(CLI::App* cmd, DataShapeArgs& args);
// Validates the options (UsageError naming the option) and builds the DataSpec.
model::DataSpec to_data_spec(const DataShapeArgs& args);

}  // namespace fufi::cli
