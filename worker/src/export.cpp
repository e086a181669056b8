#include "fufi/worker/export.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <filesystem>
#include <string>

#include "fufi/core/atomic_file.h"
#include "fufi/core/error.h"
#include "fufi/worker/checkpoint.h"

namespace fufi::worker {

ExportSummary export_state_dict(const std::string& checkpoint, const std::string& out) {
  // The user's mistakes in --out are usage errors (exit 2), found before the checkpoint is read.
  const auto parent = std::filesystem::path(out).parent_path();
  FUFI_CHECK(parent.empty() || std::filesystem::is_directory(parent), InputError,
             "{}: cannot write the state_dict: the directory {} does not exist", out, parent.string());
  checked_output_path(out);  // refuses a directory, device, FIFO or socket at `out`
  CheckpointMeta meta;
  auto model = load_model_from_checkpoint(checkpoint, &meta);
  ExportSummary summary;
  summary.model = meta.model;
  summary.parameters = model::count_parameters(*model);

  c10::Dict<std::string, at::Tensor> state;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    state.insert(name, t.detach().to(torch::kCPU).contiguous());
    ++summary.tensors;
  };
  for (const auto& p : model->named_parameters(/*recurse=*/true)) add(p.key(), p.value());
  for (const auto& b : model->named_buffers(/*recurse=*/true)) add(b.key(), b.value());

  // What torch::pickle_save does, but without type tags on the dict: a tagged dict unpickles only through
  // torch.jit._pickle.restore_type_tag, which torch.load(weights_only=True) (the default from PyTorch 2.6)
  // refuses. An untagged dict of tensors is exactly what Python's torch.save(dict) writes.
  std::vector<char> pickle;
  torch::jit::Pickler pickler([&](const char* bytes, std::size_t n) { pickle.insert(pickle.end(), bytes, bytes + n); },
                              /*tensor_table=*/nullptr, /*type_renamer=*/nullptr, /*memoized_class_types=*/nullptr,
                              /*get_tensor_id=*/nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(state);
  pickler.stop();

  // Serialised in memory, then written by core's one atomic writer (a full disk or a special file at `out` is
  // a clear error, never a torn file under the real name).
  std::string bytes;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, std::size_t n) -> std::size_t {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  try {
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    // Record names are the pickler's persistent ids: the tensors' positions in its table.
    const auto& tensors = pickler.tensorData();
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const auto data = torch::jit::getWriteableTensorData(tensors[i]);
      writer.writeRecord("data/" + std::to_string(i), data.data(), data.sizeInBytes());
    }
    writer.writeEndOfFile();
  } catch (const c10::Error& e) {
    FUFI_THROW(RuntimeError, "{}: cannot serialise the state_dict: {}", out,
               std::string(e.what()).substr(0, std::string(e.what()).find('\n')));
  }
  write_file_atomically(out, bytes);
  return summary;
}

}  // namespace fufi::worker
