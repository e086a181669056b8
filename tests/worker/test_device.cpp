// The device checks of scripts/gpu-check: every registered model's forward on the device agrees with a
// single-threaded NCHW float32 CPU reference, and its gradients with a float64 copy (up to 10x the float32
// reference's own rounding error); bf16 autocast stays close and keeps the spatial
// constraint; the 1-rank NCCL (CUDA) or MPI (CPU) communicator round-trips tensors, and the overlapped
// gradient reducer reproduces plain gradients through it; the training step's Adam implementations and
// CUDA graph replay agree with the eager for-loop step; a "torchscript:" model (docs/BYO_MODEL.md) matches the
// CPU reference and replays as a CUDA graph.
//
// The device comes from FUFI_TEST_DEVICE (cpu when unset). Asking for cuda on a machine or build without it
// is a failure, not a skip: gpu-check must never report a GPU check that did not run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "fufi/core/build_info.h"
#include "fufi/model/layers.h"
#include "fufi/model/registry.h"
#include "fufi/worker/device.h"
#include "fufi/worker/grad_bucket_reducer.h"
#include "fufi/worker/communicator.h"
#include "fufi/worker/training_step.h"
#include "../model/torchscript_test_util.h"

using namespace fufi;

namespace {

std::string device_name() {
  const char* d = std::getenv("FUFI_TEST_DEVICE");
  return d && *d ? d : "cpu";
}

torch::Device test_device() { return worker::parse_device(device_name(), "FUFI_TEST_DEVICE"); }

model::DataSpec small_spec() {
  model::DataSpec s;
  s.flow_channels = 1;
  s.coarse_h = 8;
  s.coarse_w = 8;
  s.upscale = 4;
  s.ext_dim = 7;
  s.hour_offset = 0;
  s.hour_slots = 24;
  return s;
}

// Each model at a small width and depth; the smoothed N2 where a model offers it, since the reference N2's
// exploding blocks would turn rounding differences into large ones (that N2 is the same code on every device).
Config small_config(const model::ModelInfo& info) {
  const std::map<std::string, std::string> small{
      {"channels", "16"},     {"residual_blocks", "2"}, {"se_blocks", "2"},   {"edsr_blocks", "2"},
      {"edsr_channels", "8"}, {"attn_heads", "2"},      {"depth", "2"},       {"growth", "8"},
      {"heads", "2"},         {"safe_n2", "true"},      {"proposal_res_blocks", "1"}};
  Config c;
  for (const auto& key : info.keys()) {
    auto it = small.find(key);
    if (it != small.end()) c.set(key, it->second, "test_device");
  }
  return c;
}

struct Batch {
  torch::Tensor coarse, fine, ext;
};

Batch make_batch(const model::DataSpec& s, std::int64_t n) {
  torch::manual_seed(7);
  auto fine = torch::poisson(torch::rand({n, s.flow_channels, s.fine_h(), s.fine_w()}).pow(2) * 12.0);
  Batch b{model::block_sum(fine, s.upscale), fine, torch::rand({n, 7})};
  b.ext.select(1, 2).copy_((torch::rand({n}) < 0.5).to(torch::kFloat32));
  b.ext.select(1, 3).copy_((torch::rand({n}) < 0.5).to(torch::kFloat32));
  b.ext.select(1, 4).copy_(torch::randint(1, 8, {n}).to(torch::kFloat32));
  b.ext.select(1, 5).copy_(torch::randint(0, 24, {n}).to(torch::kFloat32));
  b.ext.select(1, 6).copy_(torch::randint(1, 18, {n}).to(torch::kFloat32));
  return b;
}

double relative_error(const torch::Tensor& a, const torch::Tensor& reference) {
  auto x = a.detach().to(torch::kCPU, torch::kFloat64), r = reference.detach().to(torch::kCPU, torch::kFloat64);
  const double denom = r.norm().item<double>();
  return (x - r).norm().item<double>() / (denom > 0 ? denom : 1.0);
}

class DeviceCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    device_ = test_device();
    worker::set_tf32(false);  // the fp32 comparison means fp32 on the GPU too
  }
  torch::Device device_ = torch::kCPU;
};

}  // namespace

TEST_F(DeviceCheck, EveryModelMatchesTheCpuReference) {
  const auto spec = small_spec();
  const auto batch = make_batch(spec, 3);
  const int threads = torch::get_num_threads();
  for (const auto& name : model::ModelRegistry::instance().names()) {
    const auto& info = model::ModelRegistry::instance().get(name);
    const Config cfg = small_config(info);
    // Two models with the same initial values: one stays on the CPU (NCHW, one thread), one goes to the device
    // in the training layout (channels-last).
    torch::manual_seed(3);
    auto reference = model::ModelRegistry::instance().create(name, spec, cfg);
    torch::manual_seed(3);
    auto candidate = model::ModelRegistry::instance().create(name, spec, cfg);
    if (reference->needs_fit()) {
      reference->fit(batch.coarse, batch.fine);
      candidate->fit(batch.coarse, batch.fine);
    }
    candidate->to(device_);
    worker::to_channels_last(*candidate);
    // Evaluation mode: dropout off (its masks come from different generators on CPU and GPU) and BatchNorm on
    // its running statistics; backward still runs through every layer.
    reference->eval();
    candidate->eval();

    torch::set_num_threads(1);
    auto ref_out = reference->forward({batch.coarse, batch.ext}).fine;
    torch::set_num_threads(threads);
    auto dev_out = candidate
                       ->forward({batch.coarse.to(device_).contiguous(torch::MemoryFormat::ChannelsLast),
                                  batch.ext.to(device_)})
                       .fine;
    const double forward_error = relative_error(dev_out, ref_out);
    EXPECT_LT(forward_error, 1e-3) << name << " on " << device_.str() << ": forward";
    EXPECT_TRUE(torch::isfinite(dev_out).all().item<bool>()) << name;

    if (!reference->trainable()) continue;
    // The gradients are judged against a float64 copy of the same model (the exact answer up to 1e-16): the
    // device's float32 error may be at most 10x the float32 CPU reference's own, and never needs to be below
    // 2e-3. Two float32 runs that differ only in summation order (oneDNN's kernels differ by instruction set:
    // SSE4.1, AVX2, AVX-512) part by more than 2e-3 on an ODE's many steps; measured against the exact answer,
    // neither is wrong (issue #16: no outcome may depend on the instruction set).
    torch::manual_seed(3);
    auto exact = model::ModelRegistry::instance().create(name, spec, cfg);
    exact->to(torch::kFloat64);
    exact->eval();
    auto exact_out = exact->forward({batch.coarse.to(torch::kFloat64), batch.ext.to(torch::kFloat64)}).fine;
    // A fixed random weighting of the output, so that every parameter's gradient is exercised.
    torch::manual_seed(5);
    const auto weights = torch::rand(ref_out.sizes());
    torch::set_num_threads(1);
    (ref_out * weights).sum().backward();
    torch::set_num_threads(threads);
    (dev_out * weights.to(device_)).sum().backward();
    (exact_out * weights.to(torch::kFloat64)).sum().backward();
    auto ref_params = reference->named_parameters(), dev_params = candidate->named_parameters();
    auto exact_params = exact->named_parameters();
    // Per parameter tensor, relative to the larger of its own gradient and a thousandth of the model's whole
    // gradient: a bias in front of a BatchNorm has a zero gradient up to rounding, which must not count.
    double total = 0;
    for (const auto& p : ref_params)
      if (p.value().grad().defined()) total += std::pow(p.value().grad().norm().item<double>(), 2);
    const double noise_floor = 1e-3 * std::sqrt(total);
    for (const auto& p : ref_params) {
      const auto& g = p.value().grad();
      if (!g.defined()) continue;
      const auto& d = dev_params[p.key()].grad();
      ASSERT_TRUE(d.defined()) << name << ": " << p.key() << " has a gradient on the CPU only";
      if (noise_floor == 0) {  // every gradient is exactly zero (e.g. all units dead at this initialisation)
        EXPECT_EQ(d.abs().max().item<double>(), 0.0) << name << ": " << p.key();
        continue;
      }
      const auto& e = exact_params[p.key()].grad();
      ASSERT_TRUE(e.defined()) << name << ": " << p.key() << " has no gradient in float64";
      const double scale = std::max(e.norm().item<double>(), noise_floor);
      const double error = (d.detach().cpu().to(torch::kFloat64) - e).norm().item<double>() / scale;
      const double cpu_error = (g.to(torch::kFloat64) - e).norm().item<double>() / scale;
      EXPECT_LT(error, std::max(2e-3, 10 * cpu_error))
          << name << ": gradient of " << p.key() << " on " << device_.str() << " (the float32 CPU reference's error "
          << cpu_error << ")";
    }
  }
}

TEST_F(DeviceCheck, Bf16AutocastStaysCloseAndKeepsBlockSums) {
  if (!device_.is_cuda()) GTEST_SKIP() << "bf16 autocast is CUDA-only (key 'bf16')";
  const auto spec = small_spec();
  const auto batch = make_batch(spec, 3);
  for (const std::string name : {"plgf", "urbanfm", "srcnn"}) {
    const auto& info = model::ModelRegistry::instance().get(name);
    torch::manual_seed(3);
    auto m = model::ModelRegistry::instance().create(name, spec, small_config(info));
    m->to(device_);
    m->eval();
    torch::NoGradGuard no_grad;
    const auto coarse = batch.coarse.to(device_), ext = batch.ext.to(device_);
    auto fp32 = m->forward({coarse, ext}).fine;
    torch::Tensor bf16;
    {
      worker::AutocastScope autocast(true);
      bf16 = m->forward({coarse, ext}).fine.to(torch::kFloat32);
    }
    EXPECT_LT(relative_error(bf16, fp32), 5e-2) << name;
    EXPECT_LT(relative_error(model::block_sum(bf16, spec.upscale), coarse), 1e-2) << name << ": block sums";
  }
}

TEST_F(DeviceCheck, OneRankCommunicatorRoundTrip) {
  worker::mpi_world();  // a singleton MPI world when not under mpirun
  auto comm = device_.is_cuda() ? worker::make_nccl_communicator(MPI_COMM_WORLD, device_.index() < 0 ? 0 : device_.index())
                                : worker::make_mpi_communicator(MPI_COMM_WORLD);
  EXPECT_EQ(comm->size(), 1);
  torch::manual_seed(9);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  std::vector<torch::Tensor> tensors{torch::randn({5, 3}, opts), torch::randn({7}, opts), torch::randn({2, 2, 2}, opts)};
  std::vector<torch::Tensor> copies;
  for (const auto& t : tensors) copies.push_back(t.clone());
  comm->broadcast(tensors);
  comm->allreduce_sum(tensors);
  for (std::size_t i = 0; i < tensors.size(); ++i) EXPECT_TRUE(torch::equal(tensors[i].cpu(), copies[i].cpu())) << i;
  auto flat = torch::arange(0, 1000, opts);
  auto pending = comm->start_allreduce_sum(flat);
  pending->wait();
  EXPECT_TRUE(torch::equal(flat.cpu(), torch::arange(0, 1000, torch::kFloat32))) << comm->backend();
  std::vector<double> host{1.5, -2.0};
  comm->allreduce_sum(host);
  EXPECT_EQ(host, (std::vector<double>{1.5, -2.0}));

  // The overlapped gradient reducer through this communicator: the sum over one rank is the plain gradient.
  const auto spec = small_spec();
  const auto batch = make_batch(spec, 2);
  auto run = [&](bool overlapped) {
    torch::manual_seed(3);
    auto m = model::ModelRegistry::instance().create("srcnn", spec, small_config(model::ModelRegistry::instance().get("srcnn")));
    m->to(device_);
    std::vector<torch::Tensor> params;
    for (auto& p : m->parameters()) params.push_back(p);
    std::unique_ptr<worker::GradBucketReducer> overlap;
    if (overlapped) overlap = std::make_unique<worker::GradBucketReducer>(params, *comm, 1 << 12);
    torch::mse_loss(m->forward({batch.coarse.to(device_), {}}).fine, batch.fine.to(device_)).backward();
    if (overlap) {
      overlap->finish();
      EXPECT_GT(overlap->buckets().size(), 1u);
    }
    std::vector<torch::Tensor> grads;
    for (auto& p : params) grads.push_back(p.grad().cpu());
    return grads;
  };
  auto plain = run(false), reduced = run(true);
  ASSERT_EQ(plain.size(), reduced.size());
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_TRUE(torch::equal(plain[i], reduced[i])) << "parameter " << i;
}

namespace {

// Parameters of a small PLGF (or `model`) after `steps` training steps with `options`, from the same start and
// batches.
std::vector<torch::Tensor> train_steps(const torch::Device& device, worker::StepOptions options, int steps,
                                       std::vector<double>* losses = nullptr, const std::string& model = "plgf") {
  const auto spec = small_spec();
  torch::manual_seed(3);
  auto m = model::ModelRegistry::instance().create(model, spec, small_config(model::ModelRegistry::instance().get(model)));
  m->to(device);
  std::vector<torch::Tensor> params;
  for (auto& p : m->parameters())
    if (p.requires_grad()) params.push_back(p);
  torch::optim::Adam adam(params, torch::optim::AdamOptions(1e-3));
  auto comm = worker::make_local_communicator();
  auto loss = model::make_loss("dualfocal", Config{}, 1.0);
  worker::TrainingStep step(*m, loss, adam, *comm, options);
  m->train();
  const auto batch = make_batch(spec, 4);
  const worker::StepInput input{batch.coarse.to(device), batch.fine.to(device), batch.ext.to(device)};
  for (int i = 0; i < steps; ++i) {
    auto l = step.run(input, 4);
    if (losses) losses->push_back(l.item<double>());
  }
  if (options.cuda_graph) {
    EXPECT_EQ(step.graph_status(), "replaying");
  }
  std::vector<torch::Tensor> out;
  for (auto& p : params) out.push_back(p.detach().cpu());
  return out;
}

double max_relative_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, relative_error(a[i], b[i]));
  return worst;
}

}  // namespace

TEST_F(DeviceCheck, TrainingStepLowersTheLossAndItsVariantsAgree) {
  worker::StepOptions loop;
  loop.adam = worker::AdamImpl::ForLoop;
  std::vector<double> losses;
  const auto reference = train_steps(device_, loop, 12, &losses);
  EXPECT_LT(losses.back(), losses.front()) << "12 Adam steps on one batch did not lower the loss";

  worker::StepOptions foreach_options = loop;
  foreach_options.adam = worker::AdamImpl::Foreach;
  const auto foreach_params = train_steps(device_, foreach_options, 12);
  if (device_.is_cuda()) {
    EXPECT_LT(max_relative_difference(foreach_params, reference), 1e-4);
  } else {
    for (std::size_t i = 0; i < reference.size(); ++i) EXPECT_TRUE(torch::equal(foreach_params[i], reference[i])) << i;
  }
  if (!device_.is_cuda()) return;

#if TORCH_VERSION_MAJOR >= 2
  worker::StepOptions fused = loop;
  fused.adam = worker::AdamImpl::Fused;
  EXPECT_LT(max_relative_difference(train_steps(device_, fused, 12), reference), 1e-4) << "adam_impl=fused";
#endif
  worker::StepOptions graph = foreach_options;
  graph.cuda_graph = true;  // 3 eager warm-up steps, one capture, 8 replays
  EXPECT_LT(max_relative_difference(train_steps(device_, graph, 12), foreach_params), 1e-4) << "cuda_graph";
}

// A "torchscript:" model (a module built in C++, saved, loaded by its name: docs/BYO_MODEL.md) on the device: its
// forward and its parameters' gradients match the single-threaded CPU reference, its training step lowers the loss,
// and on CUDA the step replayed as a CUDA graph reaches the eager step's parameters.
TEST_F(DeviceCheck, TorchScriptModelMatchesTheCpuReferenceAndReplaysAsACudaGraph) {
  const auto path = std::filesystem::temp_directory_path() / ("fufi_device_torchscript_" + std::to_string(::getpid()) + ".pt");
  test::save_module(test::tiny_script_module(), path);
  const std::string name = "torchscript:" + path.string();
  const auto spec = small_spec();
  const auto batch = make_batch(spec, 3);
  auto reference = model::ModelRegistry::instance().create(name, spec, {});
  auto candidate = model::ModelRegistry::instance().create(name, spec, {});
  candidate->to(device_);
  worker::to_channels_last(*candidate);
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  auto ref_out = reference->forward({batch.coarse, batch.ext}).fine;
  torch::set_num_threads(threads);
  auto dev_out =
      candidate->forward({batch.coarse.to(device_).contiguous(torch::MemoryFormat::ChannelsLast), batch.ext.to(device_)})
          .fine;
  EXPECT_LT(relative_error(dev_out, ref_out), 1e-3) << "forward on " << device_.str();
  torch::manual_seed(5);
  const auto weights = torch::rand(ref_out.sizes());
  (ref_out * weights).sum().backward();
  (dev_out * weights.to(device_)).sum().backward();
  auto dev_params = candidate->named_parameters();
  for (const auto& p : reference->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined() && dev_params[p.key()].grad().defined()) << p.key();
    EXPECT_LT(relative_error(dev_params[p.key()].grad(), p.value().grad()), 2e-3) << "gradient of " << p.key();
  }

  worker::StepOptions eager;
  eager.adam = worker::AdamImpl::Foreach;
  std::vector<double> losses;
  const auto eager_params = train_steps(device_, eager, 12, &losses, name);
  EXPECT_LT(losses.back(), losses.front()) << "12 Adam steps on one batch did not lower the loss";
  std::filesystem::remove(path);
  if (!device_.is_cuda()) return;
  worker::StepOptions graph = eager;
  graph.cuda_graph = true;  // 3 eager warm-up steps, one capture, 8 replays
  EXPECT_LT(max_relative_difference(train_steps(device_, graph, 12, nullptr, name), eager_params), 1e-4) << "cuda_graph";
}

// flush_denormal (device.h): every thread of the intra-op pool flushes subnormals, and turning it off restores
// them. Runs on the CPU whatever FUFI_TEST_DEVICE says (the setting is the CPU's).
TEST(FlushDenormal, EveryPoolThreadFlushesSubnormalsAndOffRestoresThem) {
  const int threads_before = torch::get_num_threads();
  torch::set_num_threads(2);
  if (!worker::set_flush_denormal(false)) GTEST_SKIP() << "this CPU cannot flush subnormals";
  // Large enough that each multiply is split across both threads of the pool.
  const auto subnormal = torch::full({1 << 20}, 1e-39f);
  auto kept = subnormal * 1.0f;
  EXPECT_EQ(kept.min().item<float>(), 1e-39f) << "off: subnormals are kept";
  worker::set_flush_denormal(true);
  EXPECT_EQ((subnormal * 1.0f).abs().max().item<float>(), 0.0f) << "on: a subnormal survived on some thread";
  worker::set_flush_denormal(false);
  kept = subnormal * 1.0f;
  EXPECT_EQ(kept.min().item<float>(), 1e-39f) << "off again: every thread keeps subnormals";
  EXPECT_EQ(kept.max().item<float>(), 1e-39f);
  worker::set_flush_denormal(true);  // the engine's default, for what runs after
  torch::set_num_threads(threads_before);
}
