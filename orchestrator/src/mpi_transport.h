#pragma once
// How the sweep's ranks talk (private to fufi_orchestrator): small text messages, sent without ever
// blocking and received by polling with a growing sleep, so a waiting rank spins no core. Every MPI call goes
// through FUFI_MPI_CHECK; the communicators the sweep creates return errors (fufi/core/mpi_check.h).
#include <mpi.h>

#include <list>
#include <string>

namespace fufi::orchestrator {

// Sleeps that grow from 20 us to 2 ms while nothing happens: quick answers when busy, ~nothing when idle.
class Backoff {
 public:
  void reset() { sleep_us_ = 20; }
  void wait();

 private:
  int sleep_us_ = 20;
};

// Sends that never block: two ranks that MPI_Send to each other at the same moment can both wait in
// the send (a rendezvous needs the other side to receive), which costs each job milliseconds of
// spinning. Messages are kept until their MPI_Isend completes; poll() releases them.
class Outbox {
 public:
  void send(MPI_Comm comm, int dest, int tag, std::string text);
  void poll();
  // Until every message was delivered (before a rank leaves the sweep).
  void drain();

 private:
  struct Pending {
    std::string text;
    MPI_Request request;
  };
  std::list<Pending> pending_;  // nodes do not move: the buffers stay where MPI_Isend saw them
};

struct Message {
  int source = -1, tag = 0;
  std::string text;
};

// A message from `source` with `tag` (any tag by default) if one is waiting, without blocking; messages of
// other tags stay queued, in order.
bool try_receive(MPI_Comm comm, int source, Message& m, int tag = MPI_ANY_TAG);
// The next message from `source` (polling).
Message wait_receive(MPI_Comm comm, int source);
// Until `request` completes (polling).
void wait_request(MPI_Request& request);
// The text of the group's rank 0, on every rank of `group` (non-blocking broadcasts, polled).
std::string group_broadcast(MPI_Comm group, const std::string& text);

}  // namespace fufi::orchestrator
