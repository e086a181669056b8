// classify(): the one classifier of failures (engine and sweep), issue #20's io and out_of_memory cases.
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>

#include "fufi/core/error.h"
#include "fufi/worker/failure.h"

namespace fufi_test_failure {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;

TEST(Failure, AllocationFailuresAreOutOfMemoryWithAHumanMessage) {
  std::string message;
  EXPECT_EQ(worker::classify(std::bad_alloc(), &message), ErrorClass::OutOfMemory);
  EXPECT_EQ(message.rfind("out of memory: ", 0), 0u) << message;
  EXPECT_NE(message.find("lower batch_size"), std::string::npos) << message;
  // As c10 raises it from the CPU allocator (channels=100000): a foreign exception whose text says so.
  const std::runtime_error c10_like(
      "[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to "
      "allocate 409600000000 bytes. Error code 12 (Cannot allocate memory)\nframe #0: ...");
  EXPECT_EQ(worker::classify(c10_like, &message), ErrorClass::OutOfMemory);
  EXPECT_EQ(message.rfind("out of memory: ", 0), 0u) << message;
  EXPECT_NE(message.find("409600000000 bytes"), std::string::npos) << message;
  EXPECT_EQ(message.find("frame #0"), std::string::npos) << message;  // first line only
}

TEST(Failure, IoErrorsAreIoAndOtherForeignErrorsRuntime) {
  std::string message;
  EXPECT_EQ(worker::classify(IoError("run/last.ckpt: write failed: No space left on device", __FILE__, __LINE__),
                             &message),
            ErrorClass::Io);
  EXPECT_EQ(message, "run/last.ckpt: write failed: No space left on device");
  EXPECT_EQ(worker::classify(std::runtime_error("something else\nmore"), &message), ErrorClass::Runtime);
  EXPECT_EQ(message, "something else");
}

}  // namespace fufi_test_failure
