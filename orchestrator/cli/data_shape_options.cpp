#include "data_shape_options.h"

#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"

namespace fufi::cli {

namespace {

// "32" → 32x32, "40x16" → 40 rows, 16 columns.
void parse_coarse(const std::string& text, std::int64_t& h, std::int64_t& w) {
  const auto parts = split(to_lower(text), 'x');
  bool ok = parts.size() == 1 || parts.size() == 2;
  if (ok) ok = parse_int(trim(parts[0]), h) && parse_int(trim(parts.back()), w) && h >= 1 && w >= 1;
  FUFI_CHECK(ok, UsageError, "--coarse: '{}' is not a grid size such as 32 or 40x16", text);
}

}  // namespace

void add_data_shape_options(CLI::App* cmd, DataShapeArgs& a) {
  cmd->add_option("--data-channels", a.data_channels, "Flow channels C of the data (TaxiBJ 1, BikeNYC 2)")
      ->capture_default_str();
  cmd->add_option("--coarse", a.coarse, "Coarse grid: N or HxW (BikeNYC 40x16)")->capture_default_str();
  cmd->add_option("--upscale", a.upscale, "Upscale factor N")->capture_default_str();
  cmd->add_flag("--no-ext", a.no_ext, "Data without external factors (BikeNYC)");
  cmd->add_option("--hour-offset", a.hour_offset, "First hour of the data (hour-specific heads)")->capture_default_str();
  cmd->add_option("--hour-slots", a.hour_slots, "Number of hours (hour-specific heads)")->capture_default_str();
}

model::DataSpec to_data_spec(const DataShapeArgs& a) {
  model::DataSpec spec;
  FUFI_CHECK(a.data_channels >= 1, UsageError, "--data-channels: must be >= 1, got {}", a.data_channels);
  FUFI_CHECK(a.upscale >= 1, UsageError, "--upscale: must be >= 1, got {}", a.upscale);
  FUFI_CHECK(a.hour_slots >= 1, UsageError, "--hour-slots: must be >= 1, got {}", a.hour_slots);
  spec.flow_channels = a.data_channels;
  parse_coarse(a.coarse, spec.coarse_h, spec.coarse_w);
  spec.upscale = a.upscale;
  spec.ext_dim = a.no_ext ? 0 : model::ext_col::kCount;
  spec.hour_offset = a.hour_offset;
  spec.hour_slots = a.hour_slots;
  return spec;
}

}  // namespace fufi::cli
