#include "fufi/data/stats.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

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

}  // namespace

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
    out += "]}";
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
  }
  return out;
}

}  // namespace fufi::data
