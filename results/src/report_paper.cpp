#include "fufi/results/report_paper.h"

#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"

namespace fufi::results {

namespace detail {
const char* paper_numbers_csv();  // generated from results/data/paper_numbers.csv (results/CMakeLists.txt)
}

const std::string& paper_numbers_csv() {
  static const std::string text = detail::paper_numbers_csv();
  return text;
}

const std::vector<PaperValue>& paper_values() {
  static const std::vector<PaperValue> values = [] {
    std::vector<PaperValue> out;
    bool header = false;
    int line_no = 0;
    for (const auto& raw : split(paper_numbers_csv(), '\n')) {
      ++line_no;
      const std::string line = trim(raw);
      if (line.empty() || line[0] == '#') continue;
      const auto f = split(line, ',');
      FUFI_CHECK(f.size() == 7, RuntimeError, "paper_numbers.csv:{}: expected 7 fields, got {}", line_no, f.size());
      if (!header) {
        header = true;
        continue;
      }
      PaperValue v{f[0], f[1], f[2], f[3], f[4], 0, f[6]};
      FUFI_CHECK(parse_double(f[5], v.value), RuntimeError, "paper_numbers.csv:{}: '{}' is not a number", line_no, f[5]);
      out.push_back(std::move(v));
    }
    return out;
  }();
  return values;
}

std::optional<double> paper_value(const std::string& experiment, const std::string& model, const std::string& task,
                                  const std::string& variant, const std::string& metric) {
  for (const auto& v : paper_values())
    if (v.experiment == experiment && v.model == model && v.task == task && v.variant == variant && v.metric == metric)
      return v.value;
  return std::nullopt;
}

}  // namespace fufi::results
