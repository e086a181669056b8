#include "fufi/worker/failure.h"

#include <new>
#include <vector>

namespace fufi::worker {

ErrorClass classify(const std::exception& e, std::string* message) {
  *message = e.what();
  if (auto* c = dynamic_cast<const ClassifiedFailure*>(&e)) {
    *message = c->message();
    return c->error_class;
  }
  if (auto* f = dynamic_cast<const Error*>(&e)) {
    *message = f->message();
    return error_class(f->kind());
  }
  if (dynamic_cast<const std::bad_alloc*>(&e) || message->find("out of memory") != std::string::npos ||
      message->find("Out of memory") != std::string::npos)
    return ErrorClass::OutOfMemory;
  auto nl = message->find('\n');
  if (nl != std::string::npos) message->resize(nl);
  return ErrorClass::Runtime;
}

void agree_on_failure(Communicator& group, std::exception_ptr caught) {
  if (group.size() == 1) {
    if (caught) std::rethrow_exception(caught);
    return;
  }
  // One flag per rank: everyone learns who failed from a single small all-reduce.
  std::vector<double> failed(static_cast<std::size_t>(group.size()), 0.0);
  if (caught) failed[static_cast<std::size_t>(group.rank())] = 1.0;
  group.allreduce_sum(failed);
  int root = -1;
  for (int r = 0; r < group.size() && root < 0; ++r)
    if (failed[static_cast<std::size_t>(r)] > 0) root = r;
  if (root < 0) return;
  // The lowest failing rank tells the others its class and message.
  std::string text;
  if (group.rank() == root) {
    std::string message;
    ErrorClass cls = ErrorClass::Runtime;
    try {
      std::rethrow_exception(caught);
    } catch (const std::exception& e) {
      cls = classify(e, &message);
    } catch (...) {
      message = "an unknown exception";
    }
    text = std::string(to_string(cls)) + "\n" + message;
  }
  group.broadcast_text(text, root);
  const auto nl = text.find('\n');
  throw ClassifiedFailure(parse_error_class(text.substr(0, nl)),
                          fmt::format("rank {} of {}: {}", root, group.size(), text.substr(nl + 1)), __FILE__,
                          __LINE__);
}

}  // namespace fufi::worker
