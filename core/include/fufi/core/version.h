#pragma once
#include <string>

namespace fufi {

std::string version();     // "0.1.0"
std::string git_commit();  // short hash, "-dirty" when built from a modified tree, or "unknown"
bool built_with_cuda();
bool built_with_nccl();
// What this process actually runs with, which can differ from what it was built with (update-alternatives,
// LD_PRELOAD) and changes results or speed: the file that provides sgemm_ (the BLAS; "none" when no library
// exports it, e.g. a LibTorch with a static MKL) and the one that provides malloc.
std::string blas_library();    // "/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3"
std::string malloc_library();  // "libtcmalloc_minimal.so.4", "libc.so.6"
// One line: "fufi 0.1.0 (commit abc, torch 1.13.1, cuda off, nccl on, malloc libc.so.6)".
std::string version_line();

}  // namespace fufi
