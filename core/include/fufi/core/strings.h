#pragma once
// Small string helpers shared by the CLI, the config and the sweep parser.
#include <string>
#include <string_view>
#include <vector>

namespace fufi {

std::vector<std::string> split(std::string_view text, char sep);
std::string trim(std::string_view text);
std::string to_lower(std::string_view text);
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` by edit distance, or "" when none is reasonably close.
std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace fufi
