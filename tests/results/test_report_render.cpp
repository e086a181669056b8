// The report's renderers (report_render.cpp): Markdown, LaTeX and HTML of one small section.
#include <gtest/gtest.h>

#include "report_doc.h"

namespace fufi_test_report_render {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::results::report;

namespace {

Section small_section() {
  Section s;
  s.id = "table9";
  s.title = "Table 9: a & b";
  s.blocks.push_back(text_block("Data: `root:/x_y` <here>."));
  DocTable t;
  t.caption = "Measured & x_y";
  t.header = {"Model", "MSE"};
  t.right = {false, true};
  t.rows = {{Cell{"plgf"}, Cell{"14.700", 1}}, {Cell{"uno"}, Cell{"15.2|0*", 2, true}}};
  s.blocks.push_back(table_block(t));
  s.footnotes.push_back("a note");
  return s;
}

}  // namespace

TEST(ReportRender, MarkdownMarksBestSecondPartialAndSignificant) {
  const std::string md = to_markdown(small_section(), 1);
  EXPECT_EQ(md.rfind("# Table 9: a & b\n", 0), 0u) << md;
  EXPECT_NE(md.find("| plgf | **14.700** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| uno | _15.2\\|0_\\*† |"), std::string::npos) << md;
  EXPECT_NE(md.find("a note"), std::string::npos);
  EXPECT_EQ(to_markdown(small_section(), 2).rfind("## Table 9", 0), 0u);
}

TEST(ReportRender, LatexAndHtmlEscapeWhatTheirSyntaxNeeds) {
  const std::string tex = to_latex(small_section());
  EXPECT_NE(tex.find("\\textbf{14.700}"), std::string::npos) << tex;
  EXPECT_NE(tex.find("\\toprule"), std::string::npos);
  EXPECT_NE(tex.find("\\caption{Measured \\& x\\_y}"), std::string::npos) << tex;
  const std::string html = to_html_body(small_section());
  EXPECT_EQ(html.rfind("<section id=\"table9\">\n<h2>Table 9: a &amp; b</h2>\n", 0), 0u) << html;
  EXPECT_NE(html.find("<code>root:/x_y</code> &lt;here&gt;."), std::string::npos) << html;
  EXPECT_EQ(html_escape("<a href=\"x\">&</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  const std::string page = html_page("my.db", {small_section()});
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("<li><a href=\"#table9\">Table 9: a &amp; b</a></li>"), std::string::npos) << page;
  EXPECT_NE(page.find("Database: <code>my.db</code>"), std::string::npos);
}

// Issue #14: the legends' Markdown (**bold**, _italic_, `code`) is markup in HTML and LaTeX, never literal; an
// underscore inside a word (by_hour, p_vs_plgf) stays a character.
TEST(ReportRender, InlineMarkdownBecomesMarkupAndWordsKeepTheirUnderscores) {
  Section s;
  s.id = "t";
  s.title = "t";
  s.blocks.push_back(text_block("**bold**: best; _italic_: second; by_hour and `p_vs_plgf`; a lone * and _x."));
  const std::string html = to_html_body(s);
  EXPECT_NE(html.find("<b>bold</b>: best; <i>italic</i>: second; by_hour and <code>p_vs_plgf</code>; a lone * and _x."),
            std::string::npos)
      << html;
  // LaTeX: text blocks are comments beside the tables; footnotes are items with markup.
  s.footnotes.push_back("**bold**: best; _italic_: second; by_hour");
  const std::string tex = to_latex(s);
  EXPECT_NE(tex.find("\\item \\textbf{bold}: best; \\emph{italic}: second; by\\_hour"), std::string::npos) << tex;
  s.footnotes.clear();
  // Markdown keeps its own markup.
  EXPECT_NE(to_markdown(s, 1).find("**bold**: best; _italic_: second; by_hour"), std::string::npos);
  // The ‡ flag in each format.
  DocTable t;
  t.header = {"Model", "MSE"};
  t.right = {false, true};
  Cell flagged{"15.200"};
  flagged.naive_beats = true;
  t.rows = {{Cell{"uno"}, flagged}};
  s.blocks = {table_block(t)};
  EXPECT_NE(to_markdown(s, 1).find("| uno | 15.200‡ |"), std::string::npos);
  EXPECT_NE(to_latex(s).find("15.200$^\\ddagger$"), std::string::npos);
  EXPECT_NE(to_html_body(s).find("15.200‡"), std::string::npos);
}

}  // namespace fufi_test_report_render
