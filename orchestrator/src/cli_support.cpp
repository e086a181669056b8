#include "fufi/orchestrator/cli_support.h"

#include <algorithm>
#include <string>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/worker/communicator.h"

namespace fufi::orchestrator {

void check_format(const std::string& format, const std::vector<std::string>& valid) {
  FUFI_CHECK(std::find(valid.begin(), valid.end(), format) != valid.end(), UsageError,
             "--format: unknown format '{}' ({})", format, join(valid, ", "));
}

bool is_reporting_rank() { return !worker::mpi_launched() || worker::mpi_world().rank == 0; }

}  // namespace fufi::orchestrator
