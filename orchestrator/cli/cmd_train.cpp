// fufi train: one job (one model, one dataset, one seed). Under mpirun the ranks train it data-parallel.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "commands.h"
#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/model/torchscript.h"
#include "fufi/worker/engine.h"

namespace fufi::cli {

namespace {

struct TrainArgs {
  std::string model, data, task, out;
  std::vector<std::string> sets;
  std::uint64_t seed = 1;
  bool fresh = false;
  bool quiet = false;
};

// Rank 0's sink: the run directory, plus one progress line per epoch.
class ProgressSink : public worker::RunDirSink {
 public:
  ProgressSink(const std::string& dir, std::int64_t epochs, bool quiet) : RunDirSink(dir), epochs_(epochs), quiet_(quiet) {}
  void epoch(const worker::EpochRecord& r) override {
    RunDirSink::epoch(r);
    if (!quiet_)
      std::cerr << fmt::format("epoch {:>3}/{}  loss {:.4f}  valid mse {:.4f} mae {:.4f} mape {:.4f}  lr {:.2e}  {:.1f}s{}\n",
                               r.epoch + 1, epochs_, r.train_loss, r.valid.mse, r.valid.mae, r.valid.mape, r.lr,
                               r.seconds, r.best ? "  *" : "");
  }

 private:
  std::int64_t epochs_;
  bool quiet_;
};

class NullSink : public worker::RecordSink {
 public:
  void epoch(const worker::EpochRecord&) override {}
  void result(const worker::RunResult&) override {}
};

int run_train(const TrainArgs& a) {
  worker::TrainJob job;
  // A TorchScript model's relative path is taken from the working directory, and recorded absolute: the
  // checkpoint then names the file wherever `fufi infer` or `fufi export` later runs.
  job.model = model::with_absolute_model_path(a.model);
  job.data_dir = a.data;
  job.task = a.task;
  job.settings = Config::from_assignments(a.sets, "--set");
  job.seed = a.seed;
  job.run_dir = a.out;
  job.resume = !a.fresh;
  const std::int64_t epochs = job.settings.get_int("epochs", 100);

  // Under mpirun every rank of the world trains this one job; alone, no MPI is initialised.
  std::unique_ptr<worker::Reducer> reducer;
  int rank = 0;
  if (worker::mpi_launched()) {
    const auto world = worker::mpi_world();
    rank = world.rank;
    const std::string device = job.settings.get_string("device", "cpu");
    if (device.rfind("cuda", 0) == 0) {
      // One GPU per node-local rank unless the user pinned a device.
      if (device == "cuda") job.settings.set("device", fmt::format("cuda:{}", world.local_rank), "--set");
      reducer = worker::make_nccl_reducer(MPI_COMM_WORLD, world.local_rank);
    } else {
      reducer = worker::make_mpi_reducer(MPI_COMM_WORLD);
    }
  } else {
    reducer = worker::make_local_reducer();
  }
  if (a.fresh && rank == 0) {
    std::filesystem::remove(a.out + "/last.ckpt");
    std::filesystem::remove(a.out + "/best.ckpt");
  }
  if (a.fresh) reducer->barrier();

  std::unique_ptr<worker::RecordSink> sink;
  if (rank == 0) sink = std::make_unique<ProgressSink>(a.out, epochs, a.quiet);
  else sink = std::make_unique<NullSink>();
  const auto result = worker::run_training(job, *sink, *reducer);
  if (rank == 0) {
    if (result.status == "done") {
      std::cout << fmt::format("{}: test mse {:.4f} mae {:.4f} mape {:.4f} rmse {:.4f} (best epoch {}, {} parameters) -> {}\n",
                               a.model, result.test.mse, result.test.mae, result.test.mape, result.test.rmse,
                               result.best_epoch + 1, result.parameters, a.out + "/metrics.json");
    } else {
      std::cerr << "fufi: error: " << result.error_class << ": " << result.error << "\n";
    }
  }
  return worker::exit_code_for(result);
}

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train one model on one dataset (data-parallel under mpirun)");
  cmd->add_option("--model", a->model, "Registered model name (fufi models), or torchscript:PATH.pt (docs/BYO_MODEL.md)")->required();
  cmd->add_option("--data", a->data, "Dataset directory, or a TaxiBJ-style root with --task")->required();
  cmd->add_option("--task", a->task, "Task under a root: P1 .. P4");
  cmd->add_option("--set", a->sets, "key=value: model, loss (loss_*) and training keys (epochs, lr, ...)");
  cmd->add_option("--seed", a->seed, "Seed (model init, data order, dropout)")->capture_default_str();
  cmd->add_option("--out", a->out, "Run directory: checkpoints, epochs.jsonl, metrics.json")->required();
  cmd->add_flag("--fresh", a->fresh, "Ignore an existing checkpoint in --out and start over");
  cmd->add_flag("--quiet", a->quiet, "No per-epoch progress lines");
  cmd->callback([a, &exit_code] { exit_code = run_train(*a); });
}

}  // namespace fufi::cli
