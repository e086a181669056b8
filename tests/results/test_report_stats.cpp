// The report's statistics (report_stats.cpp) against closed forms and independently computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fufi/results/report_stats.h"

namespace fufi_test_report_stats {  // each test file in its own namespace: the unity build joins files (tests/CMakeLists.txt)

using namespace fufi::results;

namespace {

const double kPi = std::acos(-1.0);

}  // namespace

TEST(ReportStats, IncompleteBetaClosedForms) {
  for (double x : {0.0, 0.05, 0.3, 0.5, 0.77, 0.999, 1.0}) {
    EXPECT_NEAR(regularized_incomplete_beta(1, 1, x), x, 1e-13);
    EXPECT_NEAR(regularized_incomplete_beta(3, 1, x), x * x * x, 1e-13);
    EXPECT_NEAR(regularized_incomplete_beta(1, 4, x), 1 - std::pow(1 - x, 4), 1e-13);
    // I_x(2, 2) = 3x^2 - 2x^3
    EXPECT_NEAR(regularized_incomplete_beta(2, 2, x), 3 * x * x - 2 * x * x * x, 1e-13);
    // Symmetry
    EXPECT_NEAR(regularized_incomplete_beta(2.5, 0.5, x) + regularized_incomplete_beta(0.5, 2.5, 1 - x), 1.0, 1e-12);
  }
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(0, 1, 0.5)));
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(1, 1, 1.5)));
}

TEST(ReportStats, StudentTTwoSidedP) {
  for (double t : {0.0, 0.3, 1.0, 2.5, 12.0, -4.0}) {
    // df = 1 is the Cauchy distribution; df = 2 has a closed form too.
    EXPECT_NEAR(student_t_two_sided_p(t, 1), 1 - 2 / kPi * std::atan(std::fabs(t)), 1e-12) << t;
    EXPECT_NEAR(student_t_two_sided_p(t, 2), 1 - std::fabs(t) / std::sqrt(2 + t * t), 1e-12) << t;
  }
  // The textbook critical value: t(0.975, 10) = 2.228139.
  EXPECT_NEAR(student_t_two_sided_p(2.2281388519649385, 10), 0.05, 1e-9);
  EXPECT_NEAR(student_t_two_sided_p(1.959963984540054, 1e7), 0.05, 1e-6);  // the normal limit
  EXPECT_EQ(student_t_two_sided_p(INFINITY, 3), 0);
}

TEST(ReportStats, WelchAgainstIndependentValues) {
  // Reference p-values by numerical integration of the t density (independent of the beta function).
  auto w = welch_t_test({1, 2, 3, 4, 5}, {2, 4, 6, 8, 10});
  ASSERT_TRUE(w.valid);
  EXPECT_NEAR(w.t, -1.8973665961010275, 1e-12);
  EXPECT_NEAR(w.df, 5.882352941176471, 1e-12);
  EXPECT_NEAR(w.p, 0.10753119493065287, 1e-7);
  w = welch_t_test({14.2, 14.5, 14.4}, {14.9, 14.6, 15.1, 14.8});
  EXPECT_NEAR(w.t, -3.5429138863328418, 1e-10);
  EXPECT_NEAR(w.df, 4.993325917686318, 1e-10);
  EXPECT_NEAR(w.p, 0.016548276235059674, 1e-7);
  // Fewer than two values: no test. No variance: certain.
  EXPECT_FALSE(welch_t_test({1}, {2, 3}).valid);
  EXPECT_EQ(welch_t_test({1, 1}, {2, 2}).p, 0);
  EXPECT_EQ(welch_t_test({1, 1}, {1, 1}).p, 1);
}

TEST(ReportStats, RankingAndChanges) {
  const double nan = std::nan("");
  EXPECT_EQ(rank_best_two({3, 1, 2, nan, 1}), (std::vector<int>{0, 1, 2, 0, 1}));
  EXPECT_EQ(rank_best_two({nan, 5}), (std::vector<int>{0, 1}));
  EXPECT_EQ(rank_best_two({}), std::vector<int>{});
  EXPECT_NEAR(relative_change_percent(90, 100), -10, 1e-12);
  EXPECT_TRUE(std::isnan(relative_change_percent(1, 0)));
  EXPECT_NEAR(sample_std({2, 4, 4, 4, 5, 5, 7, 9}), std::sqrt(32.0 / 7), 1e-12);
}

}  // namespace fufi_test_report_stats
