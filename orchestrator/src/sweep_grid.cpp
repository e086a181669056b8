#include "fufi/orchestrator/sweep_grid.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/model/registry.h"
#include "fufi/worker/train_config.h"

namespace fufi::orchestrator {

namespace {

// One point of the grid before filtering and resolution.
struct GridPoint {
  const SweepValue* model;
  const std::string* task;
  const std::string* variant;
  std::uint64_t seed;
  Config settings;
};

std::string label_of(const GridPoint& p) {
  return fmt::format("model={} task={}{} seed={}", p.model->text, *p.task, p.variant->empty() ? "" : " variant=" + *p.variant,
                     p.seed);
}

// The value a key will have for this job, for matching filters: the sweep's setting, else the recipe's, the
// model's default or the engine's default (worker/train_config.cpp applies the same order when it resolves).
std::string effective(const std::string& model, const Config& settings, const std::string& key) {
  if (settings.has(key)) return settings.get_string(key);
  const auto& info = model::ModelRegistry::instance().get(model);
  const std::string recipe = settings.get_string("recipe", "");
  if (!recipe.empty() && info.recipes.count(recipe) && info.recipes.at(recipe).has(key))
    return normalise_value(info.recipes.at(recipe).get_string(key));
  for (const auto& p : info.params)
    if (p.key == key) return normalise_value(p.default_value);
  for (const auto& s : worker::train_param_specs())
    if (s.key == key) return normalise_value(s.default_value);
  return "\x01";  // unset: matches no filter value
}

bool matches(const SweepFilter& filter, const GridPoint& p) {
  for (const auto& [key, values] : filter) {
    std::string actual;
    if (key == "model") actual = p.model->text;
    else if (key == "task") actual = *p.task;
    else if (key == "variant") actual = *p.variant;
    else if (key == "seed") actual = std::to_string(p.seed);
    else actual = effective(p.model->text, p.settings, key);
    if (std::none_of(values.begin(), values.end(), [&](const SweepValue& v) { return v.text == actual; })) return false;
  }
  return true;
}

class GridExpansion {
 public:
  explicit GridExpansion(const SweepSpec& spec)
      : spec_(spec),
        data_identity_(spec.sweep.data.identity()),
        include_hits_(spec.include.size(), 0),
        exclude_hits_(spec.exclude.size(), 0) {}

  SweepGrid run();

 private:
  Config settings_at(const std::string& model, const std::vector<std::size_t>& axis_index,
                     const SweepSettings& variant_settings) const;
  bool keep(const GridPoint& p);
  worker::JobSettings resolve(const GridPoint& p) const;
  void add_job(GridPoint p);

  const SweepSpec& spec_;
  const std::string data_identity_;
  std::vector<std::size_t> include_hits_, exclude_hits_;
  std::map<std::string, std::string> id_origin_;  // job id -> the grid point that made it
  SweepGrid grid_;
};

// Lowest first: training < per model < axes < variant < --set.
Config GridExpansion::settings_at(const std::string& model, const std::vector<std::size_t>& axis_index,
                                  const SweepSettings& variant_settings) const {
  Config settings;
  auto apply = [&](const SweepSettings& values) {
    for (const auto& [k, v] : values) settings.set(k, v.text, v.where);
  };
  apply(spec_.training);
  if (spec_.per_model.count(model)) apply(spec_.per_model.at(model));
  for (std::size_t a = 0; a < spec_.axes.size(); ++a) {
    const SweepValue& v = spec_.axes[a].second[axis_index[a]];
    settings.set(spec_.axes[a].first, v.text, v.where);
  }
  apply(variant_settings);
  apply(spec_.sets);
  return settings;
}

bool GridExpansion::keep(const GridPoint& p) {
  bool keep = spec_.include.empty();
  for (std::size_t i = 0; i < spec_.include.size(); ++i)
    if (matches(spec_.include[i], p)) {
      keep = true;
      ++include_hits_[i];
    }
  for (std::size_t i = 0; i < spec_.exclude.size() && keep; ++i)
    if (matches(spec_.exclude[i], p)) {
      keep = false;
      ++exclude_hits_[i];
    }
  return keep;
}

worker::JobSettings GridExpansion::resolve(const GridPoint& p) const {
  try {
    return worker::resolve_job_settings(p.model->text, p.settings, p.seed);
  } catch (const Error& e) {
    // Most engine messages name the key; point at the line that set it when they do not.
    const std::string& path = spec_.sweep.file;
    std::string message = e.message();
    static const std::regex key_in_message("key '([^']+)'");
    std::smatch m;
    if (message.find(path) == std::string::npos && std::regex_search(message, m, key_in_message) &&
        !p.settings.source_of(m[1]).empty())
      message = p.settings.source_of(m[1]) + ": " + message;
    if (message.find(path) == std::string::npos) message = p.model->where + ": " + message;
    FUFI_THROW(UsageError, "{} (job {})", message, label_of(p));
  }
}

void GridExpansion::add_job(GridPoint p) {
  const worker::JobSettings resolved = resolve(p);
  SweepJob job;
  job.model = p.model->text;
  job.task = *p.task;
  job.variant = *p.variant;
  job.seed = p.seed;
  job.settings = std::move(p.settings);
  for (const auto& [k, v] : resolved.resolved.items()) job.resolved.set(k, normalise_value(v));
  job.id = sha256_hex(job_identity_text(data_identity_, job.task, job.resolved, true));
  job.group_id = sha256_hex(job_identity_text(data_identity_, job.task, job.resolved, false));
  const std::string origin = label_of(p);
  auto [it, fresh] = id_origin_.emplace(job.id, origin);
  FUFI_CHECK(fresh, UsageError, "{}: two grid points are the same job ({} and {}): a variant or axis value changes nothing",
             spec_.variants_where.empty() ? spec_.sweep.file : spec_.variants_where, it->second, origin);
  const auto samples = spec_.train_samples.find(job.task);
  job.work = static_cast<double>(std::max<std::int64_t>(1, resolved.train.epochs)) *
             static_cast<double>(samples == spec_.train_samples.end() ? 1 : samples->second);
  grid_.jobs.push_back(std::move(job));
}

// Next combination of the axes (odometer order, the last axis fastest); false after the last.
bool next_combination(std::vector<std::size_t>& index, const SweepSpec& spec) {
  for (std::size_t a = spec.axes.size(); a-- > 0;) {
    if (++index[a] < spec.axes[a].second.size()) return true;
    index[a] = 0;
  }
  return false;
}

SweepGrid GridExpansion::run() {
  std::vector<std::pair<std::string, SweepSettings>> variants = spec_.variants;
  if (variants.empty()) variants.emplace_back("", SweepSettings{});
  std::vector<std::size_t> axis_index(spec_.axes.size(), 0);
  for (const auto& model : spec_.models)
    for (const auto& task : spec_.tasks)
      for (const auto& [variant, variant_settings] : variants) {
        std::fill(axis_index.begin(), axis_index.end(), 0);
        do {
          for (std::uint64_t seed : spec_.seeds) {
            GridPoint p{&model, &task.text, &variant, seed, settings_at(model.text, axis_index, variant_settings)};
            if (keep(p)) add_job(std::move(p));
          }
        } while (next_combination(axis_index, spec_));
      }
  for (std::size_t i = 0; i < spec_.exclude.size(); ++i)
    if (exclude_hits_[i] == 0) grid_.warnings.push_back(fmt::format("[[exclude]] #{} matches no job", i + 1));
  for (std::size_t i = 0; i < spec_.include.size(); ++i)
    if (include_hits_[i] == 0) grid_.warnings.push_back(fmt::format("[[include]] #{} matches no job", i + 1));
  FUFI_CHECK(!grid_.jobs.empty(), UsageError, "{}: the sweep has no jobs (the filters exclude every grid point)",
             spec_.sweep.file);
  return std::move(grid_);
}

}  // namespace

SweepGrid expand_grid(const SweepSpec& spec) { return GridExpansion(spec).run(); }

}  // namespace fufi::orchestrator
