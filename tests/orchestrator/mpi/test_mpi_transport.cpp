// The sweep's MPI transport (mpi_transport.cpp) and checked MPI calls (fufi/core/mpi_check.h) between two
// real ranks: run under `mpirun -np 2` (ctest mpi_transport).
#include <gtest/gtest.h>

#include <string>

#include "fufi/core/error.h"
#include "fufi/core/mpi_check.h"
#include "fufi/worker/communicator.h"
#include "mpi_transport.h"
#include "wire_format.h"

using namespace fufi;
using namespace fufi::orchestrator;

namespace {

// A duplicate of the world whose errors return codes, as the sweep's communicators do.
MPI_Comm checked_comm() {
  MPI_Comm comm;
  FUFI_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
  set_errors_return(comm);
  return comm;
}

}  // namespace

TEST(MpiTransport, MessagesArriveInOrderAndByTag) {
  const auto world = worker::mpi_world();
  ASSERT_EQ(world.size, 2) << "run under mpirun -np 2";
  MPI_Comm comm = checked_comm();
  Outbox outbox;
  if (world.rank == 1) {
    outbox.send(comm, 0, kEpoch, "first");
    outbox.send(comm, 0, kCancel, "cancel");
    outbox.send(comm, 0, kEpoch, "second");
    outbox.drain();
  } else {
    // By tag: the CANCEL is taken out of the queue; the others keep their order.
    Message m;
    Backoff backoff;
    while (!try_receive(comm, 1, m, kCancel)) backoff.wait();
    EXPECT_EQ(m.text, "cancel");
    EXPECT_EQ(m.tag, kCancel);
    EXPECT_EQ(m.source, 1);
    m = wait_receive(comm, 1);
    EXPECT_EQ(m.text, "first");
    m = wait_receive(comm, 1);
    EXPECT_EQ(m.text, "second");
    EXPECT_FALSE(try_receive(comm, 1, m));
  }
  FUFI_MPI_CHECK(MPI_Barrier(comm));
  FUFI_MPI_CHECK(MPI_Comm_free(&comm));
}

TEST(MpiTransport, TheGroupBroadcastCarriesRankZerosText) {
  const auto world = worker::mpi_world();
  MPI_Comm comm = checked_comm();
  const std::string mine = world.rank == 0 ? std::string(100000, 'j') : "";
  EXPECT_EQ(group_broadcast(comm, mine), std::string(100000, 'j'));
  EXPECT_EQ(group_broadcast(comm, world.rank == 0 ? "S" : "ignored"), "S");
  FUFI_MPI_CHECK(MPI_Comm_free(&comm));
}

TEST(MpiCheck, AFailingCallThrowsWithTheCallAndItsSite) {
  MPI_Comm comm = checked_comm();
  int value = 0;
  try {
    // Rank 5 does not exist in a world of 2: MPI returns an error (errors return on this communicator).
    FUFI_MPI_CHECK(MPI_Send(&value, 1, MPI_INT, 5, 0, comm));
    FAIL() << "an invalid rank did not fail";
  } catch (const RuntimeError& e) {
    EXPECT_NE(e.message().find("MPI_Send(&value, 1, MPI_INT, 5, 0, comm)"), std::string::npos) << e.message();
    EXPECT_NE(e.where().find("tests/orchestrator/mpi/test_mpi_transport.cpp:"), std::string::npos) << e.where();
  }
  FUFI_MPI_CHECK(MPI_Comm_free(&comm));
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const auto world = worker::mpi_world();  // initialise MPI before any test
  // Only rank 0 prints gtest's report; every rank's exit code counts.
  if (world.rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  return RUN_ALL_TESTS();
}
