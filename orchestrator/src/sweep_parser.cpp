#include "sweep_parser.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <toml++/toml.h>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/data/dataset.h"
#include "fufi/model/registry.h"
#include "fufi/model/torchscript.h"
#include "sweep_keys.h"

namespace fs = std::filesystem;

namespace fufi::orchestrator {

namespace {

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys{"name",     "description", "seeds",   "max_attempts", "data",   "training",
                                             "axes",     "variants",    "models",  "include",      "exclude"};
  return keys;
}

// TOML puts every key after a [table] header into that table: a top-level key written too late lands there.
std::string top_level_hint(const std::string& key, const std::string& section) {
  const auto& keys = top_level_keys();
  if (section == "the sweep file" || std::find(keys.begin(), keys.end(), key) == keys.end()) return "";
  return fmt::format(" ('{}' is a top-level key: write it above the first [table])", key);
}

// A scalar as the text the engine parses; numbers normalised.
std::string scalar_text(const toml::node& node) {
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return canonical_number(f->get());
  if (const auto* s = node.as_string()) return s->get();
  return {};
}

bool is_scalar(const toml::node& n) { return n.is_boolean() || n.is_integer() || n.is_floating_point() || n.is_string(); }

class Parser {
 public:
  Parser(std::string path, const SweepOverrides& overrides) : path_(std::move(path)), overrides_(overrides) {}

  SweepSpec parse(const std::string& text);

 private:
  std::string where(const toml::source_region& r) const { return fmt::format("{}:{}", path_, r.begin.line); }
  std::string where(const toml::node& n) const { return where(n.source()); }
  std::string where(const toml::key& k) const { return where(k.source()); }

  [[noreturn]] void unknown_key(const toml::key& key, const std::string& section, const std::vector<std::string>& valid) const {
    FUFI_THROW(UsageError, "{}: unknown key '{}' in {}{}; valid keys: {}{}", where(key), key.str(), section,
               did_you_mean(key.str(), valid), join(valid, ", "), top_level_hint(std::string(key.str()), section));
  }

  const toml::table& table_at(const toml::node& node, const std::string& what) const {
    const auto* t = node.as_table();
    FUFI_CHECK(t, UsageError, "{}: {} must be a table", where(node), what);
    return *t;
  }

  std::string string_of(const toml::node& node, const std::string& what) const {
    const auto* s = node.as_string();
    FUFI_CHECK(s, UsageError, "{}: {} must be a string", where(node), what);
    return s->get();
  }

  std::int64_t int_of(const toml::node& node, const std::string& what) const {
    const auto* i = node.as_integer();
    FUFI_CHECK(i, UsageError, "{}: {} must be an integer", where(node), what);
    return i->get();
  }

  SweepValue setting(const std::string& key, const toml::node& node, const std::string& section) const;
  void check_setting_key(const std::string& key, const toml::source_region& at, const std::string& section) const;
  void check_name(const SweepValue& v, const std::string& what, const std::vector<std::string>& valid) const;
  void check_model(SweepValue& v) const;
  SweepSettings settings_table(const toml::node& node, const std::string& section) const;
  std::vector<SweepValue> values_of(const toml::node& node, const std::string& what) const;

  void parse_top_level(const toml::table& root);
  void parse_seeds(const toml::node& value);
  void parse_variants(const toml::node& value);
  void parse_data(const toml::node& node);
  void parse_data_key(const std::string& k, const toml::node& value, bool& have_root);
  void parse_axes(const toml::node& node);
  void parse_models(const toml::node& node);
  void resolve_tasks(const toml::node& axes_node);
  void check_filter_variants() const;
  void parse_sets();
  void parse_filters(const toml::node& node, const std::string& section, std::vector<SweepFilter>& out);

  std::string path_;
  SweepOverrides overrides_;
  SweepSpec spec_;
  const toml::node* data_node_ = nullptr;
  const toml::node* axes_node_ = nullptr;
  const toml::node* models_node_ = nullptr;
  std::string synthetic_only_key_;  // the last synthetic-only [data] key seen, and where
  toml::source_region synthetic_only_at_;
};

// A setting (a training, loss or model key): known key, single value of the right kind.
SweepValue Parser::setting(const std::string& key, const toml::node& node, const std::string& section) const {
  check_setting_key(key, node.source(), section);
  FUFI_CHECK(!node.is_table() && !node.is_array() && is_scalar(node), UsageError,
             "{}: key '{}' in {}: expected a single value, got {}", where(node), key, section,
             node.is_table() ? "a table" : node.is_array() ? "an array" : "a date or time");
  const auto& kinds = known_keys().kinds.at(key);
  const bool ok = (node.is_boolean() && kinds.count(ValueKind::Bool)) ||
                  ((node.is_integer() || node.is_floating_point()) &&
                   (kinds.count(ValueKind::Int) || kinds.count(ValueKind::Number))) ||
                  (node.is_string() && kinds.count(ValueKind::String));
  if (!ok) {
    std::vector<std::string> expected;
    for (auto k : kinds) expected.emplace_back(kind_name(k));
    FUFI_THROW(UsageError, "{}: key '{}': expected {}, got {} ({})", where(node), key, join(expected, " or "),
               node.is_boolean() ? "a boolean" : node.is_string() ? "a string" : "a number", scalar_text(node));
  }
  SweepValue v{scalar_text(node), where(node)};
  if (key == "loss") check_name(v, "loss", known_keys().losses);
  return v;
}

void Parser::check_setting_key(const std::string& key, const toml::source_region& at, const std::string& section) const {
  FUFI_CHECK(key != "model" && key != "task", UsageError, "{}: '{}' in {}: models and tasks are axes (put it in [axes])",
             where(at), key, section);
  FUFI_CHECK(key != "seed", UsageError, "{}: 'seed' in {}: seeds are set by the top-level `seeds` (a count or a list)",
             where(at), section);
  if (!known_keys().kinds.count(key)) {
    FUFI_THROW(UsageError, "{}: unknown key '{}' in {}{} (the keys are those of `fufi models NAME`, the training keys "
               "and the loss_* keys){}", where(at), key, section, did_you_mean(key, known_keys().names),
               top_level_hint(key, section));
  }
}

void Parser::check_name(const SweepValue& v, const std::string& what, const std::vector<std::string>& valid) const {
  if (std::find(valid.begin(), valid.end(), v.text) == valid.end())
    FUFI_THROW(UsageError, "{}: unknown {} '{}'{}; valid: {}", v.where, what, v.text, did_you_mean(v.text, valid),
               join(valid, ", "));
}

// A model name: registered, or a family member such as torchscript:PATH, whose relative PATH is taken from the
// sweep file's directory (and recorded absolute).
void Parser::check_model(SweepValue& v) const {
  v.text = model::with_absolute_model_path(v.text, fs::path(path_).parent_path().string());
  if (!model::ModelRegistry::instance().contains(v.text)) check_name(v, "model", known_keys().models);
}

// A table of settings (training defaults, a model's or a variant's overrides).
SweepSettings Parser::settings_table(const toml::node& node, const std::string& section) const {
  SweepSettings out;
  for (auto&& [key, value] : table_at(node, section)) out[std::string(key.str())] = setting(std::string(key.str()), value, section);
  return out;
}

// One value or an array of values, each a scalar.
std::vector<SweepValue> Parser::values_of(const toml::node& node, const std::string& what) const {
  std::vector<SweepValue> out;
  auto one = [&](const toml::node& n) {
    FUFI_CHECK(is_scalar(n), UsageError, "{}: {}: expected a single value or an array of values", where(n), what);
    out.push_back({scalar_text(n), where(n)});
  };
  if (const auto* a = node.as_array()) {
    FUFI_CHECK(!a->empty(), UsageError, "{}: {}: an empty array gives no jobs", where(node), what);
    for (const auto& n : *a) one(n);
  } else {
    one(node);
  }
  return out;
}

void Parser::parse_seeds(const toml::node& value) {
  auto& seeds = spec_.seeds;
  seeds.clear();
  if (const auto* count = value.as_integer()) {
    FUFI_CHECK(count->get() >= 1 && count->get() <= 1000000, UsageError,
               "{}: seeds = {}: a count must be in [1, 1000000] (or give a list of seeds)", where(value), count->get());
    for (std::int64_t s = 1; s <= count->get(); ++s) seeds.push_back(static_cast<std::uint64_t>(s));
  } else if (const auto* list = value.as_array()) {
    FUFI_CHECK(!list->empty(), UsageError, "{}: seeds = []: give at least one seed", where(value));
    std::set<std::uint64_t> seen;
    for (const auto& s : *list) {
      const auto v = int_of(s, "each seed");
      FUFI_CHECK(v >= 0, UsageError, "{}: seed {} is negative", where(s), v);
      FUFI_CHECK(seen.insert(static_cast<std::uint64_t>(v)).second, UsageError, "{}: seed {} is listed twice", where(s), v);
      seeds.push_back(static_cast<std::uint64_t>(v));
    }
  } else {
    FUFI_THROW(UsageError, "{}: seeds must be a count (5) or a list of seeds ([1, 2, 3])", where(value));
  }
}

void Parser::parse_variants(const toml::node& value) {
  spec_.variants_where = where(value);
  for (auto&& [name, overrides] : table_at(value, "[variants]")) {
    FUFI_CHECK(!name.str().empty(), UsageError, "{}: a variant needs a name", where(name));
    spec_.variants.emplace_back(std::string(name.str()), settings_table(overrides, fmt::format("[variants.{}]", name.str())));
  }
  FUFI_CHECK(!spec_.variants.empty(), UsageError, "{}: [variants] is empty; remove it or name at least one variant",
             where(value));
}

void Parser::parse_top_level(const toml::table& root) {
  Sweep& sweep = spec_.sweep;
  for (auto&& [key, value] : root) {
    const std::string k(key.str());
    if (k == "name") {
      sweep.name = string_of(value, "name");
      FUFI_CHECK(!sweep.name.empty(), UsageError, "{}: name is empty", where(value));
    } else if (k == "description") {
      sweep.description = string_of(value, "description");
    } else if (k == "max_attempts") {
      const auto n = int_of(value, "max_attempts");
      FUFI_CHECK(n >= 1 && n <= 100, UsageError, "{}: max_attempts must be in [1, 100], got {}", where(value), n);
      sweep.max_attempts = static_cast<int>(n);
    } else if (k == "seeds") {
      parse_seeds(value);
    } else if (k == "data") {
      data_node_ = &value;
    } else if (k == "training") {
      spec_.training = settings_table(value, "[training]");
    } else if (k == "axes") {
      axes_node_ = &value;
    } else if (k == "models") {
      models_node_ = &value;
    } else if (k == "variants") {
      parse_variants(value);
    } else if (k == "include") {
      parse_filters(value, "include", spec_.include);
    } else if (k == "exclude") {
      parse_filters(value, "exclude", spec_.exclude);
    } else {
      unknown_key(key, "the sweep file", top_level_keys());
    }
  }
}

void Parser::parse_data_key(const std::string& k, const toml::node& value, bool& have_root) {
  SweepData& d = spec_.sweep.data;
  if (k == "synthetic") {
    d.synthetic = true;
    d.synth.preset = string_of(value, "data.synthetic (a preset: small or paper)");
    FUFI_CHECK(d.synth.preset == "small" || d.synth.preset == "paper", UsageError,
               "{}: data.synthetic: unknown preset '{}'{} (small, paper)", where(value), d.synth.preset,
               did_you_mean(d.synth.preset, {"small", "paper"}));
  } else if (k == "root") {
    have_root = true;
    d.root = string_of(value, "data.root (a TaxiBJ-layout directory)");
    d.root_where = where(value);
    FUFI_CHECK(!d.root.empty(), UsageError, "{}: data.root is empty", where(value));
  } else {
    const auto v = int_of(value, "data." + k);
    FUFI_CHECK(v >= 0, UsageError, "{}: data.{} must be >= 0, got {}", where(value), k, v);
    if (k == "seed") d.synth.seed = static_cast<std::uint64_t>(v);
    if (k == "coarse_size") d.synth.coarse_size = v;
    if (k == "upscale") d.synth.upscale = v;
    if (k == "samples_per_task") d.synth.samples_per_task = v;
    synthetic_only_key_ = k;
    synthetic_only_at_ = value.source();
  }
}

void Parser::parse_data(const toml::node& node) {
  static const std::vector<std::string> valid{"synthetic", "root", "seed", "coarse_size", "upscale", "samples_per_task"};
  SweepData& d = spec_.sweep.data;
  bool have_root = false;
  for (auto&& [key, value] : table_at(node, "[data]")) {
    const std::string k(key.str());
    if (std::find(valid.begin(), valid.end(), k) == valid.end()) unknown_key(key, "[data]", valid);
    parse_data_key(k, value, have_root);
  }
  FUFI_CHECK(d.synthetic != have_root, UsageError, "{}: [data] needs exactly one of `synthetic = \"small\"|\"paper\"` or `root = DIR`",
             where(node));
  if (!d.synthetic) {
    FUFI_CHECK(synthetic_only_key_.empty(), UsageError, "{}: data.{} applies to synthetic data only",
               where(synthetic_only_at_), synthetic_only_key_);
    // --data-root is a command-line path: relative to the working directory. A relative data.root is the
    // file's: relative to the sweep file's directory, so that the working directory never changes the
    // sweep's data identity (issue #20: a rerun from elsewhere abandoned the interrupted job).
    if (!overrides_.data_root.empty()) {
      d.root = overrides_.data_root;
      d.root_where = "--data-root";
    } else if (fs::path(d.root).is_relative()) {
      d.root = (fs::absolute(fs::path(path_)).parent_path() / d.root).string();
    }
    d.root = fs::absolute(fs::path(d.root)).lexically_normal().string();
    while (d.root.size() > 1 && d.root.back() == '/') d.root.pop_back();
  } else {
    FUFI_CHECK(overrides_.data_root.empty(), UsageError, "--data-root: sweep '{}' uses synthetic data (data.synthetic)",
               spec_.sweep.name);
    d.synth.tasks = {"P1", "P2", "P3", "P4"};
    try {
      d.synth = data::resolve_synth_options(d.synth);
    } catch (const Error& e) {
      FUFI_THROW(UsageError, "{}: [data]: {}", where(node), e.message());
    }
  }
}

void Parser::parse_axes(const toml::node& node) {
  for (auto&& [key, value] : table_at(node, "[axes]")) {
    const std::string k(key.str());
    if (k == "model") {
      spec_.models = values_of(value, "axes.model");
      for (auto& m : spec_.models) check_model(m);
    } else if (k == "task") {
      spec_.tasks = values_of(value, "axes.task");
    } else {
      check_setting_key(k, key.source(), "[axes]");
      std::vector<SweepValue> values;
      if (const auto* a = value.as_array()) {
        FUFI_CHECK(!a->empty(), UsageError, "{}: axes.{}: an empty array gives no jobs", where(value), k);
        for (const auto& n : *a) values.push_back(setting(k, n, "[axes]"));
      } else {
        values.push_back(setting(k, value, "[axes]"));
      }
      spec_.axes.emplace_back(k, std::move(values));
    }
  }
  FUFI_CHECK(!spec_.models.empty(), UsageError, "{}: [axes] needs `model = [...]` (registered models: {})", where(node),
             join(known_keys().models, ", "));
}

void Parser::parse_models(const toml::node& node) {
  for (auto&& [name, overrides] : table_at(node, "[models]")) {
    SweepValue model_name{std::string(name.str()), where(name)};
    check_model(model_name);
    const std::string& m = model_name.text;
    const bool in_axis = std::any_of(spec_.models.begin(), spec_.models.end(), [&](const SweepValue& v) { return v.text == m; });
    FUFI_CHECK(in_axis, UsageError, "{}: [models.{}]: '{}' is not in axes.model", where(name), m, m);
    spec_.per_model[m] = settings_table(overrides, "[models." + m + "]");
  }
}

// Tasks: given, or every task the data has.
void Parser::resolve_tasks(const toml::node& axes_node) {
  const SweepData& data = spec_.sweep.data;
  std::vector<std::string> available;
  if (data.synthetic) {
    for (const auto& t : data::synth_tasks()) available.push_back(t.name);
  } else if (fs::is_directory(data.root)) {
    available = data::list_tasks(data.root);
    if (available.empty() && fs::exists(fs::path(data.root) / "train")) available = {""};
  }
  if (spec_.tasks.empty()) {
    FUFI_CHECK(!available.empty(), UsageError,
               "{}: axes.task is not given and data.root '{}' has no tasks (yet); list them: task = [\"P1\", ...]",
               where(axes_node), data.root);
    for (const auto& t : available) spec_.tasks.push_back({t, where(axes_node)});
  } else if (!available.empty()) {
    for (const auto& t : spec_.tasks) check_name(t, "task", available);
  }
}

void Parser::check_filter_variants() const {
  std::vector<std::string> names;
  for (const auto& p : spec_.variants) names.push_back(p.first);
  for (const auto* filters : {&spec_.include, &spec_.exclude})
    for (const auto& v : *filters)
      if (v.count("variant"))
        for (const auto& name : v.at("variant"))
          if (std::find(names.begin(), names.end(), name.text) == names.end())
            FUFI_THROW(UsageError, "{}: unknown variant '{}'{}; variants: {}", name.where, name.text,
                       did_you_mean(name.text, names), names.empty() ? "none ([variants] is not given)" : join(names, ", "));
}

// --set: above everything in the file.
void Parser::parse_sets() {
  const Config set_overrides = Config::from_assignments(overrides_.sets, "--set");
  for (const auto& [k, v] : set_overrides.items()) {
    FUFI_CHECK(k != "model" && k != "task" && k != "seed", UsageError, "--set {}: models, tasks and seeds come from the sweep file", k);
    FUFI_CHECK(known_keys().kinds.count(k), UsageError, "--set: unknown key '{}'{}", k, did_you_mean(k, known_keys().names));
    spec_.sets[k] = SweepValue{canonical_value(k, v, "--set"), "--set"};
    if (k == "loss") check_name(spec_.sets[k], "loss", known_keys().losses);
  }
}

void Parser::parse_filters(const toml::node& node, const std::string& section, std::vector<SweepFilter>& out) {
  const auto* array = node.as_array();
  FUFI_CHECK(array && array->is_array_of_tables(), UsageError, "{}: {} must be an array of tables ([[{}]])", where(node),
             section, section);
  for (const auto& element : *array) {
    SweepFilter filter;
    for (auto&& [key, value] : *element.as_table()) {
      const std::string k(key.str());
      if (k != "model" && k != "task" && k != "variant" && k != "seed") check_setting_key(k, key.source(), "[[" + section + "]]");
      auto values = values_of(value, section + "." + k);
      for (auto& v : values) {
        if (k == "model") check_model(v);
        else v.text = normalise_value(v.text);
      }
      filter[k] = std::move(values);
    }
    FUFI_CHECK(!filter.empty(), UsageError, "{}: an empty [[{}]] matches every job", where(element), section);
    out.push_back(std::move(filter));
  }
}

SweepSpec Parser::parse(const std::string& text) {
  Sweep& sweep = spec_.sweep;
  sweep.file = path_;
  sweep.file_text = text;
  sweep.file_sha256 = sha256_hex(text);
  sweep.name = fs::path(path_).stem().string();
  toml::table root;
  try {
    root = toml::parse(text, path_);
  } catch (const toml::parse_error& e) {
    FUFI_THROW(UsageError, "{}:{}:{}: TOML syntax error: {}", path_, e.source().begin.line, e.source().begin.column,
               e.description());
  }
  spec_.seeds = {1, 2, 3, 4, 5};  // the paper averages five runs
  parse_top_level(root);
  FUFI_CHECK(data_node_, UsageError, "{}: the sweep needs a [data] table (synthetic = \"small\", or root = DIR)", path_);
  parse_data(*data_node_);
  FUFI_CHECK(axes_node_, UsageError, "{}: the sweep needs an [axes] table with at least `model = [...]`", path_);
  parse_axes(*axes_node_);
  if (models_node_) parse_models(*models_node_);
  resolve_tasks(*axes_node_);
  check_filter_variants();
  parse_sets();
  return std::move(spec_);
}

}  // namespace

SweepSpec parse_sweep_spec(const std::string& text, const std::string& path, const SweepOverrides& overrides) {
  return Parser(path, overrides).parse(text);
}

}  // namespace fufi::orchestrator
