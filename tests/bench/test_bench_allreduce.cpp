// bench/src/bench_allreduce.cpp: `fufi bench allreduce`'s size parser and, over a one-rank MPI world (a singleton
// init, no mpirun), that it reports one point per size and names a bad backend. No speed is asserted.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "fufi/bench/bench.h"
#include "fufi/core/error.h"

namespace fufi_test_bench_allreduce {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::bench;

TEST(BenchAllreduce, ParseBytesUnitsAndErrors) {
  EXPECT_EQ(parse_bytes("4096", "--bytes"), 4096);
  EXPECT_EQ(parse_bytes("64k", "--bytes"), 64 << 10);
  EXPECT_EQ(parse_bytes("16MB", "--bytes"), std::int64_t{16} << 20);
  EXPECT_EQ(parse_bytes("1G", "--bytes"), std::int64_t{1} << 30);
  test::expect_error<UsageError>([] { parse_bytes("lots", "--bytes"); }, {"--bytes", "'lots' is not a size"});
  test::expect_error<UsageError>([] { parse_bytes("5TB", "--bytes"); }, {"--bytes", "unknown unit in '5TB'"});
}

TEST(BenchAllreduce, OneRankReportsOnePointPerSizeAndNamesABadBackend) {
  const auto r = bench_allreduce("mpi", {4096, 65536}, 2, 1);
  EXPECT_EQ(r.backend, "mpi");
  EXPECT_EQ(r.ranks, 1);
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[0].bytes, 4096);
  EXPECT_EQ(r.points[1].bytes, 65536);
  for (const auto& p : r.points) {
    EXPECT_EQ(p.time.repetitions, 2);
    EXPECT_LE(p.time.min_ms, p.time.max_ms);
    EXPECT_EQ(p.busbw_gbps, 0.0) << "one rank moves no bytes between ranks";
  }
  test::expect_error<UsageError>([] { bench_allreduce("gloo", {4096}, 1, 0); }, {"--backend", "unknown backend 'gloo'"});
  test::expect_error<UsageError>([] { bench_allreduce("mpi", {2}, 1, 0); }, {"--bytes", "at least 4 bytes"});
}

}  // namespace fufi_test_bench_allreduce
