// fufi: fine-grained urban flow inference at sweep scale. The entry point only wires subcommands.
#include <csignal>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/core/version.h"
#include "fufi/orchestrator/cli_support.h"

int main(int argc, char** argv) {
  // A file-size limit (ulimit -f, RLIMIT_FSIZE) then fails the write with EFBIG, which the atomic writer
  // reports as an io error naming the file, instead of killing the process mid-write with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"fufi: fine-grained urban flow inference (FUFI) research at sweep scale", "fufi"};
  app.set_version_flag("--version", fufi::version_line());
  app.require_subcommand(1);
  app.fallthrough(false);

  int exit_code = fufi::orchestrator::kExitOk;
  fufi::cli::add_data_command(app, exit_code);
  fufi::cli::add_eval_command(app, exit_code);
  fufi::cli::add_train_command(app, exit_code);
  fufi::cli::add_infer_command(app, exit_code);
  fufi::cli::add_export_command(app, exit_code);
#if FUFI_HAVE_BENCH
  fufi::cli::add_bench_command(app, exit_code);
#endif
  fufi::cli::add_models_command(app, exit_code);
  fufi::cli::add_sweep_command(app, exit_code);
  fufi::cli::add_query_command(app, exit_code);
  fufi::cli::add_report_command(app, exit_code);

  return fufi::orchestrator::run_guarded(
      [&] {
        // CLI11 reports "a subcommand is required" before unexpected words; name the unknown word instead.
        if (argc > 1 && argv[1][0] != '-') {
          std::vector<std::string> known;
          for (const auto* sub : app.get_subcommands({})) known.push_back(sub->get_name());
          if (std::find(known.begin(), known.end(), argv[1]) == known.end())
            FUFI_THROW(UsageError, "unknown subcommand '{}'{}; subcommands: {}", argv[1], fufi::did_you_mean(argv[1], known),
                       fufi::join(known, ", "));
        }
        try {
          app.parse(argc, argv);
        } catch (const CLI::ParseError& e) {
          const int code = app.exit(e);  // prints help/version (code 0) or the parse error
          return code == 0 ? fufi::orchestrator::kExitOk : fufi::orchestrator::kExitUsage;
        }
        return exit_code;
      },
      std::cerr);
}
