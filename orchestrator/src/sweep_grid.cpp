#include "fufi/orchestrator/sweep_grid.h"

#include <algorithm>
#include <memory>
#include <regex>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/model/registry.h"
#include "fufi/worker/train_config.h"

namespace fufi::orchestrator {

namespace {

// One point of the grid before filtering and resolution. Its settings are those of its configuration,
// shared by the configuration's seeds.
struct GridPoint {
  const SweepValue* model;
  const std::string* task;
  const std::string* variant;
  std::uint64_t seed;
  const Config* settings;
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
    else actual = effective(p.model->text, *p.settings, key);
    if (std::none_of(values.begin(), values.end(), [&](const SweepValue& v) { return v.text == actual; })) return false;
  }
  return true;
}

// Issue #17: a configuration (model x task x variant x the other axes) is resolved once and shared by its
// seeds' jobs; per seed only the id is hashed. The engine's resolution depends on the seed only through the
// "seed" key it sets (worker::resolve_job_settings), so resolving per seed gave the same configuration a
// million times over (test_sweep_grid.cpp checks every job against a resolution of its own).
class GridExpansion {
 public:
  explicit GridExpansion(const SweepSpec& spec)
      : spec_(spec),
        data_identity_(spec.sweep.data.identity()),
        include_hits_(spec.include.size(), 0),
        exclude_hits_(spec.exclude.size(), 0) {}

  SweepGrid run();

 private:
  // The jobs of one configuration in grid_.jobs, for finding a duplicate of one of them.
  struct Range {
    GridPoint point;  // seed unset
    std::size_t begin, end;
  };

  Config settings_at(const std::string& model, const std::vector<std::size_t>& axis_index,
                     const SweepSettings& variant_settings) const;
  bool keep(const GridPoint& p);
  worker::JobSettings resolve(const GridPoint& p) const;
  std::shared_ptr<const SweepConfiguration> configure(const GridPoint& p);
  void check_unique(const GridPoint& p, const std::string& group_id, std::size_t first_job);

  const SweepSpec& spec_;
  const std::string data_identity_;
  std::vector<std::size_t> include_hits_, exclude_hits_;
  std::map<std::string, std::vector<Range>> group_ranges_;  // group id -> the configurations with it, in grid order
  std::unique_ptr<ConfigurationIdentity> identity_;          // of the configuration being expanded
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
    return worker::resolve_job_settings(p.model->text, *p.settings, p.seed);
  } catch (const Error& e) {
    // Most engine messages name the key; point at the line that set it when they do not.
    const std::string& path = spec_.sweep.file;
    std::string message = e.message();
    static const std::regex key_in_message("key '([^']+)'");
    std::smatch m;
    if (message.find(path) == std::string::npos && std::regex_search(message, m, key_in_message) &&
        !p.settings->source_of(m[1]).empty())
      message = p.settings->source_of(m[1]) + ": " + message;
    if (message.find(path) == std::string::npos) message = p.model->where + ": " + message;
    FUFI_THROW(UsageError, "{} (job {})", message, label_of(p));
  }
}

// The configuration of `p`, resolved with the seed of its first kept job (so that an error names that job).
std::shared_ptr<const SweepConfiguration> GridExpansion::configure(const GridPoint& p) {
  const worker::JobSettings resolved = resolve(p);
  auto c = std::make_shared<SweepConfiguration>();
  c->model = p.model->text;
  c->task = *p.task;
  c->variant = *p.variant;
  c->settings = *p.settings;
  for (const auto& [k, v] : resolved.resolved.items())
    if (k != "seed") c->resolved.set(k, normalise_value(v));
  identity_ = std::make_unique<ConfigurationIdentity>(data_identity_, c->task, c->resolved);
  c->group_id = identity_->group_id();
  const auto samples = spec_.train_samples.find(c->task);
  c->work = static_cast<double>(std::max<std::int64_t>(1, resolved.train.epochs)) *
            static_cast<double>(samples == spec_.train_samples.end() ? 1 : samples->second);
  return c;
}

// Two grid points are the same job when their configurations resolve alike (same group id) and they share a
// seed: a variant or axis value that changes nothing. Seeds are unique within a configuration (the parser
// checks the list), so only earlier configurations with this group id can hold a duplicate. Their jobs are
// scanned: configurations that resolve alike are an error unless filters keep their seeds apart, so this is rare.
void GridExpansion::check_unique(const GridPoint& p, const std::string& group_id, std::size_t first_job) {
  auto& ranges = group_ranges_[group_id];
  if (ranges.empty() || ranges.back().begin != first_job) ranges.push_back({GridPoint{p.model, p.task, p.variant, 0, nullptr}, first_job, first_job});
  for (std::size_t r = 0; r + 1 < ranges.size(); ++r)
    for (std::size_t i = ranges[r].begin; i < ranges[r].end; ++i)
      if (grid_.jobs[i].seed == p.seed) {
        GridPoint earlier = ranges[r].point;
        earlier.seed = p.seed;
        FUFI_THROW(UsageError, "{}: two grid points are the same job ({} and {}): a variant or axis value changes nothing",
                   spec_.variants_where.empty() ? spec_.sweep.file : spec_.variants_where, label_of(earlier), label_of(p));
      }
  ranges.back().end = grid_.jobs.size() + 1;
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
  grid_.jobs.reserve(spec_.models.size() * spec_.tasks.size() * variants.size() * spec_.seeds.size());
  for (const auto& model : spec_.models)
    for (const auto& task : spec_.tasks)
      for (const auto& [variant, variant_settings] : variants) {
        std::fill(axis_index.begin(), axis_index.end(), 0);
        do {
          const Config settings = settings_at(model.text, axis_index, variant_settings);
          std::shared_ptr<const SweepConfiguration> configuration;  // at its first kept job
          const std::size_t first_job = grid_.jobs.size();
          for (std::uint64_t seed : spec_.seeds) {
            const GridPoint p{&model, &task.text, &variant, seed, &settings};
            if (!keep(p)) continue;
            if (!configuration) configuration = configure(p);
            SweepJob job;
            job.id = identity_->job_id(seed);
            job.seed = seed;
            job.configuration = configuration;
            check_unique(p, configuration->group_id, first_job);
            grid_.jobs.push_back(std::move(job));
          }
        } while (next_combination(axis_index, spec_));
      }
  grid_.jobs.shrink_to_fit();
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
