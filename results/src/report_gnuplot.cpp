#include "report_gnuplot.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "fufi/core/error.h"
#include "fufi/core/strings.h"

namespace fufi::results::report {

namespace fs = std::filesystem;

std::string gnuplot_script(const std::string& id, const std::string& size, const std::string& body) {
  std::string gp = fmt::format(
      "# {0}: written by fufi report from {0}.dat. Run: gnuplot {0}.gp (in this directory).\n"
      "set datafile separator whitespace\n"
      "set datafile missing \"NaN\"\n"
      "set encoding utf8\n"
      "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {{\n"
      "  set terminal pngcairo size {1} enhanced font \"sans,10\"\n"
      "}} else {{\n"
      "  set terminal png size {1}\n"
      "}}\n"
      "set output \"{0}.png\"\n",
      id, size);
  gp += body;
  gp += fmt::format("unset output\nset terminal svg size {} enhanced font \"sans,10\"\nset output \"{}.svg\"\n", size, id);
  gp += body;
  return gp + "unset output\n";
}

std::string dat_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? '\'' : c;
  return out + "\"";
}

std::string dat_number(double x) { return std::isnan(x) ? "NaN" : fmt::format("{:.9g}", x); }

namespace {

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0 && !fs::is_directory(path); }

// The child's side of run_gnuplot: never returns.
[[noreturn]] void exec_in(const std::string& program, const fs::path& dir, const fs::path& log, const std::string& script) {
  if (::chdir(dir.c_str()) != 0) ::_exit(126);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  const char* argv[] = {program.c_str(), script.c_str(), nullptr};
  ::execv(program.c_str(), const_cast<char* const*>(argv));
  ::_exit(127);
}

}  // namespace

std::string find_gnuplot(const std::string& option) {
  if (!option.empty()) return executable(option) ? option : "";
  if (const char* env = std::getenv("FUFI_GNUPLOT"); env && *env) return executable(env) ? env : "";
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/gnuplot";
    if (executable(candidate)) return candidate;
  }
  return "";
}

void run_gnuplot(const std::string& program, const fs::path& dir, const std::string& script) {
  const fs::path log = dir / ".gnuplot.log";
  const pid_t pid = ::fork();
  FUFI_CHECK(pid >= 0, RuntimeError, "cannot start {}: fork failed", program);
  if (pid == 0) exec_in(program, dir, log, script);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  std::error_code ec;
  fs::remove(log, ec);
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  FUFI_CHECK(ok, RuntimeError, "{}: gnuplot ({}) failed{}: {}", (dir / script).string(), program,
             WIFEXITED(status) ? fmt::format(" with status {}", WEXITSTATUS(status)) : std::string(" (signal)"),
             trim(text.str()));
}

}  // namespace fufi::results::report
