// Small string helpers: splitting, trimming, and the "did you mean" suggestions every error message uses.
#include <gtest/gtest.h>

#include "fufi/core/strings.h"

namespace fufi_test_strings {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

TEST(Strings, EditDistanceAndNearest) {
  EXPECT_EQ(fufi::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(fufi::nearest_name("urbnfm", {"urbanfm", "uno", "plgf"}), "urbanfm");
  EXPECT_EQ(fufi::nearest_name("zzzzzzzz", {"urbanfm", "uno"}), "");
  EXPECT_EQ(fufi::split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
}

TEST(Strings, TrimLowerJoinAndSuggestions) {
  EXPECT_EQ(fufi::trim("  a b \t\n"), "a b");
  EXPECT_EQ(fufi::to_lower("TaxiBJ"), "taxibj");
  EXPECT_EQ(fufi::join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(fufi::join({}, ", "), "");
  EXPECT_EQ(fufi::did_you_mean("tabel1", {"table1", "fig4"}), " (did you mean 'table1'?)");
  EXPECT_EQ(fufi::did_you_mean("zzzzzz", {"table1", "fig4"}), "");
}

}  // namespace fufi_test_strings
