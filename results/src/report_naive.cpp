#include "report_naive.h"

#include <algorithm>
#include <cmath>

#include "fufi/core/strings.h"

namespace fufi::results::report {

const std::vector<std::string> kNaiveModels{"uniform", "historical"};

const char* const kNaiveLegend =
    "(naive): a reference with no trained parameters, from the same sweep: `uniform` spreads each coarse cell "
    "evenly over its block; `historical` gives each fine cell its share of the block in the training split "
    "(`by_hour`: one share map per hour of day). Naive rows are not ranked. ‡: a naive row has a lower mean than "
    "this trained row on this metric.";

bool is_naive(const JobRow& job) {
  return std::find(kNaiveModels.begin(), kNaiveModels.end(), job.model) != kNaiveModels.end();
}

std::string naive_key(const JobRow& job) {
  std::string key = job.model;
  for (const char* mode : {"by_hour", "by_weather"})
    if (job.setting(mode) == "true") key += std::string(" ") + mode;
  const std::string weighting = job.setting("weighting", "flow");
  if (weighting != "flow") key += " weighting=" + weighting;
  return key + job.distinct;
}

std::string naive_or(const JobRow& job, const std::string& trained) { return is_naive(job) ? naive_key(job) : trained; }

std::string naive_label(const std::string& key) { return key + " (naive)"; }

void sort_naive_keys(std::vector<std::string>& keys) {
  auto model_rank = [](const std::string& key) {
    const std::string model = key.substr(0, key.find(' '));
    return std::find(kNaiveModels.begin(), kNaiveModels.end(), model) - kNaiveModels.begin();
  };
  std::sort(keys.begin(), keys.end(), [&](const std::string& a, const std::string& b) {
    const auto ra = model_rank(a), rb = model_rank(b);
    if (ra != rb) return ra < rb;
    if (a.size() != b.size() && (a.rfind(b, 0) == 0 || b.rfind(a, 0) == 0)) return a.size() < b.size();
    return a < b;
  });
}

std::vector<std::string> naive_below(double value, std::vector<NaiveMean> naive) {
  std::vector<std::string> out;
  if (std::isnan(value)) return out;
  std::stable_sort(naive.begin(), naive.end(), [](const NaiveMean& a, const NaiveMean& b) { return a.mean < b.mean; });
  for (const auto& n : naive)
    if (!std::isnan(n.mean) && n.mean < value) out.push_back(n.key);
  return out;
}

std::string beaten_metrics(const std::vector<BeatenMetric>& per_metric) {
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> groups;  // by -> metrics
  for (const auto& b : per_metric) {
    if (b.by.empty()) continue;
    const auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == b.by; });
    if (it == groups.end()) groups.push_back({b.by, {b.metric}});
    else it->second.push_back(b.metric);
  }
  std::vector<std::string> parts;
  for (const auto& [by, metrics] : groups) parts.push_back(join(metrics, ", ") + " (by " + join(by, ", ") + ")");
  return join(parts, " and ");
}

std::string naive_flag_note(const std::vector<std::string>& beaten) {
  if (beaten.empty()) return "";
  return "‡ — a naive row beats these trained rows (lower mean): " + join(beaten, "; ") + ".";
}

}  // namespace fufi::results::report
