#pragma once
// How a training job fails: every exception becomes one failure class (bad_data, bad_config, diverged,
// out_of_memory, runtime) and a message, and with several ranks a failure on one rank becomes the same
// failure on every rank of the group within one collective, so that no rank waits for ever in a collective
// the failed rank will never join (issue #16).
#include <exception>
#include <string>

#include "fufi/core/error.h"
#include "fufi/core/status.h"
#include "fufi/worker/communicator.h"

namespace fufi::worker {

// A failure whose class the engine knows better than the exception type says (e.g. `diverged`).
struct ClassifiedFailure : RuntimeError {
  ClassifiedFailure(ErrorClass cls, std::string message, const char* file, int line)
      : RuntimeError(std::move(message), file, line), error_class(cls) {}
  ErrorClass error_class;
};
#define FUFI_FAIL(cls, ...) throw ::fufi::worker::ClassifiedFailure(cls, ::fmt::format(__VA_ARGS__), __FILE__, __LINE__)

// The failure class of `e` and its message (first line only for foreign exceptions): a fufi::Error by its
// kind (fufi::error_class: an IoError -> Io), std::bad_alloc or an allocator's refusal (c10's "can't allocate
// memory", CUDA's "out of memory") -> OutOfMemory with a message that says so and what to lower,
// ClassifiedFailure -> its class, anything else -> Runtime. The one classifier of the engine and the sweep.
ErrorClass classify(const std::exception& e, std::string* message);

// Collective: every rank of `group` calls it at the same point, passing what it caught since the last such
// point (null: nothing). If no rank failed it returns. Otherwise every rank throws the ClassifiedFailure of
// the lowest failing rank (its class and message, the message prefixed "rank R of G: " in groups of more
// than one). With one rank the caught exception is rethrown unchanged. `where` names the phase in messages
// about foreign exceptions.
void agree_on_failure(Communicator& group, std::exception_ptr caught);

// Runs `work` and agrees on its outcome with the group (agree_on_failure).
template <typename Work>
void run_agreed(Communicator& group, Work&& work) {
  std::exception_ptr caught;
  try {
    work();
  } catch (...) {
    caught = std::current_exception();
  }
  agree_on_failure(group, caught);
}

}  // namespace fufi::worker
