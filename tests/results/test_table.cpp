#include <gtest/gtest.h>

#include "fufi/core/error.h"
#include "fufi/results/table.h"

namespace fufi_test_table {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::results;

namespace {
Table sample() {
  Table t({"name", "params"});
  t.set_numeric("params");
  t.add_row({"plgf", "3560000"});
  t.add_row({"a,b \"q\"", ""});
  return t;
}
}  // namespace

TEST(Table, Csv) { EXPECT_EQ(sample().to_csv(), "name,params\nplgf,3560000\n\"a,b \"\"q\"\"\",\n"); }

TEST(Table, JsonNumbersAreBareAndEmptyIsNull) {
  EXPECT_EQ(sample().to_json(), "[\n  {\"name\": \"plgf\", \"params\": 3560000},\n  {\"name\": \"a,b \\\"q\\\"\", \"params\": null}\n]\n");
}

// Issue #20: each JSON field has one type whatever the other rows hold: a column whose rows are all undefined
// (SQL NULL, e.g. mse_std of single-seed groups) is null, never "", and a numeric cell that JSON cannot hold
// (nan, inf) is null too.
TEST(Table, JsonUndefinedIsNullInEveryColumn) {
  Table t({"model", "mse_std", "mse_mean"});
  t.set_numeric("mse_mean");
  t.add_row({"plgf", "", "nan"});
  t.add_row({"", "", "1.5"});
  EXPECT_EQ(t.to_json(), "[\n  {\"model\": \"plgf\", \"mse_std\": null, \"mse_mean\": null},\n"
                         "  {\"model\": null, \"mse_std\": null, \"mse_mean\": 1.5}\n]\n");
}

TEST(Table, MarkdownAndText) {
  auto md = sample().to_markdown();
  EXPECT_NE(md.find("| name | params |\n|---|---:|"), std::string::npos) << md;
  auto text = sample().to_text();
  EXPECT_NE(text.find("plgf     3560000"), std::string::npos) << text;
}

TEST(Table, FormatParsingAndRowWidth) {
  EXPECT_EQ(parse_table_format("csv"), TableFormat::Csv);
  EXPECT_THROW(parse_table_format("xml"), fufi::UsageError);
  Table t({"a"});
  EXPECT_THROW(t.add_row({"1", "2"}), fufi::RuntimeError);
}

}  // namespace fufi_test_table
