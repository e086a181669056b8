#include "fufi/core/status.h"

#include <array>
#include <cstdlib>
#include <exception>
#include <new>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "fufi/core/strings.h"

namespace fufi {

namespace {

constexpr std::array<std::pair<ErrorClass, std::string_view>, 7> kErrorClasses{{
    {ErrorClass::None, ""},
    {ErrorClass::Diverged, "diverged"},
    {ErrorClass::OutOfMemory, "out_of_memory"},
    {ErrorClass::BadData, "bad_data"},
    {ErrorClass::BadConfig, "bad_config"},
    {ErrorClass::Runtime, "runtime"},
    {ErrorClass::Io, "io"},
}};

constexpr std::array<std::pair<JobStatus, std::string_view>, 6> kJobStatuses{{
    {JobStatus::Pending, "pending"},
    {JobStatus::Running, "running"},
    {JobStatus::Done, "done"},
    {JobStatus::Failed, "failed"},
    {JobStatus::Interrupted, "interrupted"},
    {JobStatus::Cancelled, "cancelled"},
}};

constexpr std::array<std::pair<RunStatus, std::string_view>, 5> kRunStatuses{{
    {RunStatus::Running, "running"},
    {RunStatus::Finished, "finished"},
    {RunStatus::Failed, "failed"},
    {RunStatus::Stopped, "stopped"},
    {RunStatus::Interrupted, "interrupted"},
}};

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "?";  // unreachable: every enumerator is in its table (test_status.cpp checks the round trip)
}

template <typename Enum, std::size_t N>
Enum value_of(const std::array<std::pair<Enum, std::string_view>, N>& table, std::string_view text, const char* what) {
  std::vector<std::string> names;
  for (const auto& [v, name] : table) {
    if (name == text) return v;
    if (!name.empty()) names.emplace_back(name);
  }
  FUFI_THROW(RuntimeError, "unknown {} '{}'{}; known: {}", what, text, did_you_mean(text, names), join(names, ", "));
}

}  // namespace

std::string_view to_string(ErrorClass error_class) { return name_of(kErrorClasses, error_class); }
std::string_view to_string(JobStatus status) { return name_of(kJobStatuses, status); }
std::string_view to_string(RunStatus status) { return name_of(kRunStatuses, status); }
ErrorClass parse_error_class(std::string_view text) { return value_of(kErrorClasses, text, "error class"); }
JobStatus parse_job_status(std::string_view text) { return value_of(kJobStatuses, text, "job status"); }

ErrorClass error_class(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Input: return ErrorClass::BadData;
    case ErrorKind::Usage: return ErrorClass::BadConfig;
    case ErrorKind::Runtime: return ErrorClass::Runtime;
    case ErrorKind::Io: return ErrorClass::Io;
  }
  return ErrorClass::Runtime;
}

int exit_code(ErrorClass error_class) {
  switch (error_class) {
    case ErrorClass::None: return kExitOk;
    case ErrorClass::BadData:
    case ErrorClass::BadConfig: return kExitUsage;
    case ErrorClass::Diverged:
    case ErrorClass::OutOfMemory:
    case ErrorClass::Runtime:
    case ErrorClass::Io: return kExitRuntime;
  }
  return kExitRuntime;
}

int exit_code(JobStatus status, ErrorClass error_class) {
  if (status == JobStatus::Done || status == JobStatus::Interrupted) return kExitOk;
  return error_class == ErrorClass::None ? kExitRuntime : exit_code(error_class);
}

int run_guarded(const std::function<int()>& body, std::ostream& err) {
  const bool debug = std::getenv("FUFI_DEBUG") != nullptr;
  try {
    return body();
  } catch (const Error& e) {
    err << "fufi: error: " << e.message();
    if (debug) err << " [" << e.where() << "]";
    err << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    err << "fufi: error: out of memory\n";
    return kExitRuntime;
  } catch (const std::exception& e) {
    // torch's c10::Error derives from std::exception; its first line is the useful part.
    std::string what = e.what();
    if (!debug) {
      auto nl = what.find('\n');
      if (nl != std::string::npos) what = what.substr(0, nl);
    }
    err << "fufi: error: " << what << "\n";
    return kExitRuntime;
  }
}

}  // namespace fufi
