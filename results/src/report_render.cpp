// Renderers of the report's document model: Markdown (GitHub), LaTeX (booktabs) and HTML.
#include <cctype>

#include <fmt/format.h>

#include "report_doc.h"

namespace fufi::results::report {

namespace {

// Inline Markdown as the report writes it: `code`, **bold** and _italic_ (GitHub's rules, reduced to what the
// report uses: an underscore opens emphasis only at the start of a word and closes it only at the end of one,
// so `by_hour` and `p_vs_plgf` stay words; a delimiter without its partner is text).
struct Run {
  bool code = false, bold = false, italic = false;
  std::string text;
};

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool closes_italic(const std::string& t, std::size_t i) {
  return t[i] == '_' && i > 0 && t[i - 1] != ' ' && (i + 1 == t.size() || !word_char(t[i + 1]));
}

bool opens_italic(const std::string& t, std::size_t i) {
  if (t[i] != '_' || (i > 0 && word_char(t[i - 1])) || i + 1 >= t.size() || t[i + 1] == ' ') return false;
  for (std::size_t j = i + 2; j < t.size() && t[j] != '`'; ++j)
    if (closes_italic(t, j)) return true;
  return false;
}

std::vector<Run> inline_runs(const std::string& text) {
  std::vector<Run> runs;
  Run current;
  auto flush = [&] {
    if (!current.text.empty()) runs.push_back(current);
    current.text.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '`') {
      flush();
      current.code = !current.code;
      continue;
    }
    if (!current.code && c == '*' && i + 1 < text.size() && text[i + 1] == '*' &&
        (current.bold || text.find("**", i + 2) != std::string::npos)) {
      flush();
      current.bold = !current.bold;
      ++i;
      continue;
    }
    if (!current.code && (current.italic ? closes_italic(text, i) : opens_italic(text, i))) {
      flush();
      current.italic = !current.italic;
      continue;
    }
    current.text += c;
  }
  flush();
  return runs;
}

// A trailing "*" (a mean of fewer seeds than the sweep has) stays outside the emphasis.
std::pair<std::string, bool> split_partial(const std::string& text) {
  if (text.size() > 1 && text.back() == '*') return {text.substr(0, text.size() - 1), true};
  return {text, false};
}

std::string md_cell(const Cell& c) {
  const auto [text, partial] = split_partial(c.text);
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  if (c.rank == 1 && !out.empty()) out = "**" + out + "**";
  else if (c.rank == 2 && !out.empty()) out = "_" + out + "_";
  if (partial) out += "\\*";
  if (c.dagger) out += "†";
  if (c.naive_beats) out += "‡";
  return out;
}

std::string tex_escape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '&': case '%': case '$': case '#': case '_': case '{': case '}': out += std::string("\\") + c; break;
      case '~': out += "\\textasciitilde{}"; break;
      case '^': out += "\\textasciicircum{}"; break;
      case '\\': out += "\\textbackslash{}"; break;
      default: out += c;
    }
  }
  // UTF-8 symbols the report uses, as LaTeX that needs no extra package beyond booktabs.
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (std::size_t p = out.find(from); p != std::string::npos; p = out.find(from, p + to.size()))
      out.replace(p, from.size(), to);
  };
  replace_all("—", "---");
  replace_all("–", "--");
  replace_all("±", "$\\pm$");
  replace_all("↓", "$\\downarrow$");
  replace_all("↑", "$\\uparrow$");
  replace_all("†", "$^\\dagger$");
  replace_all("‡", "$^\\ddagger$");
  replace_all("Δ", "$\\Delta$");
  replace_all("→", "$\\rightarrow$");
  replace_all("×", "$\\times$");
  replace_all("≤", "$\\leq$");
  return out;
}

std::string tex_inline(const std::string& text) {
  std::string out;
  for (const auto& r : inline_runs(text)) {
    std::string t = r.code ? "\\texttt{" + tex_escape(r.text) + "}" : tex_escape(r.text);
    if (r.italic) t = "\\emph{" + t + "}";
    if (r.bold) t = "\\textbf{" + t + "}";
    out += t;
  }
  return out;
}

std::string tex_cell(const Cell& c) {
  const auto [text, partial] = split_partial(c.text);
  std::string out = tex_escape(text);
  if (c.rank == 1 && !text.empty()) out = "\\textbf{" + out + "}";
  else if (c.rank == 2 && !text.empty()) out = "\\underline{" + out + "}";
  if (partial) out += "*";
  if (c.dagger) out += "$^\\dagger$";
  if (c.naive_beats) out += "$^\\ddagger$";
  return out;
}

std::string html_inline(const std::string& text) {
  std::string out;
  for (const auto& r : inline_runs(text)) {
    std::string t = r.code ? "<code>" + html_escape(r.text) + "</code>" : html_escape(r.text);
    if (r.italic) t = "<i>" + t + "</i>";
    if (r.bold) t = "<b>" + t + "</b>";
    out += t;
  }
  return out;
}

std::string html_cell(const Cell& c) {
  const auto [text, partial] = split_partial(c.text);
  std::string out = html_escape(text);
  if (c.rank == 1 && !text.empty()) out = "<b>" + out + "</b>";
  else if (c.rank == 2 && !text.empty()) out = "<u>" + out + "</u>";
  if (partial) out += "*";
  if (c.dagger) out += "†";
  if (c.naive_beats) out += "‡";
  return out;
}

std::string markdown_table(const DocTable& t) {
  std::string out;
  if (!t.caption.empty()) out += "**" + t.caption + "**\n\n";
  // Markdown has no spanning headers: the group goes into each column's header ("P1 MSE").
  std::vector<std::string> header = t.header;
  if (!t.groups.empty()) {
    std::size_t column = 0;
    for (const auto& [text, span] : t.groups) {
      for (int k = 0; k < span && column < header.size(); ++k, ++column)
        if (!text.empty()) header[column] = text + " " + header[column];
    }
  }
  out += "|";
  for (const auto& h : header) out += " " + h + " |";
  out += "\n|";
  for (std::size_t c = 0; c < header.size(); ++c) out += c < t.right.size() && t.right[c] ? "---:|" : "---|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& cell : row) out += " " + md_cell(cell) + " |";
    out += "\n";
  }
  return out;
}

std::string latex_table(const DocTable& t) {
  std::string spec;
  for (std::size_t c = 0; c < t.header.size(); ++c) spec += c < t.right.size() && t.right[c] ? "r" : "l";
  std::string out = "\\begin{table}[t]\n\\centering\n";
  if (!t.caption.empty()) out += "\\caption{" + tex_escape(t.caption) + "}\n";
  out += "\\begin{tabular}{" + spec + "}\n\\toprule\n";
  if (!t.groups.empty()) {
    std::vector<std::string> parts;
    std::string rules;
    std::size_t column = 1;
    for (const auto& [text, span] : t.groups) {
      parts.push_back(span == 1 ? tex_escape(text) : fmt::format("\\multicolumn{{{}}}{{c}}{{{}}}", span, tex_escape(text)));
      if (!text.empty() && span > 1) rules += fmt::format("\\cmidrule(lr){{{}-{}}}", column, column + span - 1);
      column += static_cast<std::size_t>(span);
    }
    out += fmt::format("{} \\\\\n", fmt::join(parts, " & "));
    if (!rules.empty()) out += rules + "\n";
  }
  std::vector<std::string> header;
  for (const auto& h : t.header) header.push_back(tex_escape(h));
  out += fmt::format("{} \\\\\n\\midrule\n", fmt::join(header, " & "));
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    for (auto b : t.rule_before)
      if (b == r) out += "\\midrule\n";
    std::vector<std::string> cells;
    for (const auto& c : t.rows[r]) cells.push_back(tex_cell(c));
    out += fmt::format("{} \\\\\n", fmt::join(cells, " & "));
  }
  return out + "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
}

std::string html_table(const DocTable& t) {
  std::string out = "<table>\n";
  if (!t.caption.empty()) out += "<caption>" + html_escape(t.caption) + "</caption>\n";
  if (!t.groups.empty()) {
    out += "<tr>";
    for (const auto& [text, span] : t.groups) out += fmt::format("<th colspan=\"{}\">{}</th>", span, html_escape(text));
    out += "</tr>\n";
  }
  out += "<tr>";
  for (const auto& h : t.header) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr>\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    bool rule = false;
    for (auto b : t.rule_before) rule = rule || b == r;
    out += rule ? "<tr class=\"rule\">" : "<tr>";
    for (std::size_t c = 0; c < t.rows[r].size(); ++c)
      out += (c < t.right.size() && t.right[c] ? "<td class=\"num\">" : "<td>") + html_cell(t.rows[r][c]) + "</td>";
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string to_markdown(const Section& s, int heading_level) {
  std::string out = std::string(static_cast<std::size_t>(heading_level), '#') + " " + s.title + "\n\n";
  for (const auto& b : s.blocks) {
    if (b.kind == Block::Text) out += b.text + "\n\n";
    else if (b.kind == Block::Table) out += markdown_table(b.table) + "\n";
    else out += fmt::format("![{}]({}.png) ([SVG]({}.svg))\n\n", s.title, b.text, b.text);
  }
  if (!s.footnotes.empty()) {
    for (const auto& f : s.footnotes) out += "- " + f + "\n";
    out += "\n";
  }
  return out;
}

std::string to_latex(const Section& s) {
  std::string out = "% " + s.title + " (fufi report; needs \\usepackage{booktabs})\n";
  for (const auto& b : s.blocks) {
    if (b.kind == Block::Text) out += "% " + b.text + "\n";
    else if (b.kind == Block::Table) out += latex_table(b.table);
  }
  if (!s.footnotes.empty()) {
    out += "\\begin{itemize}\n";
    for (const auto& f : s.footnotes) out += "\\item " + tex_inline(f) + "\n";
    out += "\\end{itemize}\n";
  }
  return out;
}

std::string to_html_body(const Section& s) {
  std::string out = fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n", html_escape(s.id), html_escape(s.title));
  for (const auto& b : s.blocks) {
    if (b.kind == Block::Text) out += "<p>" + html_inline(b.text) + "</p>\n";
    else if (b.kind == Block::Table) out += html_table(b.table);
    else out += fmt::format("<p><img src=\"{0}.svg\" alt=\"{1}\"> (<a href=\"{0}.png\">PNG</a>)</p>\n", b.text, html_escape(s.title));
  }
  if (!s.footnotes.empty()) {
    out += "<ul>\n";
    for (const auto& f : s.footnotes) out += "<li>" + html_inline(f) + "</li>\n";
    out += "</ul>\n";
  }
  if (!s.links.empty()) {
    std::vector<std::string> links;
    for (const auto& l : s.links) links.push_back(fmt::format("<a href=\"{0}\">{0}</a>", html_escape(l)));
    out += "<p class=\"files\">Files: " + fmt::format("{}", fmt::join(links, " · ")) + "</p>\n";
  }
  return out + "</section>\n";
}

std::string html_page(const std::string& db_label, const std::vector<Section>& sections) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>fufi report</title>\n<style>\n"
      "body { font-family: sans-serif; max-width: 1400px; margin: 1em auto; padding: 0 1em; }\n"
      "table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }\n"
      "caption { text-align: left; font-weight: bold; padding: 0.3em 0; }\n"
      "th, td { padding: 0.15em 0.6em; border-bottom: 1px solid #ddd; }\n"
      "th { border-bottom: 2px solid #444; }\n td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
      "tr.rule td { border-top: 2px solid #444; }\n img { max-width: 100%; }\n p.files { font-size: 0.85em; }\n"
      "</style>\n</head>\n<body>\n<h1>fufi report</h1>\n<p>Database: <code>" +
      html_escape(db_label) + "</code>. Tables and figures of the PLGF paper, measured numbers beside the paper's.</p>\n<ul>\n";
  for (const auto& s : sections)
    out += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", html_escape(s.id), html_escape(s.title));
  out += "</ul>\n";
  for (const auto& s : sections) out += to_html_body(s);
  return out + "</body>\n</html>\n";
}

}  // namespace fufi::results::report
