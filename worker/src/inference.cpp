#include "fufi/worker/inference.h"

#include <chrono>
#include <thread>

#include "fufi/core/atomic_file.h"
#include "fufi/core/error.h"
#include "fufi/data/dataset.h"
#include "fufi/data/npy.h"
#include "fufi/model/layers.h"
#include "fufi/worker/autotune.h"
#include "fufi/worker/checkpoint.h"
#include "fufi/worker/device.h"

namespace fufi::worker {

namespace {

// channels_last=auto|true|false for the forward (InferenceOptions); the model is left in the chosen format.
MemoryFormatChoice choose_format(const InferenceOptions& o, const CheckpointMeta& meta, model::FufiModel& model,
                                 const torch::Tensor& coarse, const torch::Tensor& ext) {
  MemoryFormatChoice c;
  c.source = "set";
  if (o.channels_last == "true") {
    to_channels_last(model);
    c.channels_last = true;
    return c;
  }
  c.channels_last = false;
  if (o.channels_last == "false") return c;
  const std::int64_t n = coarse.size(0);
  if (n < kMeasureFromBatches * o.batch) {
    c.source = "default";
    return c;
  }
  const auto x = coarse.slice(0, 0, o.batch) / meta.scaler_x;
  const auto e = ext.defined() ? ext.slice(0, 0, o.batch) : torch::Tensor();
  const auto key = memory_format_key(meta.model, meta.model_config.canonical(), x, e.defined(), "inference",
                                     /*bf16=*/false, torch::kCPU);
  return choose_inference_memory_format(model, x, e, key);
}

}  // namespace

InferenceSummary run_inference(const InferenceOptions& o) {
  checked_output_path(o.out);  // refuse a special file (/dev/null, a FIFO) before the work, not after
  const auto t0 = std::chrono::steady_clock::now();
  FUFI_CHECK(o.batch > 0, UsageError, "--batch must be positive, got {}", o.batch);
  FUFI_CHECK(o.device == "cpu", UsageError, "--device {}: inference runs on the CPU in this build", o.device);
  FUFI_CHECK(o.channels_last == "auto" || o.channels_last == "true" || o.channels_last == "false", UsageError,
             "--channels-last: unknown value '{}' (auto, true, false)", o.channels_last);
  torch::set_num_threads(o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  set_flush_denormal(true);  // as training's default (device.h): subnormal arithmetic is ~100x slower

  CheckpointMeta meta;
  auto model = load_model_from_checkpoint(o.checkpoint, &meta);
  model->eval();
  const auto& spec = meta.spec;

  data::NpyReadOptions finite;
  finite.allow_nonfinite = false;
  data::NpyArray x = data::read_npy(o.coarse, finite);
  const bool three_d = x.ndim() == 3;
  if (three_d) x.shape.insert(x.shape.begin() + 1, 1);
  FUFI_CHECK(x.ndim() == 4, InputError, "{}: expected shape (N,h,w) or (N,C,h,w), got {}", o.coarse,
             data::shape_to_string(x.shape));
  FUFI_CHECK(x.shape[1] == spec.flow_channels && x.shape[2] == spec.coarse_h && x.shape[3] == spec.coarse_w, InputError,
             "{}: shape {} does not fit the checkpoint's model ({} channel(s), {}x{} coarse grid)", o.coarse,
             data::shape_to_string(x.shape), spec.flow_channels, spec.coarse_h, spec.coarse_w);
  for (float v : x.values)
    FUFI_CHECK(v >= 0, InputError, "{}: negative flow {} (flows are counts)", o.coarse, v);
  const std::int64_t n = x.shape[0];

  torch::Tensor ext;
  if (spec.ext_dim > 0) {
    FUFI_CHECK(!o.ext.empty(), UsageError, "--ext: the model in {} was trained with external factors; pass ext.npy",
               o.checkpoint);
    data::NpyArray e = data::read_npy(o.ext, finite);
    data::validate_ext(e, o.ext);
    FUFI_CHECK(e.shape[0] == n, InputError, "{}: {} rows but {} has {} samples", o.ext, e.shape[0], o.coarse, n);
    ext = torch::from_blob(e.values.data(), {n, 7}, torch::kFloat32).clone();
    const auto hours = ext.select(1, 5);
    const auto lo = hours.min().item<float>(), hi = hours.max().item<float>();
    FUFI_CHECK(lo >= spec.hour_offset && hi < spec.hour_offset + spec.hour_slots, InputError,
               "{}: hours {}..{} are outside the model's trained range {}..{}", o.ext, lo, hi, spec.hour_offset,
               spec.hour_offset + spec.hour_slots - 1);
  } else {
    FUFI_CHECK(o.ext.empty(), UsageError, "--ext: the model in {} was trained without external factors", o.checkpoint);
  }

  auto coarse = torch::from_blob(x.values.data(), x.shape, torch::kFloat32).clone();
  const MemoryFormatChoice format = choose_format(o, meta, *model, coarse, ext);
  const std::int64_t H = spec.fine_h(), W = spec.fine_w();
  auto fine = torch::empty({n, spec.flow_channels, H, W}, torch::kFloat32);
  {
    c10::InferenceMode guard;
    for (std::int64_t s = 0; s < n; s += o.batch) {
      const std::int64_t e = std::min(n, s + o.batch);
      auto xb = coarse.slice(0, s, e) / meta.scaler_x;
      if (format.channels_last) xb = xb.contiguous(torch::MemoryFormat::ChannelsLast);
      auto eb = ext.defined() ? ext.slice(0, s, e) : torch::Tensor();
      fine.slice(0, s, e).copy_(model->forward({xb, eb}).fine.to(torch::kFloat32) * meta.scaler_y);
    }
  }
  InferenceSummary summary;
  summary.model = meta.model;
  summary.samples = n;
  summary.max_block_sum_error =
      n > 0 ? (model::block_sum(fine, spec.upscale) - coarse).abs().max().item<double>() : 0.0;
  summary.out_shape = three_d ? std::vector<std::int64_t>{n, H, W} : std::vector<std::int64_t>{n, spec.flow_channels, H, W};
  fine = fine.contiguous();
  data::write_npy(o.out, summary.out_shape, fine.data_ptr<float>());
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.memory_format = format.channels_last ? "channels_last" : "contiguous";
  summary.memory_format_source = format.source;
  return summary;
}

}  // namespace fufi::worker
