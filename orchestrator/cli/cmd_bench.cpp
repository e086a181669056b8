// fufi bench train | infer | allreduce: fufi's speed, measured the same way every time.
// Built when FUFI_BUILD_BENCH is on (the default).
#if FUFI_HAVE_BENCH
#include <iostream>

#include "commands.h"
#include "data_shape_options.h"
#include "fufi/bench/bench.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/orchestrator/cli_support.h"

namespace fufi::cli {

namespace {

struct BenchArgs {
  std::string model;
  std::vector<std::string> sets;
  DataShapeArgs shape;
  std::int64_t batch = 16, steps = 10, warmup = 2;
  int threads = 0;
  std::string format = "table";
  std::string batches = "1,4,16,64";
  std::string backend = "mpi";
  std::string bytes = "4KB,256KB,4MB,16MB,64MB";
  std::string device = "cpu";
  bool host_data = false;
  std::int64_t epoch_samples = 0;
  std::string dp_modes;    // bench train --dp
  double bucket_mb = 4.0;  // bench train --bucket-mb (training's grad_bucket_mb default)
  std::int64_t profile_steps = 0;     // --profile N
  std::string grad_mode = "inference";  // bench infer --grad-mode
};

void check_format(const std::string& f) { orchestrator::check_format(f, {"table", "json"}); }

bench::TrainBenchOptions train_options(const BenchArgs& a) {
  bench::TrainBenchOptions o;
  o.device = a.device;
  o.host_data = a.host_data;
  o.epoch_samples = a.epoch_samples;
  o.model = a.model;
  o.settings = Config::from_assignments(a.sets, "--set");
  o.spec = to_data_spec(a.shape);
  o.batch = a.batch;
  o.steps = a.steps;
  o.warmup = a.warmup;
  o.threads = a.threads;
  FUFI_CHECK(a.profile_steps >= 0, UsageError, "--profile: must be >= 0 steps, got {}", a.profile_steps);
  o.profile_steps = a.profile_steps;
  o.grad_mode = a.grad_mode;
  return o;
}

std::vector<std::int64_t> int_list(const std::string& text, const std::string& option) {
  std::vector<std::int64_t> out;
  for (const auto& part : split(text, ',')) {
    std::int64_t v = 0;
    FUFI_CHECK(parse_int(trim(part), v) && v > 0, UsageError, "{}: '{}' is not a list of positive integers", option, text);
    out.push_back(v);
  }
  return out;
}

void add_common(CLI::App* cmd, BenchArgs& a) {
  cmd->add_option("--model", a.model, "Registered model")->required();
  cmd->add_option("--set", a.sets,
                  "key=value: any training key (model keys, loss, loss_*, channels_last, bf16, adam_impl, cuda_graph)");
  cmd->add_option("--steps", a.steps, "Timed repetitions")->capture_default_str();
  cmd->add_option("--warmup", a.warmup, "Untimed warm-up repetitions")->capture_default_str();
  cmd->add_option("--threads", a.threads, "Torch threads (0 = all cores, as training with one rank)");
  cmd->add_option("--device", a.device, "cpu, cuda or cuda:K (CUDA builds)")->capture_default_str();
  cmd->add_flag("--host-data", a.host_data, "Inputs on the host, copied to the device every step (default: resident)");
  cmd->add_option("--format", a.format, "table or json")->capture_default_str();
  cmd->add_option("--profile", a.profile_steps,
                  "After the timings, profile N more steps: the operators by self time and their share of the step");
  add_data_shape_options(cmd, a.shape);
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto* bench_cmd = app.add_subcommand("bench", "Measure training steps, inference, all-reduce, the orchestrator");
  bench_cmd->require_subcommand(1);

  auto t = std::make_shared<BenchArgs>();
  auto* train = bench_cmd->add_subcommand("train", "Forward + backward + Adam step: median, min, max after warm-up");
  add_common(train, *t);
  train->add_option("--batch", t->batch, "Batch size (with --dp: the global batch, split across the ranks)")
      ->capture_default_str();
  train->add_option("--epoch-samples", t->epoch_samples,
                    "Also time whole epochs of this many samples (e.g. 1530, TaxiBJ P1's training split)");
  train->add_option("--dp", t->dp_modes,
                    "Data-parallel step under mpirun, comma-separated modes: overlap (all-reduce during backward), "
                    "after (after backward), none (no communication)");
  train->add_option("--bucket-mb", t->bucket_mb, "With --dp: gradient bucket size of the overlap mode (MB)")
      ->capture_default_str();
  train->callback([t, &exit_code] {
    check_format(t->format);
    if (!t->dp_modes.empty()) {
      std::vector<std::string> modes;
      for (const auto& part : split(t->dp_modes, ',')) modes.push_back(trim(part));
      auto r = bench::bench_train_dp(train_options(*t), modes, t->bucket_mb);
      if (orchestrator::is_reporting_rank()) std::cout << (t->format == "json" ? bench::to_json(r) : bench::to_table(r));
      exit_code = orchestrator::kExitOk;
      return;
    }
    auto r = bench::bench_train(train_options(*t));
    std::cout << (t->format == "json" ? bench::to_json(r) : bench::to_table(r));
    exit_code = orchestrator::kExitOk;
  });

  auto i = std::make_shared<BenchArgs>();
  auto* infer = bench_cmd->add_subcommand("infer", "Fine maps per second over a sweep of batch sizes");
  add_common(infer, *i);
  infer->add_option("--batches", i->batches, "Comma-separated batch sizes")->capture_default_str();
  infer->add_option("--grad-mode", i->grad_mode,
                    "inference (c10::InferenceMode, as fufi infer), no_grad, or grad (autograd recording)")
      ->capture_default_str();
  infer->callback([i, &exit_code] {
    check_format(i->format);
    auto r = bench::bench_infer(train_options(*i), int_list(i->batches, "--batches"));
    std::cout << (i->format == "json" ? bench::to_json(r) : bench::to_table(r));
    exit_code = orchestrator::kExitOk;
  });

  auto r = std::make_shared<BenchArgs>();
  auto* allreduce = bench_cmd->add_subcommand("allreduce", "All-reduce bandwidth of the communicators (run under mpirun)");
  allreduce->add_option("--backend", r->backend, "mpi or nccl")->capture_default_str();
  allreduce->add_option("--bytes", r->bytes, "Comma-separated message sizes (4096, 64KB, 16MB, ...)")->capture_default_str();
  allreduce->add_option("--steps", r->steps, "Timed repetitions")->capture_default_str();
  allreduce->add_option("--warmup", r->warmup, "Untimed warm-up repetitions")->capture_default_str();
  allreduce->add_option("--format", r->format, "table or json")->capture_default_str();
  allreduce->callback([r, &exit_code] {
    check_format(r->format);
    std::vector<std::int64_t> sizes;
    for (const auto& part : split(r->bytes, ',')) sizes.push_back(bench::parse_bytes(trim(part), "--bytes"));
    auto result = bench::bench_allreduce(r->backend, sizes, r->steps, r->warmup);
    if (orchestrator::is_reporting_rank()) std::cout << (r->format == "json" ? bench::to_json(result) : bench::to_table(result));
    exit_code = orchestrator::kExitOk;
  });

  add_bench_orchestrator_subcommand(*bench_cmd, exit_code);
}

}  // namespace fufi::cli

#endif  // FUFI_HAVE_BENCH
