#include "fufi/orchestrator/sweep.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/data/dataset.h"
#include "fufi/data/npy.h"
#include "fufi/model/losses.h"
#include "fufi/model/registry.h"
#include "fufi/model/torchscript.h"
#include "fufi/worker/train_config.h"

namespace fs = std::filesystem;

namespace fufi::orchestrator {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  FUFI_CHECK(EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) == 1, RuntimeError,
             "OpenSSL EVP_Digest(SHA-256) failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::string normalise_value(const std::string& value) {
  double number = 0;
  return parse_double(value, number) ? canonical_number(number) : value;
}

std::string job_identity_text(const std::string& data_identity, const std::string& task, const Config& resolved,
                              bool with_seed) {
  // Versioned, line-oriented and sorted (Config is an ordered map): the same job always gives the same text.
  // Execution-only keys (threads, device, grad_overlap, ...) say how a job runs, not what it computes: they
  // stay out of the id, so rerunning a sweep with another device or bucket size resumes it instead of
  // starting every job again (the checkpoint's resume check ignores the same keys; provenance records them).
  std::string text = "fufi-job-v2\ndata=" + data_identity + "\ntask=" + task + "\n";
  for (const auto& [key, value] : resolved.items()) {
    if (!with_seed && key == "seed") continue;
    if (worker::is_execution_only_key(key)) continue;
    text += key + "=" + value + "\n";
  }
  return text;
}

std::string SweepData::identity() const {
  if (!synthetic) return "root:" + root;
  return fmt::format("synthetic:preset={},seed={},coarse_size={},upscale={},samples_per_task={},generator={}",
                     synth.preset, synth.seed, synth.coarse_size, synth.upscale, synth.samples_per_task,
                     data::kSynthGeneratorVersion);
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

namespace {

enum class Kind { Bool, Int, Number, String };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Bool: return "true or false";
    case Kind::Int: return "an integer";
    case Kind::Number: return "a number";
    case Kind::String: return "a string";
  }
  return "";
}

Kind kind_of_default(const std::string& value) {
  std::int64_t i = 0;
  double d = 0;
  if (value == "true" || value == "false") return Kind::Bool;
  if (parse_int(value, i)) return Kind::Int;
  if (parse_double(value, d)) return Kind::Number;
  return Kind::String;
}

// Every key a job may set, with the value kinds its defaults have (a key several models share may have
// more than one).
struct KnownKeys {
  std::map<std::string, std::set<Kind>> kinds;
  std::vector<std::string> names;
  std::vector<std::string> models;
  std::vector<std::string> losses;

  KnownKeys() {
    auto add = [&](const std::string& key, const std::string& default_value) { kinds[key].insert(kind_of_default(default_value)); };
    for (const auto& s : worker::train_param_specs()) add(s.key, s.default_value);
    kinds["recipe"] = {Kind::String};
    for (const auto& loss : model::loss_infos()) {
      losses.push_back(loss.name);
      for (const auto& p : loss.params) add(p.key, p.default_value);
    }
    losses.push_back("model");
    const auto& registry = model::ModelRegistry::instance();
    models = registry.names();
    for (const auto& name : models)
      for (const auto& p : registry.get(name).params) add(p.key, p.default_value);
    for (const auto& family : registry.families())
      for (const auto& p : family.params) add(p.key, p.default_value);
    for (const auto& [k, v] : kinds) names.push_back(k);
  }
};

const KnownKeys& known_keys() {
  static const KnownKeys keys;
  return keys;
}

// A value from the sweep file with the place it came from.
struct Value {
  std::string text;
  std::string where;  // "file:line"
};

class Parser {
 public:
  Parser(std::string path, const SweepOverrides& overrides) : path_(std::move(path)), overrides_(overrides) {}

  Sweep parse(const std::string& text);

 private:
  std::string where(const toml::source_region& r) const { return fmt::format("{}:{}", path_, r.begin.line); }
  std::string where(const toml::node& n) const { return where(n.source()); }
  std::string where(const toml::key& k) const { return where(k.source()); }

  [[noreturn]] void unknown_key(const toml::key& key, const std::string& section, const std::vector<std::string>& valid) const {
    FUFI_THROW(UsageError, "{}: unknown key '{}' in {}{}; valid keys: {}{}", where(key), key.str(), section,
               did_you_mean(key.str(), valid), join(valid, ", "), top_level_hint(std::string(key.str()), section));
  }

  // TOML puts every key after a [table] header into that table: a top-level key written too late lands there.
  static std::string top_level_hint(const std::string& key, const std::string& section) {
    const auto& keys = top_level_keys();
    if (section == "the sweep file" || std::find(keys.begin(), keys.end(), key) == keys.end()) return "";
    return fmt::format(" ('{}' is a top-level key: write it above the first [table])", key);
  }

  static const std::vector<std::string>& top_level_keys() {
    static const std::vector<std::string> keys{"name",     "description", "seeds",   "max_attempts", "data",   "training",
                                               "axes",     "variants",    "models",  "include",      "exclude"};
    return keys;
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

  // A scalar as the text the engine parses; numbers normalised.
  static std::string scalar_text(const toml::node& node) {
    if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
    if (const auto* i = node.as_integer()) return std::to_string(i->get());
    if (const auto* f = node.as_floating_point()) return canonical_number(f->get());
    if (const auto* s = node.as_string()) return s->get();
    return {};
  }

  // A setting (a training, loss or model key): known key, single value of the right kind.
  Value setting(const std::string& key, const toml::node& node, const std::string& section) const {
    check_setting_key(key, node.source(), section);
    FUFI_CHECK(!node.is_table() && !node.is_array() && (node.is_boolean() || node.is_integer() ||
                                                        node.is_floating_point() || node.is_string()),
               UsageError, "{}: key '{}' in {}: expected a single value, got {}", where(node), key, section,
               node.is_table() ? "a table" : node.is_array() ? "an array" : "a date or time");
    const auto& kinds = known_keys().kinds.at(key);
    const bool ok = (node.is_boolean() && kinds.count(Kind::Bool)) ||
                    ((node.is_integer() || node.is_floating_point()) && (kinds.count(Kind::Int) || kinds.count(Kind::Number))) ||
                    (node.is_string() && kinds.count(Kind::String));
    if (!ok) {
      std::vector<std::string> expected;
      for (auto k : kinds) expected.emplace_back(kind_name(k));
      FUFI_THROW(UsageError, "{}: key '{}': expected {}, got {} ({})", where(node), key, join(expected, " or "),
                 node.is_boolean() ? "a boolean" : node.is_string() ? "a string" : "a number", scalar_text(node));
    }
    Value v{scalar_text(node), where(node)};
    if (key == "loss") check_name(v, "loss", known_keys().losses);
    return v;
  }

  void check_setting_key(const std::string& key, const toml::source_region& at, const std::string& section) const {
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

  // A model name: registered, or a family member such as torchscript:PATH, whose relative PATH is taken from
  // the sweep file's directory (and recorded absolute).
  void check_model(Value& v) const {
    v.text = model::with_absolute_model_path(v.text, fs::path(path_).parent_path().string());
    if (!model::ModelRegistry::instance().contains(v.text)) check_name(v, "model", known_keys().models);
  }

  void check_name(const Value& v, const std::string& what, const std::vector<std::string>& valid) const {
    if (std::find(valid.begin(), valid.end(), v.text) == valid.end())
      FUFI_THROW(UsageError, "{}: unknown {} '{}'{}; valid: {}", v.where, what, v.text, did_you_mean(v.text, valid),
                 join(valid, ", "));
  }

  // A table of settings (training defaults, a model's or a variant's overrides).
  std::map<std::string, Value> settings_table(const toml::node& node, const std::string& section) const {
    std::map<std::string, Value> out;
    for (auto&& [key, value] : table_at(node, section)) out[std::string(key.str())] = setting(std::string(key.str()), value, section);
    return out;
  }

  // One value or an array of values, each a scalar.
  std::vector<Value> values_of(const toml::node& node, const std::string& what) const {
    std::vector<Value> out;
    auto one = [&](const toml::node& n) {
      FUFI_CHECK(n.is_boolean() || n.is_integer() || n.is_floating_point() || n.is_string(), UsageError,
                 "{}: {}: expected a single value or an array of values", where(n), what);
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

  void parse_data(const toml::node& node, Sweep& sweep);
  void parse_filters(const toml::node& node, const std::string& section, std::vector<std::map<std::string, std::vector<Value>>>& out);

  std::string path_;
  SweepOverrides overrides_;
  // Axes other than model and task, in file order of their keys (sorted: toml++ tables are ordered maps).
  std::vector<std::pair<std::string, std::vector<Value>>> axes_;
  std::vector<Value> models_, tasks_;
  std::vector<std::uint64_t> seeds_;
  std::map<std::string, Value> training_;
  std::map<std::string, std::map<std::string, Value>> per_model_;
  std::vector<std::pair<std::string, std::map<std::string, Value>>> variants_;
  std::vector<std::map<std::string, std::vector<Value>>> include_, exclude_;
  std::string variants_where_;
};

void Parser::parse_data(const toml::node& node, Sweep& sweep) {
  const auto& t = table_at(node, "[data]");
  static const std::vector<std::string> valid{"synthetic", "root", "seed", "coarse_size", "upscale", "samples_per_task"};
  SweepData& d = sweep.data;
  bool have_root = false;
  std::string synthetic_only_key;
  toml::source_region synthetic_only_at;
  for (auto&& [key, value] : t) {
    const std::string k(key.str());
    if (k == "synthetic") {
      d.synthetic = true;
      d.synth.preset = string_of(value, "data.synthetic (a preset: small or paper)");
      FUFI_CHECK(d.synth.preset == "small" || d.synth.preset == "paper", UsageError,
                 "{}: data.synthetic: unknown preset '{}'{} (small, paper)", where(value), d.synth.preset,
                 did_you_mean(d.synth.preset, {"small", "paper"}));
    } else if (k == "root") {
      have_root = true;
      d.root = string_of(value, "data.root (a TaxiBJ-layout directory)");
      FUFI_CHECK(!d.root.empty(), UsageError, "{}: data.root is empty", where(value));
    } else if (k == "seed" || k == "coarse_size" || k == "upscale" || k == "samples_per_task") {
      const auto v = int_of(value, "data." + k);
      FUFI_CHECK(v >= 0, UsageError, "{}: data.{} must be >= 0, got {}", where(value), k, v);
      if (k == "seed") d.synth.seed = static_cast<std::uint64_t>(v);
      if (k == "coarse_size") d.synth.coarse_size = v;
      if (k == "upscale") d.synth.upscale = v;
      if (k == "samples_per_task") d.synth.samples_per_task = v;
      synthetic_only_key = k;
      synthetic_only_at = value.source();
    } else {
      unknown_key(key, "[data]", valid);
    }
  }
  FUFI_CHECK(d.synthetic != have_root, UsageError, "{}: [data] needs exactly one of `synthetic = \"small\"|\"paper\"` or `root = DIR`",
             where(node));
  if (!d.synthetic) {
    FUFI_CHECK(synthetic_only_key.empty(), UsageError, "{}: data.{} applies to synthetic data only", where(synthetic_only_at),
               synthetic_only_key);
    if (!overrides_.data_root.empty()) d.root = overrides_.data_root;
    d.root = fs::absolute(fs::path(d.root)).lexically_normal().string();
    while (d.root.size() > 1 && d.root.back() == '/') d.root.pop_back();
  } else {
    FUFI_CHECK(overrides_.data_root.empty(), UsageError, "--data-root: sweep '{}' uses synthetic data (data.synthetic)",
               sweep.name);
    d.synth.tasks = {"P1", "P2", "P3", "P4"};
    try {
      d.synth = data::resolve_synth_options(d.synth);
    } catch (const Error& e) {
      FUFI_THROW(UsageError, "{}: [data]: {}", where(node), e.message());
    }
  }
}

void Parser::parse_filters(const toml::node& node, const std::string& section,
                           std::vector<std::map<std::string, std::vector<Value>>>& out) {
  const auto* array = node.as_array();
  FUFI_CHECK(array && array->is_array_of_tables(), UsageError, "{}: {} must be an array of tables ([[{}]])", where(node),
             section, section);
  for (const auto& element : *array) {
    std::map<std::string, std::vector<Value>> filter;
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

Sweep Parser::parse(const std::string& text) {
  Sweep sweep;
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

  const std::vector<std::string>& valid = top_level_keys();
  const toml::node* data_node = nullptr;
  const toml::node* axes_node = nullptr;
  const toml::node* models_node = nullptr;
  seeds_ = {1, 2, 3, 4, 5};  // the paper averages five runs
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
      seeds_.clear();
      if (const auto* count = value.as_integer()) {
        FUFI_CHECK(count->get() >= 1 && count->get() <= 1000000, UsageError,
                   "{}: seeds = {}: a count must be in [1, 1000000] (or give a list of seeds)", where(value), count->get());
        for (std::int64_t s = 1; s <= count->get(); ++s) seeds_.push_back(static_cast<std::uint64_t>(s));
      } else if (const auto* list = value.as_array()) {
        FUFI_CHECK(!list->empty(), UsageError, "{}: seeds = []: give at least one seed", where(value));
        std::set<std::uint64_t> seen;
        for (const auto& s : *list) {
          const auto v = int_of(s, "each seed");
          FUFI_CHECK(v >= 0, UsageError, "{}: seed {} is negative", where(s), v);
          FUFI_CHECK(seen.insert(static_cast<std::uint64_t>(v)).second, UsageError, "{}: seed {} is listed twice", where(s), v);
          seeds_.push_back(static_cast<std::uint64_t>(v));
        }
      } else {
        FUFI_THROW(UsageError, "{}: seeds must be a count (5) or a list of seeds ([1, 2, 3])", where(value));
      }
    } else if (k == "data") {
      data_node = &value;
    } else if (k == "training") {
      training_ = settings_table(value, "[training]");
    } else if (k == "axes") {
      axes_node = &value;
    } else if (k == "models") {
      models_node = &value;
    } else if (k == "variants") {
      variants_where_ = where(value);
      for (auto&& [name, overrides] : table_at(value, "[variants]")) {
        FUFI_CHECK(!name.str().empty(), UsageError, "{}: a variant needs a name", where(name));
        variants_.emplace_back(std::string(name.str()),
                               settings_table(overrides, fmt::format("[variants.{}]", name.str())));
      }
      FUFI_CHECK(!variants_.empty(), UsageError, "{}: [variants] is empty; remove it or name at least one variant",
                 where(value));
    } else if (k == "include") {
      parse_filters(value, "include", include_);
    } else if (k == "exclude") {
      parse_filters(value, "exclude", exclude_);
    } else {
      unknown_key(key, "the sweep file", valid);
    }
  }

  FUFI_CHECK(data_node, UsageError, "{}: the sweep needs a [data] table (synthetic = \"small\", or root = DIR)", path_);
  parse_data(*data_node, sweep);

  FUFI_CHECK(axes_node, UsageError, "{}: the sweep needs an [axes] table with at least `model = [...]`", path_);
  for (auto&& [key, value] : table_at(*axes_node, "[axes]")) {
    const std::string k(key.str());
    if (k == "model") {
      models_ = values_of(value, "axes.model");
      for (auto& m : models_) check_model(m);
    } else if (k == "task") {
      tasks_ = values_of(value, "axes.task");
    } else {
      check_setting_key(k, key.source(), "[axes]");
      std::vector<Value> values;
      if (const auto* a = value.as_array()) {
        FUFI_CHECK(!a->empty(), UsageError, "{}: axes.{}: an empty array gives no jobs", where(value), k);
        for (const auto& n : *a) values.push_back(setting(k, n, "[axes]"));
      } else {
        values.push_back(setting(k, value, "[axes]"));
      }
      axes_.emplace_back(k, std::move(values));
    }
  }
  FUFI_CHECK(!models_.empty(), UsageError, "{}: [axes] needs `model = [...]` (registered models: {})", where(*axes_node),
             join(known_keys().models, ", "));

  if (models_node) {
    for (auto&& [name, overrides] : table_at(*models_node, "[models]")) {
      Value model_name{std::string(name.str()), where(name)};
      check_model(model_name);
      const std::string& m = model_name.text;
      const bool in_axis = std::any_of(models_.begin(), models_.end(), [&](const Value& v) { return v.text == m; });
      FUFI_CHECK(in_axis, UsageError, "{}: [models.{}]: '{}' is not in axes.model", where(name), m, m);
      per_model_[m] = settings_table(overrides, "[models." + m + "]");
    }
  }

  // Tasks: given, or every task the data has.
  std::vector<std::string> available;
  if (sweep.data.synthetic) {
    for (const auto& t : data::synth_tasks()) available.push_back(t.name);
  } else if (fs::is_directory(sweep.data.root)) {
    available = data::list_tasks(sweep.data.root);
    if (available.empty() && fs::exists(fs::path(sweep.data.root) / "train")) available = {""};
  }
  if (tasks_.empty()) {
    FUFI_CHECK(!available.empty(), UsageError,
               "{}: axes.task is not given and data.root '{}' has no tasks (yet); list them: task = [\"P1\", ...]",
               where(*axes_node), sweep.data.root);
    for (const auto& t : available) tasks_.push_back({t, where(*axes_node)});
  } else if (!available.empty()) {
    for (const auto& t : tasks_) check_name(t, "task", available);
  }

  for (const auto* filters : {&include_, &exclude_})
    for (const auto& v : *filters)
      if (v.count("variant"))
        for (const auto& name : v.at("variant")) {
          std::vector<std::string> names;
          for (const auto& p : variants_) names.push_back(p.first);
          if (std::find(names.begin(), names.end(), name.text) == names.end())
            FUFI_THROW(UsageError, "{}: unknown variant '{}'{}; variants: {}", name.where, name.text,
                       did_you_mean(name.text, names), names.empty() ? "none ([variants] is not given)" : join(names, ", "));
        }

  // --set: above everything in the file.
  Config set_overrides = Config::from_assignments(overrides_.sets, "--set");
  std::map<std::string, Value> sets;
  for (const auto& [k, v] : set_overrides.items()) {
    FUFI_CHECK(k != "model" && k != "task" && k != "seed", UsageError, "--set {}: models, tasks and seeds come from the sweep file", k);
    FUFI_CHECK(known_keys().kinds.count(k), UsageError, "--set: unknown key '{}'{}", k, did_you_mean(k, known_keys().names));
    sets[k] = Value{normalise_value(v), "--set"};
    if (k == "loss") check_name(sets[k], "loss", known_keys().losses);
  }

  // The grid: model x task x variant x other axes x seed.
  std::vector<std::pair<std::string, std::map<std::string, Value>>> variants = variants_;
  if (variants.empty()) variants.emplace_back("", std::map<std::string, Value>{});
  std::vector<std::size_t> axis_index(axes_.size(), 0);
  std::vector<std::size_t> include_hits(include_.size(), 0), exclude_hits(exclude_.size(), 0);
  std::map<std::string, std::string> id_origin;
  const std::string data_identity = sweep.data.identity();
  std::map<std::string, std::int64_t> samples_by_task;

  auto effective = [&](const std::string& model, const Config& settings, const std::string& key) -> std::string {
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
  };
  auto matches = [&](const std::map<std::string, std::vector<Value>>& filter, const std::string& model,
                     const std::string& task, const std::string& variant, std::uint64_t seed, const Config& settings) {
    for (const auto& [key, values] : filter) {
      std::string actual;
      if (key == "model") actual = model;
      else if (key == "task") actual = task;
      else if (key == "variant") actual = variant;
      else if (key == "seed") actual = std::to_string(seed);
      else actual = effective(model, settings, key);
      if (std::none_of(values.begin(), values.end(), [&](const Value& v) { return v.text == actual; })) return false;
    }
    return true;
  };

  for (const auto& model_value : models_) {
    const std::string& model = model_value.text;
    for (const auto& task_value : tasks_) {
      const std::string& task = task_value.text;
      for (const auto& [variant, variant_settings] : variants) {
        std::fill(axis_index.begin(), axis_index.end(), 0);
        while (true) {
          for (std::uint64_t seed : seeds_) {
            Config settings;
            auto apply = [&](const std::map<std::string, Value>& values) {
              for (const auto& [k, v] : values) settings.set(k, v.text, v.where);
            };
            apply(training_);
            if (per_model_.count(model)) apply(per_model_.at(model));
            for (std::size_t a = 0; a < axes_.size(); ++a) {
              const Value& v = axes_[a].second[axis_index[a]];
              settings.set(axes_[a].first, v.text, v.where);
            }
            apply(variant_settings);
            apply(sets);

            bool keep = include_.empty();
            for (std::size_t i = 0; i < include_.size(); ++i)
              if (matches(include_[i], model, task, variant, seed, settings)) {
                keep = true;
                ++include_hits[i];
              }
            for (std::size_t i = 0; i < exclude_.size() && keep; ++i)
              if (matches(exclude_[i], model, task, variant, seed, settings)) {
                keep = false;
                ++exclude_hits[i];
              }
            if (!keep) continue;

            SweepJob job;
            job.model = model;
            job.task = task;
            job.variant = variant;
            job.seed = seed;
            job.settings = settings;
            worker::JobSettings resolved;
            try {
              resolved = worker::resolve_job_settings(model, settings, seed);
            } catch (const Error& e) {
              // Most engine messages name the key; point at the line that set it when they do not.
              std::string message = e.message();
              static const std::regex key_in_message("key '([^']+)'");
              std::smatch m;
              if (message.find(path_) == std::string::npos && std::regex_search(message, m, key_in_message) &&
                  !settings.source_of(m[1]).empty())
                message = settings.source_of(m[1]) + ": " + message;
              if (message.find(path_) == std::string::npos) message = model_value.where + ": " + message;
              FUFI_THROW(UsageError, "{} (job model={} task={}{} seed={})", message, model, task,
                         variant.empty() ? "" : " variant=" + variant, seed);
            }
            for (const auto& [k, v] : resolved.resolved.items()) job.resolved.set(k, normalise_value(v));
            job.id = sha256_hex(job_identity_text(data_identity, task, job.resolved, true));
            job.group_id = sha256_hex(job_identity_text(data_identity, task, job.resolved, false));

            const std::string origin = fmt::format("model={} task={}{} seed={}", model, task,
                                                   variant.empty() ? "" : " variant=" + variant, seed);
            auto [it, fresh] = id_origin.emplace(job.id, origin);
            FUFI_CHECK(fresh, UsageError,
                       "{}: two grid points are the same job ({} and {}): a variant or axis value changes nothing",
                       variants_where_.empty() ? path_ : variants_where_, it->second, origin);

            if (!samples_by_task.count(task)) samples_by_task[task] = train_samples(sweep.data, task);
            const auto epochs = resolved.train.epochs;
            job.work = static_cast<double>(std::max<std::int64_t>(1, epochs)) * static_cast<double>(samples_by_task[task]);
            sweep.jobs.push_back(std::move(job));
          }
          // Next combination of the other axes (odometer order, the last axis fastest).
          bool more = false;
          for (std::size_t a = axes_.size(); a-- > 0;) {
            if (++axis_index[a] < axes_[a].second.size()) {
              more = true;
              break;
            }
            axis_index[a] = 0;
          }
          if (!more) break;
        }
      }
    }
  }

  for (std::size_t i = 0; i < exclude_.size(); ++i)
    if (exclude_hits[i] == 0) sweep.warnings.push_back(fmt::format("[[exclude]] #{} matches no job", i + 1));
  for (std::size_t i = 0; i < include_.size(); ++i)
    if (include_hits[i] == 0) sweep.warnings.push_back(fmt::format("[[include]] #{} matches no job", i + 1));
  FUFI_CHECK(!sweep.jobs.empty(), UsageError, "{}: the sweep has no jobs (the filters exclude every grid point)", path_);
  return sweep;
}

}  // namespace

Sweep parse_sweep(const std::string& text, const std::string& path, const SweepOverrides& overrides) {
  return Parser(path, overrides).parse(text);
}

Sweep load_sweep(const std::string& path, const SweepOverrides& overrides) {
  std::ifstream in(path, std::ios::binary);
  FUFI_CHECK(in, InputError, "{}: cannot read the sweep file", path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_sweep(text.str(), path, overrides);
}

}  // namespace fufi::orchestrator
