#include "fufi/results/table.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "fufi/core/config.h"
#include "fufi/core/error.h"
#include "fufi/core/strings.h"

namespace fufi::results {

TableFormat parse_table_format(const std::string& name, const std::string& option) {
  if (name == "table" || name == "text") return TableFormat::Text;
  if (name == "csv") return TableFormat::Csv;
  if (name == "json") return TableFormat::Json;
  if (name == "md" || name == "markdown") return TableFormat::Markdown;
  FUFI_THROW(UsageError, "{}: unknown format '{}'{} (table, csv, json, md)", option, name,
             did_you_mean(name, {"table", "csv", "json", "md"}));
}

Table::Table(std::vector<std::string> columns) : columns_(std::move(columns)), numeric_(columns_.size(), false) {}

void Table::set_numeric(const std::string& column, bool numeric) {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == column) numeric_[i] = numeric;
}

void Table::add_row(std::vector<std::string> cells) {
  FUFI_CHECK(cells.size() == columns_.size(), RuntimeError, "table row has {} cells for {} columns", cells.size(),
             columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::render(TableFormat format) const {
  switch (format) {
    case TableFormat::Text: return to_text();
    case TableFormat::Csv: return to_csv();
    case TableFormat::Json: return to_json();
    case TableFormat::Markdown: return to_markdown();
  }
  return {};
}

std::string Table::to_text() const {
  std::vector<std::size_t> width(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    width[c] = columns_[c].size();
    for (const auto& r : rows_) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c) out += "  ";
      std::string pad(width[c] - cells[c].size(), ' ');
      out += numeric_[c] ? pad + cells[c] : cells[c] + (c + 1 < cells.size() ? pad : "");
    }
    return out + "\n";
  };
  std::string out = line(columns_);
  std::vector<std::string> rule;
  for (auto w : width) rule.emplace_back(w, '-');
  out += line(rule);
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::string csv_escape(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Table::to_csv() const {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) out += (c ? "," : "") + csv_escape(cells[c]);
    out += "\n";
  };
  line(columns_);
  for (const auto& r : rows_) line(r);
  return out;
}

std::string json_escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Table::to_json() const {
  std::string out = "[";
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    out += r ? ",\n  {" : "\n  {";
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      // One type per field whatever the other rows hold: a number in a numeric column, a string otherwise,
      // and null for an undefined value (an empty cell: SQL NULL) in every column, also in a column whose
      // rows are all NULL (issue #20: mse_std was "", null or a number depending on the other rows).
      const std::string& cell = rows_[r][c];
      double number = 0;
      std::string value;
      if (cell.empty()) value = "null";
      else if (numeric_[c]) value = parse_double(cell, number) && std::isfinite(number) ? cell : "null";
      else value = "\"" + json_escape(cell) + "\"";
      out += fmt::format("{}\"{}\": {}", c ? ", " : "", json_escape(columns_[c]), value);
    }
    out += "}";
  }
  return out + (rows_.empty() ? "]\n" : "\n]\n");
}

std::string Table::to_markdown() const {
  auto esc = [](const std::string& s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string out = "|";
  for (const auto& c : columns_) out += " " + esc(c) + " |";
  out += "\n|";
  for (std::size_t c = 0; c < columns_.size(); ++c) out += numeric_[c] ? "---:|" : "---|";
  out += "\n";
  for (const auto& r : rows_) {
    out += "|";
    for (const auto& cell : r) out += " " + esc(cell) + " |";
    out += "\n";
  }
  return out;
}

}  // namespace fufi::results
