#pragma once
// CLI11 validators for whole-number options, with short messages (CLI11's own Range prints DBL_MAX in 300
// digits). An unsigned option would otherwise take -1 as 2^64 - 1 (issue #20: `--seed -1`).
#include <CLI/CLI.hpp>

#include <string>

#include "fufi/core/config.h"

namespace fufi::cli {

// A whole number >= `min`: "must be an integer >= 0, got -1".
inline CLI::Validator integer_at_least(std::int64_t min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        std::int64_t v = 0;
        if (!parse_int(text, v) || v < min) return "must be an integer >= " + std::to_string(min) + ", got " + text;
        return {};
      },
      "INT>=" + std::to_string(min));
}

}  // namespace fufi::cli
