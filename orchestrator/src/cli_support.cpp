#include "fufi/orchestrator/cli_support.h"

#include <cstdlib>
#include <new>
#include <ostream>
#include <algorithm>
#include <string>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/worker/communicator.h"

namespace fufi::orchestrator {

int run_guarded(const std::function<int()>& body, std::ostream& err) {
  const bool debug = std::getenv("FUFI_DEBUG") != nullptr;
  try {
    return body();
  } catch (const Error& e) {
    err << "fufi: error: " << e.message();
    if (debug) err << " [" << e.where() << "]";
    err << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    err << "fufi: error: out of memory\n";
    return kExitRuntime;
  } catch (const std::exception& e) {
    // torch's c10::Error derives from std::exception; its first line is the useful part.
    std::string what = e.what();
    if (!debug) {
      auto nl = what.find('\n');
      if (nl != std::string::npos) what = what.substr(0, nl);
    }
    err << "fufi: error: " << what << "\n";
    return kExitRuntime;
  }
}

void check_format(const std::string& format, const std::vector<std::string>& valid) {
  FUFI_CHECK(std::find(valid.begin(), valid.end(), format) != valid.end(), UsageError,
             "--format: unknown format '{}' ({})", format, join(valid, ", "));
}

bool is_reporting_rank() { return !worker::mpi_launched() || worker::mpi_world().rank == 0; }

}  // namespace fufi::orchestrator
