#pragma once
// Sweep files: one TOML file describes a whole experiment (docs/SWEEPS.md). Loading one parses it
// strictly (an unknown key, a wrong type, an unknown model, loss, task or variant is a UsageError that
// names file:line and the nearest valid name), expands the grid (axes x variants x seeds, filtered by
// include/exclude) and resolves every job's configuration through the engine's own validation.
//
// A job's id is the SHA-256 of its canonical text: the dataset identity, the task and every resolved
// key (engine defaults, the model's defaults, the sweep's settings; numbers normalised), sorted. The
// same file gives the same ids whatever the order of its keys, and two sweeps that describe the same
// training share its result.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fufi/core/config.h"
#include "fufi/data/synth.h"

namespace fufi::orchestrator {

struct SweepData {
  bool synthetic = false;
  data::SynthOptions synth;  // synthetic: the generator's options, resolved (preset sizes filled in)
  std::string root;          // otherwise: the TaxiBJ-layout root, absolute
  // "synthetic:preset=small,seed=2026,..." or "root:/abs/path": part of every job id.
  std::string identity() const;
  // Directory name of the synthetic data in a cache ("synthetic-small-seed2026-8x4-n40").
  std::string cache_name() const;
};

struct SweepJob {
  std::string id;        // 64 hex digits
  std::string group_id;  // the same hash without the seed: the jobs a summary averages
  std::string model, task, variant;
  std::uint64_t seed = 1;
  Config settings;  // the keys the sweep sets (numbers normalised, sources "file:line"): what the engine gets
  Config resolved;  // every resolved key incl. model and seed, normalised: what the id hashes
  double work = 1;  // max(1, epochs) x training samples: the unit in which expected durations are estimated
};

struct Sweep {
  std::string name, description;
  std::string file, file_text, file_sha256;
  int max_attempts = 2;
  SweepData data;
  std::vector<SweepJob> jobs;         // in grid order
  std::vector<std::string> warnings;  // e.g. an exclude filter that matches no job
};

struct SweepOverrides {
  std::vector<std::string> sets;  // key=value, applied to every job above everything in the file
  std::string data_root;          // replaces data.root (only for sweeps over a data root)
};

// Reads and expands a sweep file. UsageError/InputError (exit 2) with file:line for anything invalid.
Sweep load_sweep(const std::string& path, const SweepOverrides& overrides = {});
// The same from text; `path` is used in messages.
Sweep parse_sweep(const std::string& text, const std::string& path, const SweepOverrides& overrides = {});

// Lower-case hex SHA-256 (OpenSSL EVP).
std::string sha256_hex(std::string_view bytes);

// The canonical text a job id hashes (exposed for tests and docs/SWEEPS.md).
std::string job_identity_text(const std::string& data_identity, const std::string& task, const Config& resolved,
                              bool with_seed = true);

// A number's canonical spelling when `value` is a number ("3e-4" -> "0.0003", "64.0" -> "64"), else `value`.
std::string normalise_value(const std::string& value);

// Training samples of TASK under a dataset: from the synthetic options, or the train/X.npy header of a
// root (1 when it cannot be read yet).
std::int64_t train_samples(const SweepData& data, const std::string& task);

// Makes sure DIR/TASK holds the synthetic data of `options` (generated once: into a temporary directory,
// then renamed, so concurrent ranks and a killed run never leave a half-written task). Returns DIR.
std::string ensure_synthetic_task(const std::string& dir, const data::SynthOptions& options, const std::string& task);

}  // namespace fufi::orchestrator
