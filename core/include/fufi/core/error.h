#pragma once
// fufi's exceptions. Every error carries the source location that raised it, and a kind that the
// CLI maps to an exit code (bad usage or bad input -> 2, anything else -> 1) through the one mapping in
// fufi/core/status.h: ErrorKind -> ErrorClass -> exit code.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace fufi {

enum class ErrorKind {
  Usage,    // bad command line, unknown key, wrong value: exit 2
  Input,    // bad file or data (names the file and the reason): exit 2
  Runtime,  // a failure while doing valid work: exit 1
  Io,       // the OS refused a read or write of a file fufi owns (full disk, quota, EIO): exit 1
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, const char* file, int line);
  ErrorKind kind() const noexcept { return kind_; }
  // The message without the source location, for users.
  const std::string& message() const noexcept { return message_; }
  // "file:line" of the throw site inside fufi's sources, for developers.
  const std::string& where() const noexcept { return where_; }
  // exit_code(error_class(kind())) of fufi/core/status.h.
  int exit_code() const noexcept;

 private:
  ErrorKind kind_;
  std::string message_;
  std::string where_;
};

class UsageError : public Error {
 public:
  UsageError(std::string message, const char* file, int line)
      : Error(ErrorKind::Usage, std::move(message), file, line) {}
};
class InputError : public Error {
 public:
  InputError(std::string message, const char* file, int line)
      : Error(ErrorKind::Input, std::move(message), file, line) {}
};
class RuntimeError : public Error {
 public:
  RuntimeError(std::string message, const char* file, int line)
      : Error(ErrorKind::Runtime, std::move(message), file, line) {}
};

// A failed write, fsync, rename or read of a file: the message names the path and the OS error (strerror),
// e.g. "run/last.ckpt: write failed: No space left on device".
class IoError : public Error {
 public:
  IoError(std::string message, const char* file, int line)
      : Error(ErrorKind::Io, std::move(message), file, line) {}
};

}  // namespace fufi

// FUFI_THROW(UsageError, "unknown key '{}'", key)
#define FUFI_THROW(Kind, ...) throw ::fufi::Kind(::fmt::format(__VA_ARGS__), __FILE__, __LINE__)
#define FUFI_CHECK(cond, Kind, ...) \
  do {                              \
    if (!(cond)) FUFI_THROW(Kind, __VA_ARGS__); \
  } while (0)
