#pragma once
#include <string>

namespace fufi {

std::string version();     // "0.1.0"
std::string git_commit();  // short hash, "-dirty" when built from a modified tree, or "unknown"
bool built_with_cuda();
bool built_with_nccl();
// One line: "fufi 0.1.0 (commit abc, torch 1.13.1, cuda off, nccl on)".
std::string version_line();

}  // namespace fufi
