#include "fufi/orchestrator/sweep_plan.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "fufi/orchestrator/cli_support.h"
#include "fufi/orchestrator/coordinator.h"
#include "fufi/results/sqlite.h"
#include "fufi/results/store.h"
#include "fufi/results/table.h"

namespace fufi::orchestrator {

int show_sweep_plan(const SweepPlanOptions& o, std::ostream& out, std::ostream& err) {
  // Under mpirun every rank parses the same arguments; one plan is enough.
  if (!is_reporting_rank()) return kExitOk;
  const auto format = results::parse_table_format(o.format);
  const auto sweep = load_sweep(o.file, o.overrides);
  for (const auto& w : sweep.warnings) err << "fufi: warning: " << o.file << ": " << w << "\n";
  std::map<std::string, results::JobState> states;
  std::string orphans;
  if (std::error_code ec; std::filesystem::is_regular_file(o.db, ec)) {
    // A million-job sweep (issue #17): the ids are looked up in slices and checked for orphans through views of
    // the jobs' own strings, so the plan holds no second copy of them.
    constexpr std::size_t kSlice = 65536;
    std::vector<std::string> ids;
    for (std::size_t begin = 0; begin < sweep.jobs.size(); begin += kSlice) {
      ids.clear();
      for (std::size_t i = begin; i < std::min(sweep.jobs.size(), begin + kSlice); ++i) ids.push_back(sweep.jobs[i].id);
      states.merge(results::read_job_states(o.db, ids));
    }
    // What the run would refuse or report, by the run's own code (read-only: the plan never writes the DB).
    results::Database db(o.db, results::Database::Mode::ReadOnly);
    if (db.user_version() > 0) {
      check_sweep_binding(db, sweep, o.replace_sweep);
      std::unordered_set<std::string_view> in_file;
      in_file.reserve(sweep.jobs.size());
      for (const auto& j : sweep.jobs) in_file.insert(j.id);
      orphans = orphans_warning(o.file, o.db, orphaned_jobs(db, sweep.name, in_file));
    }
  }

  results::Table table({"#", "job", "model", "task", "variant", "seed", "epochs", "status", "attempts"});
  for (const char* c : {"#", "seed", "epochs", "attempts"}) table.set_numeric(c);
  int done = 0, failed = 0, to_run = 0;
  std::set<std::string> configurations;
  const SweepConfiguration* configuration = nullptr;
  std::string epochs;
  for (std::size_t i = 0; i < sweep.jobs.size(); ++i) {
    const auto& j = sweep.jobs[i];
    if (j.configuration.get() != configuration) {  // the jobs of a configuration are consecutive
      configuration = j.configuration.get();
      configurations.insert(j.group_id());
      epochs = configuration->resolved.get_string("epochs");
    }
    const auto it = states.find(j.id);
    const bool known = it != states.end();
    if (known && it->second.status == JobStatus::Done) ++done;
    else if (known && !results::runs_again(it->second, sweep.max_attempts, o.retry_failed)) ++failed;
    else ++to_run;
    table.add_row({std::to_string(i + 1), j.id.substr(0, 12), j.model(), j.task(), j.variant(), std::to_string(j.seed),
                   epochs, known ? std::string(to_string(it->second.status)) : "new",
                   known ? std::to_string(it->second.attempts) : "0"});
  }
  out << table.render(format);
  err << fmt::format("{}: {} jobs ({} configurations): {} done, {} failed, {} to run; data {}; max_attempts {}; DB {}\n",
                     sweep.name, sweep.jobs.size(), configurations.size(), done, failed, to_run, sweep.data.identity(),
                     sweep.max_attempts, o.db);
  err << orphans;
  return kExitOk;
}

}  // namespace fufi::orchestrator
