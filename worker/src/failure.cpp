#include "fufi/worker/failure.h"

#include <new>
#include <vector>

namespace fufi::worker {

namespace {

// An allocator's refusal, as std::bad_alloc or as the text torch/c10 and CUDA put in their errors
// ("DefaultCPUAllocator: can't allocate memory: you tried to allocate N bytes", "CUDA out of memory").
bool is_allocation_failure(const std::exception& e, const std::string& what) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return true;
  for (const char* needle : {"out of memory", "Out of memory", "can't allocate memory", "Cannot allocate memory",
                             "std::bad_alloc"})
    if (what.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

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
  auto nl = message->find('\n');
  if (nl != std::string::npos) message->resize(nl);
  if (is_allocation_failure(e, e.what())) {
    // The allocator's own text is for developers; say what happened and what to change.
    *message = fmt::format("out of memory: an allocation failed ({}); lower batch_size, eval_batch_size or the "
                           "model's size (channels, depth), or give the job more memory",
                           dynamic_cast<const std::bad_alloc*>(&e) ? "std::bad_alloc" : *message);
    return ErrorClass::OutOfMemory;
  }
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
