#include "fufi/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "fufi/core/error.h"

namespace fs = std::filesystem;

namespace fufi::data {

namespace {

// (N,h,w) -> (N,1,h,w); 4-D arrays pass; anything else is an error naming the file.
void to_nchw(NpyArray& a, const std::string& file) {
  if (a.ndim() == 3) {
    a.shape.insert(a.shape.begin() + 1, 1);
  } else if (a.ndim() != 4) {
    FUFI_THROW(InputError, "{}: expected shape (N,H,W) or (N,C,H,W), got {}", file, shape_to_string(a.shape));
  }
}

// A flow array (N,C,H,W) holds finite, non-negative counts. The first bad value is located as the user
// indexes it (sample, channel, row, col), not by its flat offset in the file.
void check_nonnegative_finite(const NpyArray& a, const std::string& file) {
  const std::int64_t C = a.shape[1], H = a.shape[2], W = a.shape[3];
  auto where = [&](std::size_t flat) {
    const auto i = static_cast<std::int64_t>(flat);
    return fmt::format("sample {}, channel {}, row {}, col {}", i / (C * H * W), (i / (H * W)) % C, (i / W) % H, i % W);
  };
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    float v = a.values[i];
    if (!std::isfinite(v)) FUFI_THROW(InputError, "{}: non-finite value {} at {}", file, v, where(i));
    if (v < 0) FUFI_THROW(InputError, "{}: negative flow {} at {}", file, v, where(i));
  }
}

}  // namespace

const SplitArrays& FufiData::split(const std::string& name) const {
  auto it = splits.find(name);
  if (it == splits.end()) FUFI_THROW(UsageError, "{}: split '{}' was not loaded", dir, name);
  return it->second;
}

void validate_ext(const NpyArray& ext, const std::string& file) {
  if (ext.ndim() != 2) FUFI_THROW(InputError, "{}: expected shape (N,7), got {}", file, shape_to_string(ext.shape));
  if (ext.shape[1] != 7)
    FUFI_THROW(InputError, "{}: expected 7 external-factor columns (TaxiBJ encoding), got {}", file, ext.shape[1]);
  struct Col {
    int index;
    const char* name;
    float lo, hi;
  };
  const Col integer_cols[] = {{4, "day of week", 0, 7}, {5, "hour", 0, 23}, {6, "weather", 0, 17}};
  const std::int64_t n = ext.shape[0];
  for (std::int64_t i = 0; i < n; ++i) {
    for (int c = 0; c < 7; ++c) {
      float v = ext.values[static_cast<std::size_t>(i * 7 + c)];
      if (!std::isfinite(v)) FUFI_THROW(InputError, "{}: non-finite value in row {}, column {}", file, i, c);
    }
    for (const auto& col : integer_cols) {
      float v = ext.values[static_cast<std::size_t>(i * 7 + col.index)];
      if (v != std::round(v) || v < col.lo || v > col.hi)
        FUFI_THROW(InputError, "{}: row {}, column {} ({}): {} is not an integer in [{}, {}]", file, i, col.index,
                   col.name, v, col.lo, col.hi);
    }
  }
}

std::vector<std::string> ext_range_warnings(const NpyArray& ext, const std::string& file) {
  std::vector<std::string> out;
  if (ext.ndim() != 2 || ext.shape[1] != 7) return out;
  // The TaxiBJ encoding min-max scales temperature and wind to 0..1 and holds holiday and weekend as 0/1
  // flags; models feed these columns raw, so raw units (°C, mph) would silently dominate the embedding MLP.
  const char* names[] = {"temperature", "wind speed", "holiday", "weekend"};
  const std::int64_t n = ext.shape[0];
  for (int c = 0; c < 4; ++c) {
    float lo = 0, hi = 0;
    std::int64_t outside = 0, first = -1;
    for (std::int64_t i = 0; i < n; ++i) {
      const float v = ext.values[static_cast<std::size_t>(i * 7 + c)];
      lo = i == 0 ? v : std::min(lo, v);
      hi = i == 0 ? v : std::max(hi, v);
      if (v < 0 || v > 1) {
        ++outside;
        if (first < 0) first = i;
      }
    }
    if (outside > 0)
      out.push_back(fmt::format(
          "{}: column {} ({}) ranges {:.4g}..{:.4g}, outside the documented 0..1 scaling in {} of {} rows (first: row "
          "{}); scale it to 0..1 (docs/DATA.md)",
          file, c, names[c], lo, hi, outside, n, first));
  }
  return out;
}

ConstraintReport check_constraint(const NpyArray& X, const NpyArray& Y, std::int64_t s, const std::string& split) {
  ConstraintReport r;
  const std::int64_t n = X.shape[0], c = X.shape[1], h = X.shape[2], w = X.shape[3];
  const std::int64_t H = h * s, W = w * s;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t ch = 0; ch < c; ++ch) {
      const float* fine = Y.values.data() + (i * c + ch) * H * W;
      const float* coarse = X.values.data() + (i * c + ch) * h * w;
      for (std::int64_t a = 0; a < h; ++a) {
        for (std::int64_t b = 0; b < w; ++b) {
          double sum = 0;
          for (std::int64_t u = 0; u < s; ++u)
            for (std::int64_t v = 0; v < s; ++v) sum += fine[(a * s + u) * W + b * s + v];
          double x = coarse[a * w + b];
          double abs_err = std::fabs(sum - x);
          double rel_err = abs_err / std::max(1.0, std::fabs(x));
          r.max_abs = std::max(r.max_abs, abs_err);
          if (rel_err > r.max_rel) {
            r.max_rel = rel_err;
            r.split = split;
            r.sample = i;
            r.channel = ch;
            r.row = a;
            r.col = b;
          }
        }
      }
    }
  }
  return r;
}

namespace {

// The grid of one split: C, the coarse h x w, and one integer upscale factor >= 2 from X's and Y's shapes.
DataLayout grid_layout(const NpyArray& X, const NpyArray& Y, const std::string& fx, const std::string& fy) {
  DataLayout layout;
  layout.flow_channels = X.shape[1];
  layout.coarse_h = X.shape[2];
  layout.coarse_w = X.shape[3];
  if (layout.coarse_h == 0 || layout.coarse_w == 0) FUFI_THROW(InputError, "{}: empty spatial grid", fx);
  const std::int64_t H = Y.shape[2], W = Y.shape[3];
  if (H % layout.coarse_h != 0 || W % layout.coarse_w != 0 || H / layout.coarse_h != W / layout.coarse_w)
    FUFI_THROW(InputError, "{}: fine grid {}x{} is not one integer multiple of the coarse grid {}x{} of {}", fy, H, W,
               layout.coarse_h, layout.coarse_w, fx);
  layout.upscale = H / layout.coarse_h;
  if (layout.upscale < 2)
    FUFI_THROW(InputError, "{}: fine grid {}x{} must be at least twice the coarse grid {}x{}", fy, H, W,
               layout.coarse_h, layout.coarse_w);
  return layout;
}

// Every split has the first split's grid, and ext.npy in all or none of them.
void check_same_layout(const DataLayout& layout, const DataLayout& L, const std::string& base, const std::string& split) {
  if (layout.flow_channels != L.flow_channels || layout.coarse_h != L.coarse_h || layout.coarse_w != L.coarse_w ||
      layout.upscale != L.upscale)
    FUFI_THROW(InputError, "{}: split '{}' has C={} {}x{} x{}, unlike the earlier splits' C={} {}x{} x{}", base, split,
               layout.flow_channels, layout.coarse_h, layout.coarse_w, layout.upscale, L.flow_channels, L.coarse_h,
               L.coarse_w, L.upscale);
  if (layout.ext_dim != L.ext_dim)
    FUFI_THROW(InputError, "{}: ext.npy is {} in split '{}' but {} in the earlier splits", base,
               layout.ext_dim ? "present" : "absent", split, L.ext_dim ? "present" : "absent");
}

}  // namespace

FufiData load_fufi_data(const std::string& dir, const LoadOptions& options) {
  if (!fs::is_directory(dir)) FUFI_THROW(InputError, "{}: dataset directory does not exist", dir);
  FufiData data;
  data.dir = dir;
  bool first = true;
  // Non-finite values are located below, by sample and cell (X, Y) or row and named column (ext).
  NpyReadOptions any_value;
  for (const auto& split : options.splits) {
    if (std::find(split_names().begin(), split_names().end(), split) == split_names().end())
      FUFI_THROW(UsageError, "unknown split '{}' (train, valid, test)", split);
    const std::string base = (fs::path(dir) / split).string();
    const std::string fx = base + "/X.npy", fy = base + "/Y.npy", fe = base + "/ext.npy";
    for (const auto& f : {fx, fy})
      if (!fs::exists(f)) FUFI_THROW(InputError, "{}: missing (a FUFI dataset needs {}/{{X,Y}}.npy)", f, split);

    SplitArrays s;
    s.name = split;
    s.X = read_npy(fx, any_value);
    s.Y = read_npy(fy, any_value);
    to_nchw(s.X, fx);
    to_nchw(s.Y, fy);
    check_nonnegative_finite(s.X, fx);
    check_nonnegative_finite(s.Y, fy);
    const std::int64_t n = s.X.shape[0];
    if (s.Y.shape[0] != n) FUFI_THROW(InputError, "{}: {} samples but {} has {}", fy, s.Y.shape[0], fx, n);
    if (s.Y.shape[1] != s.X.shape[1])
      FUFI_THROW(InputError, "{}: {} channels but {} has {}", fy, s.Y.shape[1], fx, s.X.shape[1]);

    DataLayout layout = grid_layout(s.X, s.Y, fx, fy);

    if (fs::exists(fe)) {
      s.ext = read_npy(fe, any_value);
      validate_ext(s.ext, fe);
      for (auto& w : ext_range_warnings(s.ext, fe)) {
        if (options.strict) FUFI_THROW(InputError, "{} (refused: strict)", w);
        data.warnings.push_back(std::move(w));
      }
      if (s.ext.shape[0] != n) FUFI_THROW(InputError, "{}: {} rows but {} has {} samples", fe, s.ext.shape[0], fx, n);
      layout.ext_dim = s.ext.shape[1];
    }

    if (first) {
      data.layout = layout;
      first = false;
    } else {
      check_same_layout(layout, data.layout, base, split);
    }

    auto report = check_constraint(s.X, s.Y, layout.upscale, split);
    if (report.max_rel > data.constraint.max_rel || data.constraint.split.empty()) {
      double keep_abs = std::max(report.max_abs, data.constraint.max_abs);
      data.constraint = report;
      data.constraint.max_abs = keep_abs;
    } else {
      data.constraint.max_abs = std::max(report.max_abs, data.constraint.max_abs);
    }
    data.splits.emplace(split, std::move(s));
  }

  const auto& c = data.constraint;
  if (!c.holds(options.constraint_tolerance)) {
    std::string msg = fmt::format(
        "{}: spatial constraint violated: largest relative error {:.3g} (absolute {:.3g}) in split '{}', sample {}, "
        "channel {}, coarse cell ({}, {})",
        dir, c.max_rel, c.max_abs, c.split, c.sample, c.channel, c.row, c.col);
    if (options.strict) FUFI_THROW(InputError, "{}", msg);
    data.warnings.push_back(msg);
  }
  return data;
}

std::string resolve_task_dir(const std::string& root, const std::string& task) {
  if (!fs::is_directory(root)) FUFI_THROW(InputError, "{}: data directory does not exist", root);
  if (!task.empty()) {
    auto p = fs::path(root) / task;
    if (fs::is_directory(p)) return p.string();
    auto tasks = list_tasks(root);
    std::string have;
    for (const auto& t : tasks) have += (have.empty() ? "" : ", ") + t;
    FUFI_THROW(InputError, "{}: no task '{}' (tasks here: {})", root, task, have.empty() ? "none" : have);
  }
  if (fs::is_directory(fs::path(root) / "train")) return root;
  FUFI_THROW(InputError, "{}: neither a dataset (train/ missing) nor given a task", root);
}

std::vector<std::string> list_tasks(const std::string& root) {
  std::vector<std::string> out;
  if (!fs::is_directory(root)) return out;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory() && fs::exists(entry.path() / "train" / "X.npy")) out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// Samples [begin, end) of the concatenation of `parts` (arrays of equal trailing shape).
NpyArray slice_concatenated(const std::vector<const NpyArray*>& parts, std::int64_t begin, std::int64_t end) {
  NpyArray out;
  out.shape = parts.front()->shape;
  out.shape[0] = end - begin;
  out.source_dtype = parts.front()->source_dtype;
  std::int64_t offset = 0;
  for (const NpyArray* a : parts) {
    const std::int64_t n = a->shape[0];
    const std::size_t per = n > 0 ? a->values.size() / static_cast<std::size_t>(n) : 0;
    const std::int64_t lo = std::max(begin, offset), hi = std::min(end, offset + n);
    if (lo < hi)
      out.values.insert(out.values.end(), a->values.begin() + static_cast<std::ptrdiff_t>((lo - offset) * per),
                        a->values.begin() + static_cast<std::ptrdiff_t>((hi - offset) * per));
    offset += n;
  }
  return out;
}

}  // namespace

void resplit_chronological(FufiData& data, int train_parts, int valid_parts, int test_parts) {
  FUFI_CHECK(train_parts > 0 && valid_parts > 0 && test_parts > 0, UsageError,
             "split: ratio parts must be positive, got {}:{}:{}", train_parts, valid_parts, test_parts);
  for (const auto& name : split_names())
    FUFI_CHECK(data.splits.count(name), InputError, "{}: re-splitting needs the {} split", data.dir, name);
  std::vector<const SplitArrays*> parts;
  std::int64_t total = 0;
  for (const auto& name : split_names()) {
    parts.push_back(&data.splits.at(name));
    total += parts.back()->size();
  }
  const int whole = train_parts + valid_parts + test_parts;
  const std::int64_t n_train = total * train_parts / whole, n_valid = total * valid_parts / whole;
  FUFI_CHECK(n_train > 0 && n_valid > 0 && total - n_train - n_valid > 0, InputError,
             "{}: {} samples are too few for a {}:{}:{} split", data.dir, total, train_parts, valid_parts, test_parts);
  const bool has_ext = !parts.front()->ext.shape.empty();
  auto field = [&](auto member) {
    std::vector<const NpyArray*> arrays;
    for (const auto* p : parts) arrays.push_back(&(p->*member));
    return arrays;
  };
  const auto xs = field(&SplitArrays::X), ys = field(&SplitArrays::Y), exts = field(&SplitArrays::ext);
  const std::int64_t bounds[4] = {0, n_train, n_train + n_valid, total};
  std::map<std::string, SplitArrays> resplit;
  for (std::size_t i = 0; i < split_names().size(); ++i) {
    SplitArrays s;
    s.name = split_names()[i];
    s.X = slice_concatenated(xs, bounds[i], bounds[i + 1]);
    s.Y = slice_concatenated(ys, bounds[i], bounds[i + 1]);
    if (has_ext) s.ext = slice_concatenated(exts, bounds[i], bounds[i + 1]);
    resplit.emplace(s.name, std::move(s));
  }
  data.splits = std::move(resplit);
}

}  // namespace fufi::data

