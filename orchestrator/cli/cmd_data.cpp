// fufi data synth | stats
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "option_checks.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/data/dataset.h"
#include "fufi/data/stats.h"
#include "fufi/data/synth.h"

namespace fufi::cli {

namespace {

struct SynthArgs {
  std::string out;
  std::string preset = "small";
  std::string tasks = "P1,P2,P3,P4";
  std::uint64_t seed = 2026;
  std::int64_t coarse = 0, upscale = 0, samples = 0;
  int threads = 0;
};

struct StatsArgs {
  std::vector<std::string> dirs;
  std::string task;
  std::string format = "table";
  bool strict = false;
};

int run_synth(const SynthArgs& a) {
  data::SynthOptions o;
  o.preset = a.preset;
  o.tasks.clear();
  for (const auto& t : split(a.tasks, ',')) {
    auto name = trim(t);
    if (!name.empty()) o.tasks.push_back(name);
  }
  o.seed = a.seed;
  o.coarse_size = a.coarse;
  o.upscale = a.upscale;
  o.samples_per_task = a.samples;
  o.threads = a.threads;
  o = data::resolve_synth_options(o);
  data::write_synth_dataset(a.out, o);
  std::cout << "wrote synthetic TaxiBJ-like data (preset " << o.preset << ", seed " << o.seed << ", "
            << o.coarse_size << "x" << o.coarse_size << " -> " << o.coarse_size * o.upscale << "x"
            << o.coarse_size * o.upscale << ") to " << a.out << ": " << join(o.tasks, ", ") << "\n";
  return 0;
}

int run_stats(const StatsArgs& a) {
  if (a.format != "table" && a.format != "json")
    FUFI_THROW(UsageError, "--format: unknown format '{}' (table, json)", a.format);
  std::vector<data::DatasetStats> all;
  data::LoadOptions options;
  options.strict = a.strict;
  for (const auto& dir : a.dirs) {
    // A dataset directory, a TaxiBJ-style root (one dataset per task), or a root + --task.
    std::vector<std::string> datasets;
    if (!a.task.empty()) {
      datasets.push_back(data::resolve_task_dir(dir, a.task));
    } else if (std::filesystem::is_directory(std::filesystem::path(dir) / "train")) {
      datasets.push_back(dir);
    } else {
      for (const auto& t : data::list_tasks(dir)) datasets.push_back((std::filesystem::path(dir) / t).string());
      if (datasets.empty()) FUFI_THROW(InputError, "{}: no dataset here (no train/ and no task directories)", dir);
    }
    for (const auto& d : datasets) {
      auto loaded = data::load_fufi_data(d, options);
      for (const auto& w : loaded.warnings) std::cerr << "fufi: warning: " << w << "\n";
      all.push_back(data::dataset_stats(loaded));
    }
  }
  std::cout << (a.format == "json" ? data::stats_to_json(all) : data::stats_to_table(all));
  return 0;
}

}  // namespace

void add_data_command(CLI::App& app, int& exit_code) {
  auto* data_cmd = app.add_subcommand("data", "Make and inspect FUFI datasets");
  data_cmd->require_subcommand(1);

  auto synth_args = std::make_shared<SynthArgs>();
  auto* synth = data_cmd->add_subcommand("synth", "Write the TaxiBJ-like synthetic dataset (P1..P4 layout)");
  synth->add_option("--out", synth_args->out, "Output directory (tasks become OUT/P1 ...)")->required();
  synth->add_option("--preset", synth_args->preset, "small (16->64, 300 samples/task) or paper (32->128, Table 3 sizes)")
      ->capture_default_str();
  synth->add_option("--tasks", synth_args->tasks, "Comma-separated tasks")->capture_default_str();
  synth->add_option("--seed", synth_args->seed, "Random seed (same seed, same bytes)")
      ->check(integer_at_least(0))  // an unsigned option would otherwise take -1 as 2^64 - 1
      ->capture_default_str();
  // Given, they must be positive: 0 is the "preset's value" inside SynthOptions, never a value to ask for.
  synth->add_option("--coarse", synth_args->coarse, "Override the preset's coarse grid size")->check(integer_at_least(1));
  synth->add_option("--upscale", synth_args->upscale, "Override the preset's upscale factor")->check(integer_at_least(1));
  synth->add_option("--samples", synth_args->samples, "Override the samples per task")->check(integer_at_least(1));
  synth->add_option("--threads", synth_args->threads, "Generator threads (0 = all cores; output does not depend on it)")
      ->check(integer_at_least(0));
  synth->callback([synth_args, &exit_code] { exit_code = run_synth(*synth_args); });

  auto stats_args = std::make_shared<StatsArgs>();
  auto* stats = data_cmd->add_subcommand(
      "stats",
      "Shapes, value quantiles, zeros, constraint, ext ranges, and what context is worth: test MAE of the even spread, "
      "the static and the per-hour share fitted on train (docs/DATA.md)");
  stats->add_option("dirs", stats_args->dirs, "Dataset directories or TaxiBJ-style roots")->required();
  stats->add_option("--task", stats_args->task, "Task subdirectory of a root (P1 ...)");
  stats->add_option("--format", stats_args->format, "table or json")->capture_default_str();
  stats->add_flag("--strict", stats_args->strict, "Refuse what is otherwise a warning: a spatial-constraint violation, ext columns outside 0..1");
  stats->callback([stats_args, &exit_code] { exit_code = run_stats(*stats_args); });
}

}  // namespace fufi::cli
