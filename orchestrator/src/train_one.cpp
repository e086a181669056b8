#include "fufi/orchestrator/train_one.h"

#include <filesystem>
#include <memory>
#include <ostream>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/status.h"
#include "fufi/model/torchscript.h"
#include "fufi/worker/engine.h"
#include "fufi/worker/train_config.h"
#include "sweep_sinks.h"

namespace fufi::orchestrator {

namespace {

// Rank 0's sink: the run directory, plus one progress line per epoch.
class ProgressSink : public worker::RunDirSink {
 public:
  ProgressSink(const std::string& dir, std::int64_t epochs, bool quiet, std::ostream& err)
      : RunDirSink(dir), epochs_(epochs), quiet_(quiet), err_(err) {}
  void epoch(const worker::EpochRecord& r) override {
    RunDirSink::epoch(r);
    if (!quiet_)
      // Epochs are numbered from 0 everywhere (epochs.jsonl, metrics.json's best_epoch, the DB, errors).
      err_ << fmt::format("epoch {:>3} of 0..{}  loss {:.4f}  valid mse {:.4f} mae {:.4f} mape {:.4f}  lr {:.2e}  {:.1f}s{}\n",
                          r.epoch, epochs_ - 1, r.train_loss, r.valid.mse, r.valid.mae, r.valid.mape, r.lr, r.seconds,
                          r.best ? "  *" : "");
  }

 private:
  std::int64_t epochs_;
  bool quiet_;
  std::ostream& err_;
};

// The world's communicator: NCCL for device=cuda (one GPU per node-local rank unless the user pinned one; the
// job's device is rewritten to it), MPI otherwise; a local one without mpirun. Sets `rank`.
std::unique_ptr<worker::Communicator> world_communicator(worker::TrainJob& job, int& rank) {
  rank = 0;
  if (!worker::mpi_launched()) return worker::make_local_communicator();
  const auto world = worker::mpi_world();
  rank = world.rank;
  const std::string device = job.settings.get_string("device", "cpu");
  if (device.rfind("cuda", 0) != 0) return worker::make_mpi_communicator(MPI_COMM_WORLD);
  if (device == "cuda") job.settings.set("device", fmt::format("cuda:{}", world.local_rank), "--set");
  return worker::make_nccl_communicator(MPI_COMM_WORLD, world.local_rank);
}

void report(const TrainOneOptions& o, const worker::RunResult& result, std::ostream& out, std::ostream& err) {
  if (result.status == to_string(JobStatus::Done)) {
    out << fmt::format("{}: test mse {:.4f} mae {:.4f} mape {:.4f} rmse {:.4f} (best epoch {}, {} parameters) -> {}\n",
                       o.model, result.test.mse, result.test.mae, result.test.mape, result.test.rmse,
                       result.best_epoch, result.parameters, o.out + "/metrics.json");
  } else {
    err << "fufi: error: " << result.error_class << ": " << result.error << "\n";
  }
}

}  // namespace

int train_one(const TrainOneOptions& o, std::ostream& out, std::ostream& err) {
  worker::TrainJob job;
  // A TorchScript model's relative path is taken from the working directory, and recorded absolute: the
  // checkpoint then names the file wherever `fufi infer` or `fufi export` later runs.
  job.model = model::with_absolute_model_path(o.model);
  job.data_dir = o.data;
  job.task = o.task;
  job.settings = Config::from_assignments(o.sets, "--set");
  job.seed = o.seed;
  job.run_dir = o.out;
  job.resume = !o.fresh;
  job.diagnose_path = o.diagnose;
  job.diagnose_steps = o.diagnose_steps;
  job.strict_data = o.strict;
  const std::int64_t epochs = planned_epochs(job.model, job.settings, job.seed);

  int rank = 0;
  auto communicator = world_communicator(job, rank);
  // --fresh (job.resume false): the engine drops the old checkpoints once it holds the run directory's lock.

  std::unique_ptr<worker::RecordSink> sink;
  if (rank == 0) sink = std::make_unique<ProgressSink>(o.out, epochs, o.quiet, err);
  else sink = std::make_unique<NullSink>();
  worker::EngineCallbacks callbacks;
  callbacks.on_warning = [&err](const std::string& w) { err << "fufi: warning: " << w << "\n"; };
  const auto result = worker::run_training(job, *sink, *communicator, callbacks);
  if (rank == 0) report(o, result, out, err);
  return exit_code(parse_job_status(result.status), parse_error_class(result.error_class));
}

std::int64_t planned_epochs(const std::string& model, const Config& settings, std::uint64_t seed) {
  try {
    return worker::resolve_job_settings(model, settings, seed).train.epochs;
  } catch (const Error&) {
    return 0;
  }
}

}  // namespace fufi::orchestrator
