#pragma once
// The report's document model (private to fufi_results): sections of text lines and tables, rendered to
// Markdown, LaTeX (booktabs) and HTML by report_render.cpp. Inline text (text blocks, footnotes) may hold
// `code`, **bold** and _italic_ spans, which each renderer turns into its own markup; it escapes the rest.
// Cells and captions are plain text.
#include <string>
#include <utility>
#include <vector>

namespace fufi::results::report {

struct Cell {
  std::string text;
  int rank = 0;        // 1: best (bold), 2: second (underlined; italic in Markdown)
  bool dagger = false; // Welch's test against the reference row: p < 0.05
  bool naive_beats = false;  // ‡: a naive reference (no trained parameters) has a lower mean than this trained row
};

struct DocTable {
  std::string caption;
  std::vector<std::string> header;                  // one per column
  std::vector<std::pair<std::string, int>> groups;  // optional spanning header above (text, span)
  std::vector<bool> right;                          // right-aligned (numbers)
  std::vector<std::vector<Cell>> rows;
  std::vector<std::size_t> rule_before;             // row indices preceded by a rule (e.g. the Δ row)
};

struct Block {
  enum Kind { Text, Table, Image } kind = Text;
  std::string text;  // Text: a paragraph; Image: the figure's base name (ITEM)
  DocTable table;
};

struct Section {
  std::string id, title;
  std::vector<Block> blocks;
  std::vector<std::string> footnotes;  // after the tables: missing cells, significance legend, ...
  std::vector<std::string> links;      // the item's files, for the index
};

inline Block text_block(std::string text) {
  Block b;
  b.kind = Block::Text;
  b.text = std::move(text);
  return b;
}
inline Block table_block(DocTable table) {
  Block b;
  b.kind = Block::Table;
  b.table = std::move(table);
  return b;
}

// heading_level: 1 for a file of its own, 2 inside the index.
std::string to_markdown(const Section& section, int heading_level);
std::string to_latex(const Section& section);
std::string to_html_body(const Section& section);
std::string html_escape(const std::string& text);
// index.html: every section on one page, with a table of contents; `db_label` names the database.
std::string html_page(const std::string& db_label, const std::vector<Section>& sections);

}  // namespace fufi::results::report
