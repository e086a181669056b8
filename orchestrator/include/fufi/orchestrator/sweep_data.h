#pragma once
// The data a sweep trains on: synthetic data (generated once per node into a cache) or a TaxiBJ-layout root.
#include <cstdint>
#include <string>
#include <vector>

#include "fufi/data/synth.h"

namespace fufi::orchestrator {

struct Sweep;

struct SweepData {
  bool synthetic = false;
  data::SynthOptions synth;  // synthetic: the generator's options, resolved (preset sizes filled in)
  std::string root;          // otherwise: the TaxiBJ-layout root, absolute
  std::string root_where;    // where `root` was given: the sweep's "file:line" of data.root, or "--data-root"
  // fufi/core/data_identity.h's text ("synthetic:preset=small,seed=2026,..." or "root:/abs/path"): part of
  // every job id.
  std::string identity() const;
  // Directory name of the synthetic data in a cache ("synthetic-small-seed2026-8x4-n40-g1").
  std::string cache_name() const;
};

// Training samples of TASK under a dataset: from the synthetic options, or the train/X.npy header of a
// root (1 when it cannot be read yet).
std::int64_t train_samples(const SweepData& data, const std::string& task);

// Makes sure DIR/TASK holds the synthetic data of `options` (generated once: into a temporary directory,
// then renamed, so concurrent ranks and a killed run never leave a half-written task). Returns DIR.
std::string ensure_synthetic_task(const std::string& dir, const data::SynthOptions& options, const std::string& task);

struct DataCheckOptions {
  bool validate = true;  // load every task of a root once and run the loader's checks (worker/data/dataset.h)
  bool strict = false;   // `fufi sweep --strict`: the loader's warnings (ext columns outside 0..1, a spatial-
                         // constraint violation) are errors
};

// The data directory jobs of `sweep` read: the root, or DATA_CACHE/<cache_name> with every task generated.
// A root's task directories must exist, and (check.validate) each task's files pass every check a job makes
// when it loads them; otherwise an InputError (bad_data, exit 2) naming data.root's file:line (or
// --data-root) and the file. The loader's warnings go to *warnings (may be null). Sessions call it before they
// create the DB, so that bad data leaves no DB behind.
std::string prepare_data(const Sweep& sweep, const std::string& data_cache, const DataCheckOptions& check = {},
                         std::vector<std::string>* warnings = nullptr);

}  // namespace fufi::orchestrator
