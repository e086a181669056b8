#pragma once
// Where and with what a job runs: the versions of fufi, torch, CUDA, NCCL and MPI, the host, the BLAS and
// malloc this process really uses. Every job's provenance row starts from this; the sweep adds the device,
// GPU and rank group.
#include "fufi/results/store.h"

namespace fufi::orchestrator {

// This process's versions and place. Safe before MPI_Init (MPI_Get_library_version may be called then).
results::Provenance local_provenance();

}  // namespace fufi::orchestrator
