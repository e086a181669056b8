#include "fufi/data/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "fufi/core/error.h"

namespace fufi::data {

namespace {

double quantile_sorted(const std::vector<float>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{}", v);
}

std::string shape_json(const std::vector<std::int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string value_stats_json(const ValueStats& v) {
  return fmt::format(
      "{{\"count\": {}, \"min\": {}, \"max\": {}, \"mean\": {}, \"zero_fraction\": {}, \"p50\": {}, \"p90\": {}, "
      "\"p99\": {}, \"p999\": {}, \"nonzero_median\": {}, \"nonzero_p99\": {}, \"nonzero_p999\": {}}}",
      v.count, json_number(v.min), json_number(v.max), json_number(v.mean), json_number(v.zero_fraction),
      json_number(v.p50), json_number(v.p90), json_number(v.p99), json_number(v.p999), json_number(v.nonzero_median),
      json_number(v.nonzero_p99), json_number(v.nonzero_p999));
}

// Flow-weighted within-block shares (Σ_t fine_t / Σ_t block_t) accumulated per key (a key is one hour of
// day, or the single static key 0). Layout of one key's table: (C, H, W) fine cells, (C, h, w) blocks.
class ShareTable {
 public:
  ShareTable(const DataLayout& layout, std::size_t keys)
      : layout_(layout),
        fine_cells_(static_cast<std::size_t>(layout.flow_channels * layout.fine_h() * layout.fine_w())),
        blocks_(static_cast<std::size_t>(layout.flow_channels * layout.coarse_h * layout.coarse_w)),
        numerator_(keys * fine_cells_, 0.0),
        denominator_(keys * blocks_, 0.0) {}

  // One sample: fine (C,H,W) and its coarse map (C,h,w); the coarse map is the block sum (checked on load).
  void add(std::size_t key, const float* fine, const float* coarse) {
    double* num = numerator_.data() + key * fine_cells_;
    double* den = denominator_.data() + key * blocks_;
    for (std::size_t i = 0; i < fine_cells_; ++i) num[i] += fine[i];
    for (std::size_t b = 0; b < blocks_; ++b) den[b] += coarse[b];
  }

  // The share of every fine cell under `key`; where the key's block never carried flow, `fallback`'s
  // share (or 1/s² when there is no fallback).
  std::vector<double> shares(std::size_t key, const std::vector<double>* fallback) const {
    const std::int64_t s = layout_.upscale, h = layout_.coarse_h, w = layout_.coarse_w;
    const std::int64_t H = layout_.fine_h(), W = layout_.fine_w();
    const double uniform = 1.0 / static_cast<double>(s * s);
    std::vector<double> out(fine_cells_);
    const double* num = numerator_.data() + key * fine_cells_;
    const double* den = denominator_.data() + key * blocks_;
    for (std::int64_t c = 0; c < layout_.flow_channels; ++c)
      for (std::int64_t r = 0; r < H; ++r)
        for (std::int64_t q = 0; q < W; ++q) {
          const auto i = static_cast<std::size_t>((c * H + r) * W + q);
          const double d = den[static_cast<std::size_t>((c * h + r / s) * w + q / s)];
          out[i] = d > 0 ? num[i] / d : fallback ? (*fallback)[i] : uniform;
        }
    return out;
  }

 private:
  DataLayout layout_;
  std::size_t fine_cells_, blocks_;
  std::vector<double> numerator_, denominator_;
};

constexpr std::size_t kHours = 24;

std::size_t hour_of(const NpyArray& ext, std::int64_t sample) {
  const double v = ext.values[static_cast<std::size_t>(sample * ext.shape[1] + 5)];
  return static_cast<std::size_t>(std::clamp(std::lround(v), 0L, static_cast<long>(kHours - 1)));
}

}  // namespace

ContextStats context_stats(const FufiData& data, const std::string& split) {
  ContextStats cs;
  cs.split = split;
  const auto train_it = data.splits.find("train"), eval_it = data.splits.find(split);
  if (train_it == data.splits.end() || eval_it == data.splits.end()) {
    cs.note = fmt::format("needs the train and {} splits", split);
    return cs;
  }
  const SplitArrays& train = train_it->second;
  const SplitArrays& eval = eval_it->second;
  const DataLayout& L = data.layout;
  const std::int64_t s = L.upscale, h = L.coarse_h, w = L.coarse_w, H = L.fine_h(), W = L.fine_w();
  const auto fine_cells = static_cast<std::size_t>(L.flow_channels * H * W);
  const auto blocks = static_cast<std::size_t>(L.flow_channels * h * w);
  auto check_split = [&](const SplitArrays& sp) {
    FUFI_CHECK(sp.X.size() == static_cast<std::uint64_t>(sp.size()) * blocks &&
                   sp.Y.size() == static_cast<std::uint64_t>(sp.size()) * fine_cells,
               InputError, "{}/{}: X {} and Y {} do not match the dataset layout", data.dir, sp.name,
               shape_to_string(sp.X.shape), shape_to_string(sp.Y.shape));
  };
  check_split(train);
  check_split(eval);
  cs.available = train.size() > 0 && eval.size() > 0;
  if (!cs.available) {
    cs.note = fmt::format("the train or {} split is empty", split);
    return cs;
  }
  const bool has_ext = L.ext_dim > 0 && !train.ext.values.empty() && !eval.ext.values.empty();
  cs.by_hour_applicable = has_ext;
  if (!has_ext) cs.note = "no ext: the per-hour share and its gain are not applicable";

  ShareTable static_table(L, 1), hour_table(L, has_ext ? kHours : 0);
  std::vector<bool> hour_seen(kHours, false);
  for (std::int64_t i = 0; i < train.size(); ++i) {
    const float* fine = train.Y.values.data() + static_cast<std::size_t>(i) * fine_cells;
    const float* coarse = train.X.values.data() + static_cast<std::size_t>(i) * blocks;
    static_table.add(0, fine, coarse);
    if (has_ext) {
      const std::size_t hour = hour_of(train.ext, i);
      hour_table.add(hour, fine, coarse);
      hour_seen[hour] = true;
    }
  }
  const std::vector<double> static_share = static_table.shares(0, nullptr);
  std::vector<std::vector<double>> hour_share;
  if (has_ext) {
    for (std::size_t k = 0; k < kHours; ++k) {
      hour_share.push_back(hour_table.shares(k, &static_share));
      cs.train_hours += hour_seen[k];
    }
  }

  const double uniform = 1.0 / static_cast<double>(s * s);
  double err_uniform = 0, err_static = 0, err_hour = 0;
  for (std::int64_t i = 0; i < eval.size(); ++i) {
    const float* fine = eval.Y.values.data() + static_cast<std::size_t>(i) * fine_cells;
    const float* coarse = eval.X.values.data() + static_cast<std::size_t>(i) * blocks;
    const std::vector<double>* by_hour = has_ext ? &hour_share[hour_of(eval.ext, i)] : nullptr;
    for (std::int64_t c = 0; c < L.flow_channels; ++c)
      for (std::int64_t r = 0; r < H; ++r)
        for (std::int64_t q = 0; q < W; ++q) {
          const auto k = static_cast<std::size_t>((c * H + r) * W + q);
          const double x = coarse[static_cast<std::size_t>((c * h + r / s) * w + q / s)], y = fine[k];
          err_uniform += std::fabs(x * uniform - y);
          err_static += std::fabs(x * static_share[k] - y);
          if (by_hour) err_hour += std::fabs(x * (*by_hour)[k] - y);
        }
  }
  const double n = static_cast<double>(eval.size()) * static_cast<double>(fine_cells);
  cs.mae_uniform = err_uniform / n;
  cs.mae_static = err_static / n;
  cs.mae_by_hour = has_ext ? err_hour / n : kNaN;
  cs.static_over_uniform = cs.mae_uniform > 0 ? cs.mae_static / cs.mae_uniform : kNaN;
  cs.by_hour_gain = has_ext && cs.mae_static > 0 ? 1.0 - cs.mae_by_hour / cs.mae_static : kNaN;
  return cs;
}

ValueStats value_stats(const std::vector<float>& values) {
  ValueStats s;
  s.count = values.size();
  if (values.empty()) return s;
  std::vector<float> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  double sum = 0;
  std::uint64_t zeros = 0;
  for (float v : values) {
    sum += v;
    zeros += v == 0.0f;
  }
  s.mean = sum / static_cast<double>(values.size());
  s.zero_fraction = static_cast<double>(zeros) / static_cast<double>(values.size());
  s.p50 = quantile_sorted(sorted, 0.5);
  s.p90 = quantile_sorted(sorted, 0.9);
  s.p99 = quantile_sorted(sorted, 0.99);
  s.p999 = quantile_sorted(sorted, 0.999);
  std::vector<float> nonzero;
  for (float v : sorted)
    if (v != 0.0f) nonzero.push_back(v);
  s.nonzero_median = quantile_sorted(nonzero, 0.5);
  s.nonzero_p99 = quantile_sorted(nonzero, 0.99);
  s.nonzero_p999 = quantile_sorted(nonzero, 0.999);
  return s;
}

DatasetStats dataset_stats(const FufiData& data) {
  static const char* ext_names[] = {"temperature", "wind", "holiday", "weekend", "day_of_week", "hour", "weather"};
  DatasetStats st;
  st.dir = data.dir;
  st.layout = data.layout;
  st.constraint = data.constraint;
  for (const auto& name : split_names()) {
    auto it = data.splits.find(name);
    if (it == data.splits.end()) continue;
    const auto& sp = it->second;
    SplitStats ss;
    ss.split = name;
    ss.x_shape = sp.X.shape;
    ss.y_shape = sp.Y.shape;
    ss.ext_shape = sp.ext.shape;
    ss.coarse = value_stats(sp.X.values);
    ss.fine = value_stats(sp.Y.values);
    if (!sp.ext.values.empty()) {
      const std::int64_t n = sp.ext.shape[0], e = sp.ext.shape[1];
      for (std::int64_t c = 0; c < e; ++c) {
        ExtColumnStats cs;
        cs.name = c < 7 ? ext_names[c] : fmt::format("col{}", c);
        cs.min = 1e300;
        cs.max = -1e300;
        double sum = 0;
        std::set<float> distinct;
        for (std::int64_t i = 0; i < n; ++i) {
          const float v = sp.ext.values[static_cast<std::size_t>(i * e + c)];
          cs.min = std::min(cs.min, static_cast<double>(v));
          cs.max = std::max(cs.max, static_cast<double>(v));
          sum += v;
          if (distinct.size() < 1000) distinct.insert(v);
        }
        cs.mean = n ? sum / static_cast<double>(n) : 0;
        cs.distinct = static_cast<std::int64_t>(distinct.size());
        ss.ext.push_back(cs);
      }
    }
    st.splits.push_back(std::move(ss));
  }
  st.context = context_stats(data, "test");
  return st;
}

std::string stats_to_json(const std::vector<DatasetStats>& all) {
  std::string out = "[";
  for (std::size_t d = 0; d < all.size(); ++d) {
    const auto& st = all[d];
    out += fmt::format(
        "{}\n  {{\"dir\": \"{}\", \"channels\": {}, \"coarse\": [{}, {}], \"upscale\": {}, \"ext_dim\": {},\n"
        "   \"constraint\": {{\"max_abs\": {}, \"max_rel\": {}}},\n   \"splits\": [",
        d ? "," : "", st.dir, st.layout.flow_channels, st.layout.coarse_h, st.layout.coarse_w, st.layout.upscale,
        st.layout.ext_dim, json_number(st.constraint.max_abs), json_number(st.constraint.max_rel));
    for (std::size_t i = 0; i < st.splits.size(); ++i) {
      const auto& s = st.splits[i];
      out += fmt::format("{}\n    {{\"split\": \"{}\", \"X\": {}, \"Y\": {}, \"ext\": {},\n     \"coarse\": {},\n     \"fine\": {}",
                         i ? "," : "", s.split, shape_json(s.x_shape), shape_json(s.y_shape), shape_json(s.ext_shape),
                         value_stats_json(s.coarse), value_stats_json(s.fine));
      if (!s.ext.empty()) {
        out += ",\n     \"ext_columns\": [";
        for (std::size_t c = 0; c < s.ext.size(); ++c) {
          const auto& e = s.ext[c];
          out += fmt::format("{}{{\"name\": \"{}\", \"min\": {}, \"max\": {}, \"mean\": {}, \"distinct\": {}}}",
                             c ? ", " : "", e.name, json_number(e.min), json_number(e.max), json_number(e.mean),
                             e.distinct);
        }
        out += "]";
      }
      out += "}";
    }
    const auto& cx = st.context;
    out += fmt::format(
        "],\n   \"context\": {{\"split\": \"{}\", \"available\": {}, \"by_hour_applicable\": {}, \"mae_uniform\": {}, "
        "\"mae_static\": {}, \"mae_by_hour\": {}, \"static_over_uniform\": {}, \"by_hour_gain\": {}, "
        "\"train_hours\": {}, \"note\": \"{}\"}}}}",
        cx.split, cx.available, cx.by_hour_applicable, json_number(cx.available ? cx.mae_uniform : kNaN),
        json_number(cx.available ? cx.mae_static : kNaN), json_number(cx.available ? cx.mae_by_hour : kNaN),
        json_number(cx.available ? cx.static_over_uniform : kNaN), json_number(cx.available ? cx.by_hour_gain : kNaN),
        cx.train_hours, cx.note);
  }
  return out + "\n]\n";
}

std::string stats_to_table(const std::vector<DatasetStats>& all) {
  std::string out;
  for (const auto& st : all) {
    out += fmt::format("{}: C={} coarse {}x{} upscale x{} ext {}\n", st.dir, st.layout.flow_channels, st.layout.coarse_h,
                       st.layout.coarse_w, st.layout.upscale, st.layout.ext_dim ? "7 columns" : "absent");
    out += fmt::format("  spatial constraint: max abs violation {:.3g}, max rel {:.3g}\n", st.constraint.max_abs,
                       st.constraint.max_rel);
    out += fmt::format("  {:<6} {:<6} {:>18} {:>9} {:>8} {:>7} {:>7} {:>8} {:>8} {:>9} {:>8} {:>10}\n", "split", "map",
                       "shape", "mean", "zeros", "p50", "p99", "p99.9", "max", "nz-median", "nz-p99", "tail x");
    for (const auto& s : st.splits) {
      for (int which = 0; which < 2; ++which) {
        const auto& v = which == 0 ? s.coarse : s.fine;
        const auto& shape = which == 0 ? s.x_shape : s.y_shape;
        const double tail = v.nonzero_median > 0 ? v.nonzero_p999 / v.nonzero_median : 0;
        out += fmt::format("  {:<6} {:<6} {:>18} {:>9.3f} {:>7.1f}% {:>7.1f} {:>7.1f} {:>8.1f} {:>8.1f} {:>9.1f} {:>8.1f} {:>10.1f}\n",
                           which == 0 ? s.split : "", which == 0 ? "coarse" : "fine", shape_to_string(shape), v.mean,
                           100 * v.zero_fraction, v.p50, v.p99, v.p999, v.max, v.nonzero_median, v.nonzero_p99, tail);
      }
    }
    if (!st.splits.empty() && !st.splits.front().ext.empty()) {
      out += "  ext (train):";
      for (const auto& e : st.splits.front().ext)
        out += fmt::format(" {}=[{:.3g}, {:.3g}]", e.name, e.min, e.max);
      out += "\n";
    }
    const auto& cx = st.context;
    if (!cx.available) {
      out += fmt::format("  context: not measured ({})\n", cx.note);
    } else {
      out += fmt::format("  context (naive references fitted on train, MAE on {}): uniform {:.4f}, static share {:.4f}, ",
                         cx.split, cx.mae_uniform, cx.mae_static);
      out += cx.by_hour_applicable ? fmt::format("per-hour share {:.4f}\n", cx.mae_by_hour)
                                   : std::string("per-hour share n/a\n");
      out += fmt::format("    static/uniform {:.3f}; ", cx.static_over_uniform);
      out += cx.by_hour_applicable
                 ? fmt::format("per-hour gain {:+.1f} % (MAE reduction of the per-hour over the static share; {} hours "
                               "in train)\n",
                               100 * cx.by_hour_gain, cx.train_hours)
                 : fmt::format("per-hour gain n/a ({})\n", cx.note);
    }
  }
  return out;
}

}  // namespace fufi::data
