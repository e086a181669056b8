// This process's provenance (provenance.cpp): versions and place, before MPI is initialised.
#include <gtest/gtest.h>

#include "fufi/core/version.h"
#include "fufi/orchestrator/provenance.h"

namespace fufi_test_provenance {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;

TEST(Provenance, NamesVersionsHostAndLibraries) {
  const auto p = orchestrator::local_provenance();
  EXPECT_EQ(p.fufi_version, version());
  EXPECT_EQ(p.git_commit, git_commit());
  EXPECT_FALSE(p.torch_version.empty());
  EXPECT_FALSE(p.host.empty());
  EXPECT_FALSE(p.mpi_library.empty());
  EXPECT_EQ(p.mpi_library.find('\n'), std::string::npos) << p.mpi_library;  // its first line only
  EXPECT_EQ(p.malloc_library, malloc_library());
  EXPECT_EQ(p.blas, blas_library());
  EXPECT_TRUE(p.device.empty());  // the job's, not the process's
}

}  // namespace fufi_test_provenance
