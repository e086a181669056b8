// fufi models: each registered model's name, resolved configuration and parameter count for a data shape
// (the numbers the efficiency figure plots).
#include <fmt/format.h>

#include <iostream>

#include "commands.h"
#include "data_shape_options.h"
#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"
#include "fufi/model/registry.h"
#include "fufi/results/table.h"

namespace fufi::cli {

namespace {

struct ModelsArgs {
  std::vector<std::string> names;
  std::vector<std::string> sets;
  std::string format = "table";
  DataShapeArgs shape;  // the data shape parameters are counted for; TaxiBJ by default
};

int run_models(const ModelsArgs& a) {
  const auto format = results::parse_table_format(a.format, "--format");
  const auto spec = to_data_spec(a.shape);
  const auto overrides = Config::from_assignments(a.sets, "--set");
  auto& registry = model::ModelRegistry::instance();
  const auto names = a.names.empty() ? registry.names() : a.names;

  const auto data = fmt::format("C={} {}x{} x{} ext={}", spec.flow_channels, spec.coarse_h, spec.coarse_w, spec.upscale,
                                spec.has_ext() ? "on" : "off");
  results::Table table({"name", "params", "data", "config"});
  table.set_numeric("params");
  for (const auto& name : names) {
    // resolve() rejects keys the model does not have, naming the key and the model.
    const auto config = registry.resolve(name, overrides);
    const auto model = registry.create(name, spec, overrides);
    table.add_row({name, std::to_string(model::count_parameters(*model)), data, config.canonical(" ")});
  }
  std::cout << table.render(format);
  return 0;
}

}  // namespace

void add_models_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ModelsArgs>();
  auto* cmd = app.add_subcommand("models", "List models with their configuration and parameter count");
  cmd->add_option("names", args->names, "Models to show (default: every registered model)");
  cmd->add_option("--set", args->sets, "key=value overriding a model default (repeatable)")->allow_extra_args(false);
  cmd->add_option("--format", args->format, "table, csv, json or md")->capture_default_str();
  add_data_shape_options(cmd, args->shape);
  cmd->callback([args, &exit_code] { exit_code = run_models(*args); });
}

}  // namespace fufi::cli
