#pragma once
// The verdict on a sweep that compares models (Table 1's sweep; the demo's): one sentence, computed from the
// DB, that says per task which row won each metric (MSE, MAE, MAPE), by how much the best trained model beats
// the best naive row or falls behind it, Welch's p over seeds where both have at least two, and whether PLGF lost
// a metric (to a trained model or a naive row). Private to fufi_results; `fufi report` writes it above Table 1,
// at the top of index.md and into verdict.txt, and scripts/demo ends with it.
#include <string>

#include "report_data.h"

namespace fufi::results::report {

// "" when no job of the sweep is done (nothing to say); rows are means over the done seeds.
std::string verdict_sentence(const SweepJobs& sweep);

// A p-value in a sentence: "p < 0.001", "p = 0.012".
std::string p_in_words(double p);

}  // namespace fufi::results::report
