#pragma once
// FUFI_MPI_CHECK(MPI_Send(...)): runs an MPI call and throws a RuntimeError naming the call, MPI's own error
// text and the *call site* (like tiny-cuda-nn's CUDA_CHECK_THROW; a helper function would always report
// itself). Header-only: include it only from targets that link MPI (worker, orchestrator, bench).
//
// Error policy: MPI's default handler, MPI_ERRORS_ARE_FATAL, aborts before a return code is ever seen. Every
// communicator fufi creates gets MPI_ERRORS_RETURN (fufi::set_errors_return), so its calls return errors that
// this macro turns into exceptions with fufi's context. Calls on MPI_COMM_WORLD itself stay fatal: its
// handler is the launcher's, and an abort is the right answer to a broken world.
#include <mpi.h>

#include <string>

#include "fufi/core/error.h"

namespace fufi::detail {

inline std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

}  // namespace fufi::detail

#define FUFI_MPI_CHECK(call)                                                                             \
  do {                                                                                                   \
    const int fufi_mpi_rc_ = (call);                                                                     \
    if (fufi_mpi_rc_ != MPI_SUCCESS)                                                                     \
      FUFI_THROW(RuntimeError, "MPI call failed: {}: {}", #call, ::fufi::detail::mpi_error_text(fufi_mpi_rc_)); \
  } while (0)

namespace fufi {

// Makes errors on `comm` return codes (checked by FUFI_MPI_CHECK) instead of aborting the job.
inline void set_errors_return(MPI_Comm comm) { FUFI_MPI_CHECK(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN)); }

}  // namespace fufi
