#include "fufi/orchestrator/provenance.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "fufi/core/build_info.h"
#include "fufi/core/mpi_check.h"
#include "fufi/core/version.h"

#if FUFI_NCCL_ENABLED && __has_include(<nccl.h>)
#include <nccl.h>
#define FUFI_HAVE_NCCL_HEADER 1
#endif
#if (FUFI_CUDA_ENABLED || FUFI_NCCL_ENABLED) && __has_include(<cuda_runtime_api.h>)
#include <cuda_runtime_api.h>
#define FUFI_HAVE_CUDART_HEADER 1
#endif

namespace fufi::orchestrator {

namespace {

// The first line of MPI's library version text: "Open MPI v4.1.4".
std::string mpi_library() {
  char library[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int length = 0;
  FUFI_MPI_CHECK(MPI_Get_library_version(library, &length));
  std::string text(library, static_cast<std::size_t>(std::max(0, length)));
  std::string out = text.substr(0, text.find_first_of("\n,"));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\0')) out.pop_back();
  return out;
}

}  // namespace

results::Provenance local_provenance() {
  results::Provenance p;
  p.fufi_version = version();
  p.git_commit = git_commit();
  p.torch_version = FUFI_TORCH_VERSION;
  p.cuda = built_with_cuda() ? "on" : "off";
  p.nccl = built_with_nccl() ? "on" : "off";
#ifdef FUFI_HAVE_CUDART_HEADER
  int runtime = 0;
  if (built_with_cuda() && cudaRuntimeGetVersion(&runtime) == cudaSuccess && runtime > 0)
    p.cuda = fmt::format("{}.{}", runtime / 1000, (runtime % 1000) / 10);
#endif
#ifdef FUFI_HAVE_NCCL_HEADER
  int nccl = 0;
  if (ncclGetVersion(&nccl) == ncclSuccess && nccl > 0)
    p.nccl = fmt::format("{}.{}.{}", nccl / 10000, (nccl % 10000) / 100, nccl % 100);
#endif
  p.mpi_library = mpi_library();
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) == 0) p.host = host;
  p.blas = blas_library();
  p.malloc_library = malloc_library();
  return p;
}

}  // namespace fufi::orchestrator
