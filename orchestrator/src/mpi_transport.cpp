#include "mpi_transport.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <thread>

#include "fufi/core/mpi_check.h"

namespace fufi::orchestrator {

void Backoff::wait() {
  std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
  sleep_us_ = std::min(2000, sleep_us_ * 2);
}

void Outbox::send(MPI_Comm comm, int dest, int tag, std::string text) {
  pending_.push_back({std::move(text), MPI_REQUEST_NULL});
  auto& p = pending_.back();
  FUFI_MPI_CHECK(MPI_Isend(p.text.data(), static_cast<int>(p.text.size()), MPI_CHAR, dest, tag, comm, &p.request));
  poll();
}

void Outbox::poll() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    int done = 0;
    FUFI_MPI_CHECK(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE));
    it = done ? pending_.erase(it) : std::next(it);
  }
}

void Outbox::drain() {
  Backoff backoff;
  for (poll(); !pending_.empty(); poll()) backoff.wait();
}

bool try_receive(MPI_Comm comm, int source, Message& m, int tag) {
  int flag = 0;
  MPI_Status status;
  FUFI_MPI_CHECK(MPI_Iprobe(source, tag, comm, &flag, &status));
  if (!flag) return false;
  int count = 0;
  FUFI_MPI_CHECK(MPI_Get_count(&status, MPI_CHAR, &count));
  m.text.assign(static_cast<std::size_t>(count), '\0');
  FUFI_MPI_CHECK(MPI_Recv(m.text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, comm, MPI_STATUS_IGNORE));
  m.source = status.MPI_SOURCE;
  m.tag = status.MPI_TAG;
  return true;
}

Message wait_receive(MPI_Comm comm, int source) {
  Message m;
  Backoff backoff;
  while (!try_receive(comm, source, m)) backoff.wait();
  return m;
}

void wait_request(MPI_Request& request) {
  Backoff backoff;
  int done = 0;
  while (true) {
    FUFI_MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) return;
    backoff.wait();
  }
}

std::string group_broadcast(MPI_Comm group, const std::string& text) {
  long long length = static_cast<long long>(text.size());
  MPI_Request request;
  FUFI_MPI_CHECK(MPI_Ibcast(&length, 1, MPI_LONG_LONG, 0, group, &request));
  wait_request(request);
  std::string out = text;
  out.resize(static_cast<std::size_t>(length));
  FUFI_MPI_CHECK(MPI_Ibcast(out.data(), static_cast<int>(length), MPI_CHAR, 0, group, &request));
  wait_request(request);
  return out;
}

}  // namespace fufi::orchestrator
