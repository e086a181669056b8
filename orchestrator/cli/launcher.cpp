// `fufi`, the command users run. `fufi query` and `fufi report` read the results database and need no LibTorch,
// whose loading costs every process ~0.5 s here (Debian's libtorch_cpu brings ~850 shared libraries and registers
// its operators at start-up): they run in this executable, which links only core, results and CLI11 (issue #17:
// a summary of 100,000 jobs in under a second, start-up included). Every other subcommand, --help and --version
// belong to the full CLI, `fufi-torch` (main.cpp) in this file's directory: this process becomes it (execv, same
// arguments, environment and PID, so mpirun, signals and `pgrep -f` see one process).
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "commands.h"
#include "fufi/core/status.h"

namespace {

// The full CLI beside the executable that runs (symbolic links resolved).
std::string full_cli_path(const char* argv0) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0, ec);
  return (self.parent_path() / "fufi-torch").string();
}

}  // namespace

int main(int argc, char** argv) {
  // As in main.cpp: a file-size limit fails the write (EFBIG, an io error naming the file) instead of killing us.
  std::signal(SIGXFSZ, SIG_IGN);
  const std::string subcommand = argc > 1 ? argv[1] : "";
  if (subcommand != "query" && subcommand != "report") {
    const std::string full = full_cli_path(argv[0]);
    ::execv(full.c_str(), argv);
    const int error = errno;  // before any output can change it
    std::cerr << "fufi: error: cannot run " << full << " (the full CLI, built beside fufi): " << std::strerror(error)
              << "\n";
    return fufi::kExitRuntime;
  }
  CLI::App app{"fufi: fine-grained urban flow inference (FUFI) research at sweep scale", "fufi"};
  app.require_subcommand(1);
  int exit_code = fufi::kExitOk;
  fufi::cli::add_query_command(app, exit_code);
  fufi::cli::add_report_command(app, exit_code);
  return fufi::run_guarded(
      [&] {
        try {
          app.parse(argc, argv);
        } catch (const CLI::ParseError& e) {
          const int code = app.exit(e);  // prints help (code 0) or the parse error
          return code == 0 ? fufi::kExitOk : fufi::kExitUsage;
        }
        return exit_code;
      },
      std::cerr);
}
