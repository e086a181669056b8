// The report's catalogue (report_items.cpp): every item has a builder, the paper's order, what items share.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "report_fixture.h"
#include "report_items.h"

namespace fufi_test_report_items {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi;
using namespace fufi::results;
using namespace fufi::results::report;

TEST(ReportItems, EveryItemBuildsItselfAndNoIdFallsThrough) {
  std::set<std::string> ids;
  for (const auto& entry : catalogue()) {
    ids.insert(entry.item().id);
    // An empty sweep: every builder says the sweep is absent, under its own id.
    const auto out = entry.build(test::absent_sweep(entry.item().sweep), ReportOptions{});
    EXPECT_EQ(out.section.id, entry.item().id);
    EXPECT_EQ(out.section.title, entry.item().title);
    EXPECT_FALSE(out.csv.empty()) << entry.item().id;
    EXPECT_EQ(!out.dat.empty(), entry.item().figure) << entry.item().id;
    const auto& notes = out.section.footnotes;
    if (entry.item().sweep_file.empty()) {
      // An item of other items' sweeps (claims): each of their sweep files is named in its rows.
      for (const auto& id : entry.reads())
        EXPECT_NE(out.csv.find("run it: `fufi sweep " + test::item(id).sweep_file), std::string::npos)
            << entry.item().id << " " << id << "\n" << out.csv;
      continue;
    }
    EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [&](const std::string& n) {
      return n.find("run it: `fufi sweep " + entry.item().sweep_file) != std::string::npos;
    })) << entry.item().id;
  }
  EXPECT_EQ(ids.size(), catalogue().size());
}

TEST(ReportItems, ModelsSortInThePapersOrderThenByName) {
  std::vector<std::string> models{"zeta", "plgf", "srcnn", "alpha", "uno"};
  sort_models(models);
  EXPECT_EQ(models, (std::vector<std::string>{"srcnn", "uno", "plgf", "alpha", "zeta"}));
  EXPECT_EQ(kPaperModels.size(), 13u);
  EXPECT_EQ(kPaperTasks, (std::vector<std::string>{"P1", "P2", "P3", "P4"}));
  EXPECT_EQ(kAblations.front().first, "full");
}

TEST(ReportItems, StartAndCloseAddTheSharedBlocks) {
  const auto sweep = test::sweep_of("s", {test::job_row("plgf", "P1", 1, 1, 1, 1)});
  std::vector<std::string> prov;
  ItemOutput out = start_item(test::item("fig4"), sweep, prov);
  ASSERT_EQ(prov.size(), 2u);
  ASSERT_EQ(out.section.blocks.size(), 2u);
  EXPECT_EQ(out.section.blocks[0].text, prov[0]);
  close_item(out.section, MissingNotes{}, sweep, test::item("fig4"), ReportOptions{});
  ASSERT_EQ(out.section.blocks.size(), 3u);  // not TaxiBJ: the caveat
  EXPECT_EQ(out.section.blocks[2].text, kSyntheticCaveat);
  EXPECT_TRUE(out.section.footnotes.empty());  // nothing missing
}

}  // namespace fufi_test_report_items
