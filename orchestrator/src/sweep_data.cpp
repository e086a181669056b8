#include "fufi/orchestrator/sweep_data.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "fufi/core/data_identity.h"
#include "fufi/core/error.h"
#include "fufi/data/dataset.h"
#include "fufi/data/npy.h"
#include "fufi/orchestrator/sweep.h"

namespace fs = std::filesystem;

namespace fufi::orchestrator {

std::string SweepData::identity() const {
  DataIdentity d;
  d.synthetic = synthetic;
  d.root = root;
  if (synthetic) {
    d.preset = synth.preset;
    d.seed = synth.seed;
    d.coarse_size = synth.coarse_size;
    d.upscale = synth.upscale;
    d.samples_per_task = synth.samples_per_task;
    d.generator = data::kSynthGeneratorVersion;
  }
  return d.text();
}

std::string SweepData::cache_name() const {
  return fmt::format("synthetic-{}-seed{}-{}x{}-n{}-g{}", synth.preset, synth.seed, synth.coarse_size, synth.upscale,
                     synth.samples_per_task, data::kSynthGeneratorVersion);
}

std::int64_t train_samples(const SweepData& d, const std::string& task) {
  if (d.synthetic) {
    std::int64_t n = d.synth.samples_per_task;
    if (n == 0)
      for (const auto& t : data::synth_tasks())
        if (t.name == task) n = t.paper_size;
    return std::max<std::int64_t>(1, n * 7 / 10);  // the generator's 7:1:2 split
  }
  // Only the header of train/X.npy is read: its first dimension is the sample count.
  const fs::path x = (task.empty() ? fs::path(d.root) : fs::path(d.root) / task) / "train" / "X.npy";
  std::ifstream in(x, std::ios::binary);
  if (!in) return 1;
  std::vector<std::uint8_t> head(static_cast<std::size_t>(data::kMaxNpyHeaderBytes) + 16);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  try {
    const auto header = data::parse_npy_header(head.data(), static_cast<std::size_t>(in.gcount()), x.string());
    return header.shape.empty() ? 1 : std::max<std::int64_t>(1, header.shape[0]);
  } catch (const Error&) {
    return 1;  // the engine names the broken file when the job loads it
  }
}

std::string ensure_synthetic_task(const std::string& dir, const data::SynthOptions& options, const std::string& task) {
  const fs::path final_dir = fs::path(dir) / task;
  std::error_code ec;
  if (fs::is_directory(final_dir, ec)) return dir;
  fs::create_directories(dir, ec);
  FUFI_CHECK(!ec, InputError, "{}: cannot create the data cache: {}", dir, ec.message());
  std::random_device random;
  const fs::path tmp = fs::path(dir) / fmt::format(".tmp-{}-{}-{:08x}", task, ::getpid(), random());
  data::SynthOptions o = options;
  o.tasks = {task};
  data::write_synth_dataset(tmp.string(), o);
  fs::rename(tmp / "fufi_synth.json", tmp / task / "fufi_synth.json", ec);
  // rename() of a directory is atomic: readers see no task or the whole task. Losing the race to another
  // rank that generated the same bytes is fine.
  fs::rename(tmp / task, final_dir, ec);
  fs::remove_all(tmp, ec);
  FUFI_CHECK(fs::is_directory(final_dir, ec), RuntimeError, "{}: could not place the generated task {}", dir, task);
  return dir;
}

std::string prepare_data(const Sweep& sweep, const std::string& data_cache, const DataCheckOptions& check,
                         std::vector<std::string>* warnings) {
  std::set<std::string> tasks;
  for (const auto& j : sweep.jobs) tasks.insert(j.task());
  if (!sweep.data.synthetic) {
    const std::string where = sweep.data.root_where.empty() ? sweep.file : sweep.data.root_where;
    // Every task directory must exist before any job starts: a missing one is the user's to fix (exit 2).
    try {
      for (const auto& t : tasks) data::resolve_task_dir(sweep.data.root, t);
    } catch (const InputError& e) {
      FUFI_THROW(InputError, "{}: data.root: {}", where, e.message());
    }
    // Every check a job makes when it loads its data (a NaN located by sample and cell, an .npz under an .npy
    // name, shapes that disagree, ...) runs once per task here, one task in memory at a time: bad data fails the
    // sweep before its DB exists, instead of failing each of its jobs as bad_data.
    if (check.validate) {
      data::LoadOptions load_options;
      load_options.strict = check.strict;
      for (const auto& t : tasks) {
        try {
          const auto loaded = data::load_fufi_data(data::resolve_task_dir(sweep.data.root, t), load_options);
          if (warnings) warnings->insert(warnings->end(), loaded.warnings.begin(), loaded.warnings.end());
        } catch (const InputError& e) {
          FUFI_THROW(InputError, "{}: data.root: {}{}", where, e.message(),
                     check.strict ? " (--strict refuses what is otherwise a warning)" : "");
        }
      }
    }
    return sweep.data.root;
  }
  const std::string dir = (fs::path(data_cache) / sweep.data.cache_name()).string();
  for (const auto& t : tasks) ensure_synthetic_task(dir, sweep.data.synth, t);
  return dir;
}

}  // namespace fufi::orchestrator
