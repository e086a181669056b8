// fufi export: a checkpoint's trained weights as a plain state_dict that Python's torch.load reads.
#include <fmt/format.h>

#include <iostream>

#include "commands.h"
#include "fufi/worker/export.h"

namespace fufi::cli {

void add_export_command(CLI::App& app, int& exit_code) {
  auto checkpoint = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("export", "Write a checkpoint's weights as a PyTorch state_dict (torch.load reads it)");
  cmd->add_option("--checkpoint", *checkpoint, "A checkpoint written by fufi train or fufi sweep (best.ckpt)")->required();
  cmd->add_option("--out", *out, "The state_dict file to write (e.g. weights.pt)")->required();
  cmd->callback([checkpoint, out, &exit_code] {
    const auto s = worker::export_state_dict(*checkpoint, *out);
    std::cout << fmt::format("{}: {} tensors, {} parameters -> {}\n", s.model, s.tensors, s.parameters, *out);
    exit_code = 0;
  });
}

}  // namespace fufi::cli
