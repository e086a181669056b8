#pragma once
// The statistics `fufi report` prints: Welch's t-test over seeds (PLGF against each baseline), the
// best/second ranking of a table column, and relative changes. Plain C++, no dependencies, so the
// numbers are the same on every platform (tests check them against closed forms and textbook values).
#include <cstddef>
#include <vector>

namespace fufi::results {

// Regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1 (continued fraction,
// modified Lentz). Accurate to about 1e-12 relative.
double regularized_incomplete_beta(double a, double b, double x);

// Two-sided p-value of Student's t distribution with `df` (> 0, need not be an integer) degrees of
// freedom: P(|T| >= |t|) = I_{df/(df+t^2)}(df/2, 1/2).
double student_t_two_sided_p(double t, double df);

struct WelchResult {
  bool valid = false;  // false: fewer than 2 values in a sample (no variance estimate): no test
  double mean_a = 0, mean_b = 0;
  double t = 0;   // (mean_a - mean_b) / sqrt(var_a/n_a + var_b/n_b)
  double df = 0;  // Welch–Satterthwaite degrees of freedom
  double p = 1;   // two-sided
};

// Welch's unequal-variances t-test of two independent samples (sample variances, n - 1). When both
// variances are zero the test is degenerate: p = 1 if the means are equal, else 0 (t = ±inf).
WelchResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b);

double mean_of(const std::vector<double>& values);
// Sample standard deviation (n - 1); NaN for fewer than 2 values.
double sample_std(const std::vector<double>& values);

// Lower is better: 1 for the smallest value, 2 for the second smallest distinct value, 0 otherwise.
// NaN values (missing cells) get 0 and are skipped. Ties share a rank (both bold when equal).
std::vector<int> rank_best_two(const std::vector<double>& values);

// 100 * (value - reference) / reference: negative means `value` is lower (better for an error metric).
// NaN when either is NaN or the reference is 0.
double relative_change_percent(double value, double reference);

}  // namespace fufi::results
