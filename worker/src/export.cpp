#include "fufi/worker/export.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "fufi/core/error.h"
#include "fufi/worker/checkpoint.h"

namespace fufi::worker {

ExportSummary export_state_dict(const std::string& checkpoint, const std::string& out) {
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

  const std::string tmp = out + ".tmp";
  std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
  FUFI_CHECK(file, InputError, "{}: cannot write the state_dict: {}", out, std::strerror(errno));
  caffe2::serialize::PyTorchStreamWriter writer(
      [&](const void* bytes, std::size_t n) -> std::size_t {
        file.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(n));
        return file ? n : 0;
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
    std::remove(tmp.c_str());
    FUFI_THROW(InputError, "{}: cannot write the state_dict: {}", out,
               std::string(e.what()).substr(0, std::string(e.what()).find('\n')));
  }
  file.close();
  if (!file || std::rename(tmp.c_str(), out.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    FUFI_THROW(InputError, "{}: cannot write the state_dict: {}", out, reason);
  }
  return summary;
}

}  // namespace fufi::worker
