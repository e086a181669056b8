// Device strings (worker/device.h): every spelling is validated before any data is loaded, and the
// messages name the key.
#include <gtest/gtest.h>

#include "fufi/core/build_info.h"
#include "fufi/core/error.h"
#include "fufi/worker/device.h"
#include "fufi/worker/train_config.h"

namespace fufi_test_device_names {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;

namespace {

template <typename E, typename F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    FAIL() << "no error; expected one containing '" << needle << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(DeviceNames, IndicesAreValidated) {
  EXPECT_EQ(worker::cuda_index_of("cpu"), -1);
  EXPECT_EQ(worker::cuda_index_of("cuda"), -1);
  EXPECT_EQ(worker::cuda_index_of("cuda:3"), 3);
  expect_error<UsageError>([] { worker::cuda_index_of("cuda:abc"); }, "cuda:abc");
  expect_error<UsageError>([] { worker::cuda_index_of("cuda:"); }, "device index");
  expect_error<UsageError>([] { worker::cuda_index_of("cuda:-1"); }, "device index");
  expect_error<UsageError>([] { worker::cuda_index_of("gpu", "device"); }, "key 'device'");
  EXPECT_TRUE(worker::is_cuda_device_name("cuda:0"));
  EXPECT_FALSE(worker::is_cuda_device_name("cudax"));
  EXPECT_EQ(worker::parse_device("cpu"), torch::Device(torch::kCPU));
}

TEST(DeviceNames, BadDevicesFailWhenTheJobIsResolved) {
  Config c;
  c.set("device", "cuda:abc", "--set");
  expect_error<UsageError>([&] { worker::resolve_job_settings("srcnn", c, 1); }, "cuda:abc");
  Config graph;
  graph.set("cuda_graph", "true", "--set");
  expect_error<UsageError>([&] { worker::resolve_job_settings("srcnn", graph, 1); }, "cuda_graph");
  Config fused;
  fused.set("adam_impl", "fused", "--set");
  expect_error<UsageError>([&] { worker::resolve_job_settings("srcnn", fused, 1); }, "fused");
}

#if !FUFI_CUDA_ENABLED
TEST(DeviceNames, CudaOnACpuBuildSaysHowToGetOne) {
  expect_error<UsageError>([] { worker::parse_device("cuda"); }, "scripts/gpu-build");
}
#endif

}  // namespace fufi_test_device_names
