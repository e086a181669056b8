// `fufi data stats`' context measurement (context_stats): the test MAE of the even spread, the static share
// and the per-hour share on a tiny dataset, against values computed by hand; what is not applicable
// without ext; the table and JSON output.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "fufi/data/stats.h"

namespace fufi_test_stats {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::data;

namespace {

// 1 channel, a 1×2 coarse grid of 2×2 blocks. A fine map is given per block as (top-left, top-right,
// bottom-left, bottom-right), left block first.
using Block = std::array<float, 4>;

void add_sample(SplitArrays& s, Block left, Block right, float hour, bool with_ext) {
  const float fine[8] = {left[0], left[1], right[0], right[1], left[2], left[3], right[2], right[3]};
  s.Y.values.insert(s.Y.values.end(), fine, fine + 8);
  s.X.values.push_back(left[0] + left[1] + left[2] + left[3]);
  s.X.values.push_back(right[0] + right[1] + right[2] + right[3]);
  if (with_ext) {
    const float ext[7] = {0.5f, 0.2f, 0, 0, 3, hour, 1};
    s.ext.values.insert(s.ext.values.end(), ext, ext + 7);
  }
  const std::int64_t n = static_cast<std::int64_t>(s.X.values.size() / 2);
  s.X.shape = {n, 1, 1, 2};
  s.Y.shape = {n, 1, 2, 4};
  if (with_ext) s.ext.shape = {n, 7};
}

// Training split (the same as tests/model/test_naive.cpp's context data):
//   hour 8:  left (4,0,0,0), right (1,1,0,0);  hour 8: left (0,1,0,0);
//   hour 20: left (0,0,3,3);                   hour 20: empty.
// Test split: hour 8: left (6,2,0,0), right (0,4,0,0); hour 20: left (1,0,2,3), right (2,0,0,2).
FufiData tiny(bool with_ext) {
  FufiData d;
  d.dir = "tiny";
  d.layout.flow_channels = 1;
  d.layout.coarse_h = 1;
  d.layout.coarse_w = 2;
  d.layout.upscale = 2;
  d.layout.ext_dim = with_ext ? 7 : 0;
  SplitArrays train, test;
  train.name = "train";
  test.name = "test";
  add_sample(train, {4, 0, 0, 0}, {1, 1, 0, 0}, 8, with_ext);
  add_sample(train, {0, 1, 0, 0}, {0, 0, 0, 0}, 8, with_ext);
  add_sample(train, {0, 0, 3, 3}, {0, 0, 0, 0}, 20, with_ext);
  add_sample(train, {0, 0, 0, 0}, {0, 0, 0, 0}, 20, with_ext);
  add_sample(test, {6, 2, 0, 0}, {0, 4, 0, 0}, 8, with_ext);
  add_sample(test, {1, 0, 2, 3}, {2, 0, 0, 2}, 20, with_ext);
  d.splits["train"] = train;
  d.splits["test"] = test;
  return d;
}

}  // namespace

TEST(ContextStats, UniformStaticAndPerHourMaeByHand) {
  auto cs = context_stats(tiny(true), "test");
  ASSERT_TRUE(cs.available);
  ASSERT_TRUE(cs.by_hour_applicable);
  EXPECT_EQ(cs.train_hours, 2);
  // Uniform: |errors| 8 + 6 (hour 8) + 4 + 4 (hour 20) over 16 cells.
  EXPECT_NEAR(cs.mae_uniform, 22.0 / 16, 1e-12);
  // Static shares left (4,1,3,3)/11, right (1,1,0,0)/2: errors 96/11 + 4 + 38/11 + 4.
  EXPECT_NEAR(cs.mae_static, (222.0 / 11) / 16, 1e-12);
  // Hour 8: left (.8,.2,0,0), right (.5,.5,0,0): 0.8 + 4; hour 20: left (0,0,.5,.5), right never seen at 20:
  // the static (.5,.5,0,0): 2 + 4.
  EXPECT_NEAR(cs.mae_by_hour, 10.8 / 16, 1e-12);
  EXPECT_NEAR(cs.static_over_uniform, (222.0 / 11) / 22.0, 1e-12);
  EXPECT_NEAR(cs.by_hour_gain, 1.0 - 10.8 / (222.0 / 11), 1e-12);
}

TEST(ContextStats, WithoutExtThePerHourShareIsNotApplicable) {
  auto cs = context_stats(tiny(false), "test");
  ASSERT_TRUE(cs.available);
  EXPECT_FALSE(cs.by_hour_applicable);
  EXPECT_NEAR(cs.static_over_uniform, (222.0 / 11) / 22.0, 1e-12);
  EXPECT_TRUE(std::isnan(cs.mae_by_hour));
  EXPECT_TRUE(std::isnan(cs.by_hour_gain));
  EXPECT_NE(cs.note.find("no ext"), std::string::npos) << cs.note;
}

TEST(ContextStats, NeedsTheTrainAndEvaluatedSplits) {
  auto d = tiny(true);
  auto cs = context_stats(d, "valid");
  EXPECT_FALSE(cs.available);
  EXPECT_NE(cs.note.find("valid"), std::string::npos) << cs.note;
}

TEST(ContextStats, InTheTableAndTheJson) {
  auto with_ext = dataset_stats(tiny(true)), without = dataset_stats(tiny(false));
  const std::string table = stats_to_table({with_ext, without});
  EXPECT_NE(table.find("static/uniform 0.917"), std::string::npos) << table;
  EXPECT_NE(table.find("per-hour gain +46.5 %"), std::string::npos) << table;
  EXPECT_NE(table.find("per-hour share n/a"), std::string::npos) << table;
  const std::string json = stats_to_json({with_ext, without});
  EXPECT_NE(json.find("\"static_over_uniform\": 0.917"), std::string::npos) << json;
  EXPECT_NE(json.find("\"by_hour_gain\": 0.46"), std::string::npos) << json;
  EXPECT_NE(json.find("\"by_hour_applicable\": false, \"mae_uniform\": 1.375"), std::string::npos) << json;
  EXPECT_NE(json.find("\"mae_by_hour\": null"), std::string::npos) << json;
}

}  // namespace fufi_test_stats
