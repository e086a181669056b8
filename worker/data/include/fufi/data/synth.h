#pragma once
// A TaxiBJ-like synthetic generator: the embedded default data of the demo, the tests and the CPU
// benchmarks. A city built from mechanisms (docs/DATA.md, worker/data/src/synth_*.cpp):
//   - districts (a CBD, secondary and local centres, industry at the edge, campuses, an entertainment
//     quarter, parks, a river) set the odds of each parcel's land use, so neighbouring coarse cells share a
//     character while the fine cells inside one differ in use;
//   - a population model moves the residents over the day: commuters from homes to offices and industry
//     and back along the arterials, people going out to shops, bars and parks (evenings, rest days, dry
//     weather), metro interchanges at the rush hours, railway stations around holidays; weekends, holidays,
//     school vacations and bad weather redistribute them;
//   - counts are gamma-Poisson draws around the resulting intensities (zero-inflated, heavy-tailed
//     integers) and the coarse map is the exact N×N sum of the fine map.
// Each task covers the paper's period (Table 3) with 30-minute slots over all 24 hours, subsampled to
// the task's size and split chronologically 7:1:2. ext uses the TaxiBJ 7-column encoding.
// Deterministic: the same options give the same bytes (per-sample random streams, any thread count).
#include <cstdint>
#include <string>
#include <vector>

#include "fufi/data/npy.h"

namespace fufi::data {

struct SynthTaskInfo {
  std::string name;  // P1..P4
  int start_year, start_month, start_day;
  int end_year, end_month, end_day;  // inclusive
  std::int64_t paper_size;           // samples in the paper's Table 3
};

const std::vector<SynthTaskInfo>& synth_tasks();  // P1..P4 with the paper's periods and sizes

struct SynthOptions {
  std::string preset = "small";  // "small": 16->64, 300 samples per task; "paper": 32->128, Table 3 sizes
  std::vector<std::string> tasks{"P1", "P2", "P3", "P4"};
  std::uint64_t seed = 2026;
  // Overrides of the preset (0 = the preset's value).
  std::int64_t coarse_size = 0;
  std::int64_t upscale = 0;
  std::int64_t samples_per_task = 0;
  int threads = 0;  // 0 = hardware concurrency; the output does not depend on it
};

struct SynthSplit {
  NpyArray X;    // (N,h,w)
  NpyArray Y;    // (N,H,W)
  NpyArray ext;  // (N,7)
};

struct SynthTask {
  std::string name;
  SynthSplit train, valid, test;
};

// Checks the options (preset, task names, sizes) and throws UsageError naming the bad one.
SynthOptions resolve_synth_options(const SynthOptions& options);

// One task in memory.
SynthTask generate_synth_task(const SynthOptions& options, const std::string& task);

// Writes OUT/<task>/{train,valid,test}/{X,Y,ext}.npy for every task and OUT/fufi_synth.json
// (generator version, preset, seed, sizes) so that reports can say which data produced them.
void write_synth_dataset(const std::string& out_dir, const SynthOptions& options);

// Version of the generator's model of the city; bumped whenever the bytes for a seed change.
constexpr int kSynthGeneratorVersion = 2;

}  // namespace fufi::data
