// fufi infer: apply a checkpoint to coarse maps.
#include <fmt/format.h>

#include <iostream>

#include "commands.h"
#include "fufi/data/npy.h"
#include "fufi/worker/inference.h"

namespace fufi::cli {

void add_infer_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<worker::InferenceOptions>();
  auto* cmd = app.add_subcommand("infer", "Infer fine maps (raw counts) from coarse maps with a checkpoint");
  cmd->add_option("--checkpoint", o->checkpoint, "A checkpoint written by fufi train (best.ckpt)")->required();
  cmd->add_option("--coarse", o->coarse, "Coarse maps X.npy: (N,h,w) or (N,C,h,w), raw counts")->required();
  cmd->add_option("--ext", o->ext, "External factors ext.npy (N,7), when the model uses them");
  cmd->add_option("--out", o->out, "Where to write the fine maps (.npy)")->required();
  cmd->add_option("--batch", o->batch, "Batch size")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0 = all cores)");
  cmd->add_option("--channels-last", o->channels_last,
                  "Memory format of the forward: auto (measured once per model, shape and machine, then cached), "
                  "true (NHWC) or false (NCHW)")
      ->capture_default_str();
  cmd->callback([o, &exit_code] {
    auto s = worker::run_inference(*o);
    std::cout << fmt::format("{}: {} samples -> {} {} (largest block-sum error {:.3g}, {:.2f} s, {} {})\n", s.model,
                             s.samples, o->out, data::shape_to_string(s.out_shape), s.max_block_sum_error, s.seconds,
                             s.memory_format, s.memory_format_source);
    exit_code = 0;
  });
}

}  // namespace fufi::cli
