#pragma once
// A small table of text cells rendered as an aligned text table, CSV, JSON (array of objects) or
// Markdown: the one output path of `fufi models`, `fufi query` and the report tables.
#include <string>
#include <vector>

namespace fufi::results {

enum class TableFormat { Text, Csv, Json, Markdown };

// Parses "table", "csv", "json", "md"; UsageError naming the option otherwise.
TableFormat parse_table_format(const std::string& name, const std::string& option = "--format");

class Table {
 public:
  explicit Table(std::vector<std::string> columns);
  // Cells are text; `numeric` marks columns rendered as bare JSON numbers and right-aligned.
  void set_numeric(const std::string& column, bool numeric = true);
  void add_row(std::vector<std::string> cells);

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }

  std::string render(TableFormat format) const;
  std::string to_text() const;
  std::string to_csv() const;
  std::string to_json() const;
  std::string to_markdown() const;

 private:
  std::vector<std::string> columns_;
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;
};

std::string json_escape(const std::string& text);
std::string csv_escape(const std::string& text);

}  // namespace fufi::results
