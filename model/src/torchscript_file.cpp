// Reading a TorchScript file: its bytes, their SHA-256, the archive's format version and the module
// (see torchscript_file.h for why this lives in model/).
#include "torchscript_file.h"

#include <caffe2/serialize/versions.h>
#include <torch/version.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <vector>

#include "fufi/core/error.h"
#include "fufi/core/sha256.h"

namespace fs = std::filesystem;

namespace fufi::model::detail {

namespace {

std::string read_bytes(const std::string& path) {
  std::error_code ec;
  FUFI_CHECK(fs::exists(path, ec), InputError, "{}: the TorchScript file does not exist", path);
  FUFI_CHECK(!fs::is_directory(path, ec), InputError, "{}: is a directory, not a TorchScript file", path);
  std::ifstream in(path, std::ios::binary);
  FUFI_CHECK(in, InputError, "{}: cannot open the TorchScript file", path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  FUFI_CHECK(!in.bad(), InputError, "{}: error while reading the TorchScript file", path);
  return std::move(bytes).str();
}

// --- the zip directory --------------------------------------------------------------------------------
// LibTorch's own reader (caffe2::serialize::PyTorchStreamReader) refuses a file whose format version is
// newer than it reads before it hands out any record, so the version of exactly the files that need a clear
// message cannot be had from it. Every PyTorch writer stores the records uncompressed, so one record needs
// only the zip's central directory (PKWARE APPNOTE.TXT 4.3.12-4.3.16, with the ZIP64 records of 4.3.14-15);
// a zip library would be a new dependency on every machine, the GPU machines' carried prefix included.

struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;  // 0: stored
  std::uint64_t size = 0;    // compressed size (= size when stored)
  std::uint64_t local_header = 0;
};

// Little-endian fields, bounds-checked: nullopt past the end.
struct Bytes {
  const std::string& b;
  std::optional<std::uint64_t> le(std::uint64_t at, int width) const {
    if (at > b.size() || b.size() - at < static_cast<std::uint64_t>(width)) return std::nullopt;
    std::uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::uint64_t>(i)]);
    return v;
  }
};

constexpr std::uint32_t kEndOfDirectory = 0x06054b50, kZip64Locator = 0x07064b50, kZip64End = 0x06064b50,
                        kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;

// nullopt when the bytes are not a zip archive (or a damaged one).
std::optional<std::vector<ZipEntry>> zip_directory(const std::string& bytes) {
  const Bytes z{bytes};
  if (bytes.size() < 22) return std::nullopt;
  // The end-of-directory record is the last 22 bytes plus a comment of at most 65535.
  std::optional<std::uint64_t> eocd;
  const std::uint64_t last = bytes.size() - 22;
  const std::uint64_t first = last > 65535 ? last - 65535 : 0;
  for (std::uint64_t at = last + 1; at-- > first;)
    if (z.le(at, 4) == kEndOfDirectory) {
      eocd = at;
      break;
    }
  if (!eocd) return std::nullopt;
  std::uint64_t entries = *z.le(*eocd + 10, 2), offset = *z.le(*eocd + 16, 4);
  if (entries == 0xFFFF || offset == 0xFFFFFFFF) {
    if (*eocd < 20 || z.le(*eocd - 20, 4) != kZip64Locator) return std::nullopt;
    const auto end64 = z.le(*eocd - 20 + 8, 8);
    if (!end64 || z.le(*end64, 4) != kZip64End) return std::nullopt;
    const auto e = z.le(*end64 + 32, 8), o = z.le(*end64 + 48, 8);
    if (!e || !o) return std::nullopt;
    entries = *e;
    offset = *o;
  }
  std::vector<ZipEntry> out;
  std::uint64_t at = offset;
  for (std::uint64_t i = 0; i < entries; ++i) {
    if (z.le(at, 4) != kDirectoryEntry) return std::nullopt;
    const auto method = z.le(at + 10, 2), compressed = z.le(at + 20, 4), uncompressed = z.le(at + 24, 4);
    const auto name_length = z.le(at + 28, 2), extra_length = z.le(at + 30, 2), comment_length = z.le(at + 32, 2);
    const auto local = z.le(at + 42, 4);
    if (!method || !compressed || !uncompressed || !name_length || !extra_length || !comment_length || !local)
      return std::nullopt;
    const std::uint64_t name_at = at + 46;
    if (name_at + *name_length + *extra_length > bytes.size()) return std::nullopt;
    ZipEntry e;
    e.name = bytes.substr(name_at, *name_length);
    e.method = static_cast<std::uint16_t>(*method);
    e.size = *compressed;
    e.local_header = *local;
    // ZIP64 extended information (header 0x0001): the 8-byte values of the fields that read 0xFFFFFFFF, in
    // the order uncompressed size, compressed size, local header offset.
    for (std::uint64_t x = name_at + *name_length; x + 4 <= name_at + *name_length + *extra_length;) {
      const auto id = *z.le(x, 2), length = *z.le(x + 2, 2);
      if (id == 0x0001) {
        std::uint64_t field = x + 4;
        if (*uncompressed == 0xFFFFFFFF) field += 8;
        if (*compressed == 0xFFFFFFFF) {
          e.size = z.le(field, 8).value_or(0);
          field += 8;
        }
        if (*local == 0xFFFFFFFF) e.local_header = z.le(field, 8).value_or(0);
      }
      x += 4 + length;
    }
    out.push_back(std::move(e));
    at = name_at + *name_length + *extra_length + *comment_length;
  }
  return out;
}

// A stored record's bytes; nullopt when it is compressed or out of bounds.
std::optional<std::string> stored_record(const std::string& bytes, const ZipEntry& e) {
  const Bytes z{bytes};
  if (e.method != 0 || z.le(e.local_header, 4) != kLocalHeader) return std::nullopt;
  const auto name_length = z.le(e.local_header + 26, 2), extra_length = z.le(e.local_header + 28, 2);
  if (!name_length || !extra_length) return std::nullopt;
  const std::uint64_t data = e.local_header + 30 + *name_length + *extra_length;
  if (data > bytes.size() || bytes.size() - data < e.size) return std::nullopt;
  return bytes.substr(data, e.size);
}

// The record name below the archive's top directory ("archive/code/m.py" -> "code/m.py").
std::string record_name(const std::string& name) {
  const auto slash = name.find('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

struct ArchiveSummary {
  std::int64_t format_version = 0;  // 0: no readable version record
  bool has_code = false;            // code/…: TorchScript source
  bool has_data_pickle = false;     // data.pkl: every torch.save() and torch.jit.save() archive
  bool has_constants = false;       // constants.pkl: torch.jit.save() only
};

ArchiveSummary summarise(const std::string& bytes, const std::vector<ZipEntry>& entries) {
  ArchiveSummary s;
  const ZipEntry* version = nullptr;
  for (const auto& e : entries) {
    const std::string r = record_name(e.name);
    if (r == ".data/version" || (r == "version" && !version)) version = &e;
    if (r.rfind("code/", 0) == 0) s.has_code = true;
    if (r == "data.pkl") s.has_data_pickle = true;
    if (r == "constants.pkl") s.has_constants = true;
  }
  if (version) {
    if (auto text = stored_record(bytes, *version)) {
      std::int64_t v = 0;
      std::istringstream in(*text);
      if (in >> v && v > 0) s.format_version = v;
    }
  }
  return s;
}

std::string libtorch_version() { return TORCH_VERSION; }

}  // namespace

std::string error_reason(const std::string& what) {
  std::istringstream in(what);
  std::string first, reason;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (first.empty()) first = line;
    if (line.find("Error: ") != std::string::npos) reason = line;
  }
  return reason.empty() ? first : reason;
}

std::string file_sha256(const std::string& path) {
  struct Key {
    std::string path;
    std::uintmax_t size;
    fs::file_time_type::rep mtime;
    bool operator<(const Key& o) const { return std::tie(path, size, mtime) < std::tie(o.path, o.size, o.mtime); }
  };
  static std::mutex mutex;
  static std::map<Key, std::string> cache;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const auto mtime = ec ? fs::file_time_type{} : fs::last_write_time(path, ec);
  // A file modified in the last seconds is hashed again every time: file times are as coarse as the kernel's
  // clock tick, so a rewrite of the same size within one tick would otherwise keep its old hash (git's
  // "racily clean" problem).
  if (ec || fs::file_time_type::clock::now() - mtime < std::chrono::seconds(2))
    return sha256_hex(read_bytes(path));  // read_bytes names any problem
  const Key key{fs::absolute(path).lexically_normal().string(), size, mtime.time_since_epoch().count()};
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  std::string digest = sha256_hex(read_bytes(path));
  std::lock_guard<std::mutex> lock(mutex);
  cache[key] = digest;
  return digest;
}

TorchScriptFile load_torchscript_file(const std::string& path) {
  TorchScriptFile f;
  f.path = path;
  const std::string bytes = read_bytes(path);
  f.sha256 = sha256_hex(bytes);
  const auto entries = zip_directory(bytes);
  FUFI_CHECK(entries.has_value(), InputError,
             "{}: not a TorchScript file (not a zip archive); save the module from PyTorch with "
             "torch.jit.script(model).save(PATH) (docs/BYO_MODEL.md)",
             path);
  const ArchiveSummary archive = summarise(bytes, *entries);
  f.format_version = static_cast<std::uint64_t>(archive.format_version);
  FUFI_CHECK(archive.has_code || archive.has_constants || !archive.has_data_pickle, InputError,
             "{}: a torch.save() file (a pickled object such as a state_dict), not a TorchScript module; save the "
             "module itself with torch.jit.script(model).save(PATH) (docs/BYO_MODEL.md)",
             path);
  FUFI_CHECK(archive.has_code, InputError,
             "{}: a zip archive without TorchScript code (no code/ records), not a TorchScript module; save the "
             "module with torch.jit.script(model).save(PATH) (docs/BYO_MODEL.md)",
             path);
  const auto max_version = static_cast<std::int64_t>(caffe2::serialize::kMaxSupportedFileFormatVersion);
  const auto min_version = static_cast<std::int64_t>(caffe2::serialize::kMinSupportedFileFormatVersion);
  FUFI_CHECK(archive.format_version <= max_version, InputError,
             "{}: saved by a newer PyTorch than this fufi's LibTorch {}: the file's format version is {} (its "
             "version record), LibTorch {} reads format versions {} to {}; save the module with a PyTorch no newer "
             "than {}, or build fufi against a newer LibTorch",
             path, libtorch_version(), archive.format_version, libtorch_version(), min_version, max_version,
             libtorch_version());
  std::istringstream in(bytes);
  try {
    f.module = torch::jit::load(in, torch::kCPU);
  } catch (const std::exception& e) {
    const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
    FUFI_THROW(InputError,
               "{}: LibTorch {} cannot load this TorchScript module (format version {}): {}; if a newer PyTorch saved "
               "it, it may use operators or types LibTorch {} lacks",
               path, libtorch_version(), archive.format_version, error_reason(c10_error ? c10_error->what_without_backtrace() : e.what()),
               libtorch_version());
  }
  return f;
}

}  // namespace fufi::model::detail
