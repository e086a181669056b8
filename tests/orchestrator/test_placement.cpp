// Where workers run (placement.cpp): GPU slots, the visible GPUs, pinning, threads.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "fufi/orchestrator/placement.h"

namespace fufi_test_placement {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::orchestrator;

namespace {

// Sets an environment variable for one scope and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_.empty()) ::unsetenv(name_);
    else ::setenv(name_, old_.c_str(), 1);
  }

 private:
  const char* name_;
  std::string old_;
};

}  // namespace

TEST(Placement, GpuSlotsPackJobsPerGpuAndWrap) {
  EXPECT_EQ(gpu_slot(0, 1, 4), 0);
  EXPECT_EQ(gpu_slot(3, 1, 4), 3);
  EXPECT_EQ(gpu_slot(4, 1, 4), 0);
  EXPECT_EQ(gpu_slot(0, 2, 2), 0);
  EXPECT_EQ(gpu_slot(1, 2, 2), 0);
  EXPECT_EQ(gpu_slot(2, 2, 2), 1);
  EXPECT_EQ(gpu_slot(5, 2, 2), 0);
  EXPECT_EQ(gpu_slot(0, 1, 0), -1);
}

TEST(Placement, VisibleDevicesDecideTheGpuCountAndThePinnedId) {
  {
    ScopedEnv env("CUDA_VISIBLE_DEVICES", "3, 5,7");
    EXPECT_EQ(detect_gpus(), 3);
    EXPECT_EQ(pin_gpu(1), "5");  // the physical id of slot 1
    EXPECT_STREQ(std::getenv("CUDA_VISIBLE_DEVICES"), "5");
  }
  {
    ScopedEnv env("CUDA_VISIBLE_DEVICES", "-1");
    EXPECT_EQ(detect_gpus(), 0);
  }
  {
    ScopedEnv env("CUDA_VISIBLE_DEVICES", "");
    EXPECT_EQ(detect_gpus(), 0);
  }
}

TEST(Placement, EveryWorkerGetsAtLeastOneThread) {
  EXPECT_GE(worker_threads(1), 1);
  EXPECT_GE(worker_threads(1000), 1);
  EXPECT_GE(worker_threads(1), worker_threads(1000));
}

}  // namespace fufi_test_placement
