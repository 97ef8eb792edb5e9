// Per-cell statistics and their error bars: hand-checked small samples, then large fixed-seed normal
// samples against the asymptotic formulas and against Monte Carlo repetitions of the estimators.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "host/stat_sums.hpp"
#include "host/stats.hpp"

namespace {
using hl::CellSamples;
using hl::CellStats;

constexpr double kZ = 1.959964;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }

CellStats stats_of(const std::vector<double>& pnl, const std::vector<double>& levels = {0.5}, int bins = 4) {
  CellStats s;
  hl::cell_statistics(CellSamples{pnl.data(), nullptr, nullptr, nullptr, nullptr, std::int64_t(pnl.size())},
                      levels, bins, s);
  return s;
}

std::vector<double> normals(std::mt19937_64& rng, std::size_t n) {
  std::normal_distribution<double> N(0.0, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = N(rng);
  return v;
}

// Sample standard deviation of a vector (n - 1).
double sample_std(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m += x;
  m /= double(v.size());
  double q = 0.0;
  for (double x : v) q += (x - m) * (x - m);
  return std::sqrt(q / double(v.size() - 1));
}
double average(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m += x;
  return m / double(v.size());
}

// cell_statistics of a and b, then paired_statistics of a against baseline b.
struct Pair {
  CellStats a, b;
};
Pair paired(const std::vector<double>& a, const std::vector<double>& b) {
  Pair p;
  p.a = stats_of(a);
  p.b = stats_of(b);
  hl::paired_statistics(a.data(), b.data(), std::int64_t(a.size()), p.b, p.a);
  return p;
}
}  // namespace

TEST_CASE("stats: moments, costs, trades, turnover, quantiles and histogram of a hand-checked sample") {
  // pnl mean 4; deviations -3 -2 -1 0 6: sum d^2 = 50, sum d^3 = 180, sum d^4 = 1394 (m2 = 10, m3 = 36,
  // m4 = 278.8).
  const std::vector<double> pnl{1, 2, 10, 3, 4}, cost{0.5, 1.5, 1, 0, 2}, shares{0.1, 0.2, 0.3, 0.4, 0.5},
      notional{10, 20, 30, 40, 50};
  const std::vector<std::uint32_t> trades{1, 2, 3, 4, 5};
  CellStats s;
  hl::cell_statistics(CellSamples{pnl.data(), cost.data(), trades.data(), shares.data(), notional.data(), 5},
                      {0.25, 0.5, 0.9}, 3, s);
  CHECK(s.mean == 4.0);
  CHECK(s.std == doctest::Approx(std::sqrt(12.5)).epsilon(1e-14));
  CHECK(s.stderr_mean == doctest::Approx(std::sqrt(2.5)).epsilon(1e-14));
  CHECK(s.stderr_std == doctest::Approx(std::sqrt(0.894)).epsilon(1e-14));  // (278.8 - 100) / (4 10 5)
  CHECK(s.skewness == doctest::Approx(36.0 / std::pow(10.0, 1.5) * std::sqrt(20.0) / 3.0).epsilon(1e-14));
  CHECK(s.kurtosis == doctest::Approx(3.152).epsilon(1e-13));  // (6 (2.788 - 3) + 6) 4 / 6
  CHECK(s.min == 1.0);
  CHECK(s.max == 10.0);
  // Type 7: h = 4 p; Q(0.9) = x[3] + 0.6 (x[4] - x[3]) = 4 + 0.6 6.
  REQUIRE(s.quantiles.size() == 3);
  CHECK(s.quantiles[0] == 2.0);
  CHECK(s.quantiles[1] == 3.0);
  CHECK(s.quantiles[2] == doctest::Approx(7.6).epsilon(1e-15));
  // n = 5 is too small for any CI inside the sample: every level's CI is clamped to [x[0], x[4]]
  // except that at 0.9 the lower index is floor(4.5 - 1.96 sqrt(0.45)) = 3.
  CHECK(s.quantiles_lo == std::vector<double>{1, 1, 4});
  CHECK(s.quantiles_hi == std::vector<double>{10, 10, 10});
  // Costs: mean 1, deviations -0.5 0.5 0 -1 1, sum of squares 2.5, / 4.
  CHECK(s.mean_cost == 1.0);
  CHECK(s.std_cost == doctest::Approx(std::sqrt(0.625)).epsilon(1e-14));
  CHECK(s.mean_trades == 3.0);
  CHECK(s.mean_turnover_shares == doctest::Approx(0.3).epsilon(1e-15));
  CHECK(s.mean_turnover_notional == 30.0);
  // Histogram: 3 bins over [1, 10]: [1, 4) holds 1 2 3, [4, 7) holds 4, [7, 10] holds 10.
  CHECK(s.histogram_edges == std::vector<double>{1, 4, 7, 10});
  CHECK(s.histogram_counts == std::vector<std::uint64_t>{3, 1, 1});
  // cell_statistics leaves the paired and theory columns alone.
  CHECK(std::isnan(s.diff_mean));
  CHECK(std::isnan(s.bkl_std));

  // Missing inputs leave their statistics NaN.
  const CellStats t = stats_of(pnl);
  CHECK(std::isnan(t.mean_cost));
  CHECK(std::isnan(t.std_cost));
  CHECK(std::isnan(t.mean_trades));
  CHECK(std::isnan(t.mean_turnover_shares));
  CHECK(std::isnan(t.mean_turnover_notional));
  CHECK(t.mean == 4.0);
}

TEST_CASE("stats: order-statistic CI indices by hand") {
  // n = 100, p = 0.05: n p = 5, z sqrt(n p (1 - p)) = 1.959964 sqrt(4.75) = 4.27163:
  // floor(0.72837) = 0, ceil(9.27163) = 10.
  CHECK(hl::quantile_ci_indices(100, 0.05) == std::pair<std::int64_t, std::int64_t>{0, 10});
  // p = 0.5: 50 -+ 1.959964 5 = 40.20018, 59.79982.
  CHECK(hl::quantile_ci_indices(100, 0.5) == std::pair<std::int64_t, std::int64_t>{40, 60});
  // p = 0.95: 95 -+ 4.27163 = 90.72837, 99.27163 -> 100, clamped to 99.
  CHECK(hl::quantile_ci_indices(100, 0.95) == std::pair<std::int64_t, std::int64_t>{90, 99});
  // p = 0.01: 1 -+ 1.959964 sqrt(0.99) = 1.95011: floor(-0.95011) = -1 clamped to 0, ceil(2.95011) = 3.
  CHECK(hl::quantile_ci_indices(100, 0.01) == std::pair<std::int64_t, std::int64_t>{0, 3});
  // n = 1000, p = 0.05: 50 -+ 1.959964 sqrt(47.5) = 13.50817: 36, 64.
  CHECK(hl::quantile_ci_indices(1000, 0.05) == std::pair<std::int64_t, std::int64_t>{36, 64});

  // On the sample 0..99 (given in scrambled order), x[i] = i: the CI bounds are the indices.
  std::vector<double> x(100);
  for (int i = 0; i < 100; ++i) x[i] = double((i * 37) % 100);
  const CellStats s = stats_of(x, {0.01, 0.05, 0.5, 0.95});
  CHECK(s.quantiles_lo == std::vector<double>{0, 0, 40, 90});
  CHECK(s.quantiles_hi == std::vector<double>{3, 10, 60, 99});
  for (std::size_t l = 0; l < 4; ++l) CHECK((s.quantiles_lo[l] <= s.quantiles[l] && s.quantiles[l] <= s.quantiles_hi[l]));
}

TEST_CASE("stats: VaR, ES and their standard errors by hand") {
  // n = 40: sorted -10, -4, 2, 3, ..., 39 (given scrambled).
  std::vector<double> x;
  for (int i = 2; i < 40; ++i) x.push_back(double(i));
  x.insert(x.begin() + 17, -4.0);
  x.insert(x.begin() + 5, -10.0);
  const CellStats s = stats_of(x);
  // 95%: Q(0.05) = x[1] + 0.95 (x[2] - x[1]) = -4 + 0.95 6 = 1.7 (h = 39 0.05 = 1.95).
  CHECK(s.var_95 == doctest::Approx(-1.7).epsilon(1e-14));
  // ES over ceil(0.05 40) = 2 worst: -(-10 - 4) / 2.
  CHECK(s.es_95 == 7.0);
  // CI of Q(0.05), n = 40: 2 -+ 1.959964 sqrt(1.9) = 2.70162 -> indices 0 and 5: x = -10 and 5.
  CHECK(s.var_95_se == doctest::Approx(15.0 / (2.0 * kZ)).epsilon(1e-14));
  // Tail variance of {-10, -4}: 18 / (2 - 1) = 18; ES - VaR = 7 + 1.7 = 8.7; n p = 2.
  CHECK(s.es_95_se == doctest::Approx(std::sqrt((18.0 + 0.95 * 8.7 * 8.7) / 2.0)).epsilon(1e-13));
  CHECK(s.es_95_se == doctest::Approx(6.70468).epsilon(1e-5));
  // 99%: Q(0.01) = -10 + 0.39 6 = -7.66; ES over ceil(0.4) = 1 worst = 10.
  CHECK(s.var_99 == doctest::Approx(7.66).epsilon(1e-14));
  CHECK(s.es_99 == 10.0);
  // CI of Q(0.01): 0.4 -+ 1.959964 sqrt(0.396) = 1.23337 -> indices 0 and 2: x = -10 and 2.
  CHECK(s.var_99_se == doctest::Approx(12.0 / (2.0 * kZ)).epsilon(1e-14));
  // One tail observation has no variance: undefined.
  CHECK(std::isnan(s.es_99_se));
}

TEST_CASE("stats: degenerate samples do not crash: non-finite values, one path, no path") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> x{1.0, kNaN, 2.0, inf, -inf, 3.0, kNaN};
  const CellStats s = stats_of(x, {0.5}, 2);
  // The histogram counts the finite values only, over their range.
  CHECK(s.histogram_edges == std::vector<double>{1, 2, 3});
  CHECK(s.histogram_counts == std::vector<std::uint64_t>{1, 2});
  CHECK(s.min == -inf);
  CHECK(std::isnan(s.mean));

  const CellStats all_bad = stats_of({kNaN, inf}, {0.5}, 2);
  CHECK(all_bad.histogram_counts == std::vector<std::uint64_t>{0, 0});
  CHECK(all_bad.histogram_edges == std::vector<double>{-0.5, 0.0, 0.5});

  const CellStats one = stats_of({2.5}, {0.1, 0.9}, 2);
  CHECK(one.mean == 2.5);
  CHECK(std::isnan(one.std));
  CHECK(one.quantiles_lo == std::vector<double>{2.5, 2.5});
  CHECK(one.quantiles_hi == std::vector<double>{2.5, 2.5});
  CHECK(one.histogram_counts == std::vector<std::uint64_t>{0, 1});

  const CellStats none = stats_of({}, {0.1, 0.9}, 2);
  CHECK(none.quantiles.size() == 2);
  CHECK(none.quantiles_lo.size() == 2);
  CHECK(std::isnan(none.mean));
  CHECK(none.histogram_edges.size() == 3);
}

TEST_CASE("stats: quantile CIs and tail standard errors on 200000 normal draws") {
  std::mt19937_64 rng(20240611);
  const std::int64_t n = 200000;
  const std::vector<double> x = normals(rng, n);
  const CellStats s = stats_of(x, {0.05, 0.5});
  const double q05 = -1.6448536;
  // The CIs cover the true quantiles...
  CHECK(s.quantiles_lo[0] <= q05);
  CHECK(q05 <= s.quantiles_hi[0]);
  CHECK(s.quantiles_lo[1] <= 0.0);
  CHECK(0.0 <= s.quantiles_hi[1]);
  // ... and are as wide as the asymptotic normal interval, 2 z sqrt(p (1 - p) / n) / phi(q).
  const double w05 = 2 * kZ * std::sqrt(0.05 * 0.95 / n) / phi(q05), w50 = 2 * kZ * std::sqrt(0.25 / n) / phi(0.0);
  CHECK(s.quantiles_hi[0] - s.quantiles_lo[0] == doctest::Approx(w05).epsilon(0.2));
  CHECK(s.quantiles_hi[1] - s.quantiles_lo[1] == doctest::Approx(w50).epsilon(0.2));
  // VaR SE: sqrt(p (1 - p) / n) / phi(q).
  CHECK(s.var_95_se == doctest::Approx(w05 / (2 * kZ)).epsilon(0.2));
  CHECK(s.var_99_se == doctest::Approx(std::sqrt(0.01 * 0.99 / n) / phi(2.3263479)).epsilon(0.2));
  // ES SE of the standard normal: VaR v = 1.64485, ES e = phi(v) / p = 2.06271, tail variance
  // 1 + v e - e^2; se = sqrt((1 + v e - e^2 + (1 - p)(e - v)^2) / (n p)).
  const double v = -q05, e = phi(v) / 0.05;
  CHECK(s.es_95 == doctest::Approx(e).epsilon(0.02));
  CHECK(s.es_95_se == doctest::Approx(std::sqrt((1 + v * e - e * e + 0.95 * (e - v) * (e - v)) / (n * 0.05))).epsilon(0.1));
}

TEST_CASE("stats: VaR and ES standard errors match a Monte Carlo of the estimators") {
  std::mt19937_64 rng(7);
  std::vector<double> var, es, var_se, es_se;
  for (int rep = 0; rep < 400; ++rep) {
    const CellStats s = stats_of(normals(rng, 2000));
    var.push_back(s.var_95);
    es.push_back(s.es_95);
    var_se.push_back(s.var_95_se);
    es_se.push_back(s.es_95_se);
  }
  CHECK(sample_std(var) == doctest::Approx(average(var_se)).epsilon(0.15));
  CHECK(sample_std(es) == doctest::Approx(average(es_se)).epsilon(0.15));
}

TEST_CASE("stats: paired difference of the mean: much smaller error bar on common random numbers") {
  std::mt19937_64 rng(42);
  const std::size_t n = 100000;
  const std::vector<double> a = normals(rng, n), e = normals(rng, n), c = normals(rng, n);
  std::vector<double> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = a[i] + 0.01 * e[i] + 0.05;

  const Pair corr = paired(a, b);
  CHECK(corr.a.diff_mean == corr.a.mean - corr.b.mean);  // bitwise: the same sums
  CHECK(corr.a.diff_mean == doctest::Approx(-0.05).epsilon(0.01));
  CHECK(corr.a.diff_std == corr.a.std - corr.b.std);
  CHECK(corr.a.diff_mean_se_unpaired ==
        doctest::Approx(std::hypot(corr.a.stderr_mean, corr.b.stderr_mean)).epsilon(1e-15));
  CHECK(corr.a.diff_std_se_unpaired ==
        doctest::Approx(std::hypot(corr.a.stderr_std, corr.b.stderr_std)).epsilon(1e-15));
  // se of the mean of a - b = -0.01 e - 0.05: 0.01 / sqrt(n), against sqrt(2) / sqrt(n) unpaired.
  CHECK(corr.a.diff_mean_se == doctest::Approx(0.01 / std::sqrt(double(n))).epsilon(0.02));
  CHECK(corr.a.diff_mean_se_unpaired == doctest::Approx(std::sqrt(2.0 / n)).epsilon(0.02));
  CHECK(corr.a.diff_mean_se < corr.a.diff_mean_se_unpaired / 100);
  CHECK(corr.a.diff_std_se < corr.a.diff_std_se_unpaired / 20);

  // Independent cells: paired and unpaired agree.
  const Pair ind = paired(a, c);
  CHECK(ind.a.diff_mean_se == doctest::Approx(ind.a.diff_mean_se_unpaired).epsilon(0.02));
  CHECK(ind.a.diff_std_se == doctest::Approx(ind.a.diff_std_se_unpaired).epsilon(0.05));

  // Against itself (the baseline row): exactly zero.
  const Pair self = paired(a, a);
  CHECK(self.a.diff_mean == 0.0);
  CHECK(self.a.diff_mean_se == 0.0);
  CHECK(self.a.diff_std == 0.0);
  CHECK(self.a.diff_std_se == 0.0);
  CHECK(self.a.diff_mean_se_unpaired == doctest::Approx(std::sqrt(2.0) * self.a.stderr_mean).epsilon(1e-15));

  // A constant baseline (an unhedged book that pays nothing, say): only the cell's own error remains.
  const std::vector<double> zero(n, 0.0);
  const Pair flat = paired(a, zero);
  CHECK(flat.a.diff_std == flat.a.std);
  CHECK(flat.a.diff_std_se == doctest::Approx(flat.a.stderr_std).epsilon(1e-12));
  CHECK(flat.a.diff_mean_se == doctest::Approx(flat.a.stderr_mean).epsilon(1e-12));
}

TEST_CASE("stats: paired standard errors match a Monte Carlo of the difference estimators") {
  // 400 repetitions of n = 2000 correlated, non-normal pairs (b is skewed and on a different
  // scale): the spread of (sa - sb) and of (mean a - mean b) over the repetitions against the mean
  // predicted standard error.
  std::mt19937_64 rng(99);
  std::vector<double> dstd, dmean, se_std, se_mean, se_std_unpaired;
  for (int rep = 0; rep < 400; ++rep) {
    const std::vector<double> a = normals(rng, 2000), e = normals(rng, 2000);
    std::vector<double> b(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) b[i] = 0.8 * a[i] + 0.3 * e[i] + 0.05 * a[i] * a[i];
    const Pair p = paired(a, b);
    dstd.push_back(p.a.std - p.b.std);
    dmean.push_back(p.a.mean - p.b.mean);
    se_std.push_back(p.a.diff_std_se);
    se_mean.push_back(p.a.diff_mean_se);
    se_std_unpaired.push_back(p.a.diff_std_se_unpaired);
  }
  CHECK(sample_std(dstd) == doctest::Approx(average(se_std)).epsilon(0.15));
  CHECK(sample_std(dmean) == doctest::Approx(average(se_mean)).epsilon(0.15));
  // The unpaired formula is far off here: the check above tells paired from unpaired.
  CHECK(average(se_std) < 0.5 * average(se_std_unpaired));
}

TEST_CASE("stats: the statistics are a pure function of the samples") {
  std::mt19937_64 rng(3);
  const std::vector<double> a = normals(rng, 5001), b = normals(rng, 5001);
  const Pair p = paired(a, b), q = paired(a, b);
  const double CellStats::*fields[] = {&CellStats::mean, &CellStats::std, &CellStats::es_95_se,
                                       &CellStats::var_99_se, &CellStats::diff_mean_se, &CellStats::diff_std_se};
  for (auto f : fields) CHECK(p.a.*f == q.a.*f);
  CHECK(p.a.quantiles_lo == q.a.quantiles_lo);
}

namespace {
// cell_statistics with every optional input: cost, jump arrays, loss thresholds and worst paths.
CellStats full_stats(const std::vector<double>& pnl, const std::vector<double>* cost,
                     const std::vector<double>* jump_pnl, const std::vector<std::uint32_t>* jumps,
                     const std::vector<double>& thresholds = {}, int worst = 0) {
  CellStats s;
  CellSamples x{pnl.data(), cost ? cost->data() : nullptr, nullptr, nullptr, nullptr, std::int64_t(pnl.size())};
  x.jump_pnl = jump_pnl ? jump_pnl->data() : nullptr;
  x.jumps = jumps ? jumps->data() : nullptr;
  hl::cell_statistics(x, {0.5}, 4, s, thresholds, worst);
  return s;
}
}  // namespace

TEST_CASE("stats: VaR and ES at 99.9% and 99%, with their 95% intervals, by hand") {
  // n = 2000: sorted -50, -30, -20, 3, 4, ..., 1999 (given scrambled).
  std::vector<double> x;
  for (int i = 3; i < 2000; ++i) x.push_back(double((i * 7919) % 1997 + 3));  // a permutation of 3..1999
  {
    std::vector<double> chk = x;
    std::sort(chk.begin(), chk.end());
    REQUIRE(chk.front() == 3.0);
    REQUIRE(chk.back() == 1999.0);
    REQUIRE(std::adjacent_find(chk.begin(), chk.end()) == chk.end());
  }
  x.insert(x.begin() + 1500, -20.0);
  x.insert(x.begin() + 700, -50.0);
  x.insert(x.begin() + 3, -30.0);
  REQUIRE(x.size() == 2000);
  const CellStats s = stats_of(x);

  // 99.9%: h = 1999 0.001 = 1.999: Q = x[1] + 0.999 (x[2] - x[1]) = -30 + 9.99 = -20.01.
  CHECK(s.var_999 == doctest::Approx(20.01).epsilon(1e-14));
  // ES over ceil(0.001 2000) = 2 worst: (50 + 30) / 2.
  CHECK(s.es_999 == 40.0);
  // CI of Q(0.001): 2 -+ 1.959964 sqrt(1.998) = 2.77043 -> indices 0 and ceil(4.77043) = 5: x = -50 and 5.
  CHECK(hl::quantile_ci_indices(2000, 0.001) == std::pair<std::int64_t, std::int64_t>{0, 5});
  CHECK(s.var_999_se == doctest::Approx(55.0 / (2.0 * kZ)).epsilon(1e-14));
  CHECK(s.var_999_lo == -5.0);  // the VaR interval is the quantile's, negated
  CHECK(s.var_999_hi == 50.0);
  // Tail variance of {-50, -30}: 200 / 1; ES - VaR = 19.99; n p = 2.
  const double es999_se = std::sqrt((200.0 + 0.999 * 19.99 * 19.99) / 2.0);
  CHECK(s.es_999_se == doctest::Approx(es999_se).epsilon(1e-13));
  CHECK(s.es_999_lo == doctest::Approx(40.0 - kZ * es999_se).epsilon(1e-13));
  CHECK(s.es_999_hi == doctest::Approx(40.0 + kZ * es999_se).epsilon(1e-13));

  // 99%: h = 19.99: Q = x[19] + 0.99 (x[20] - x[19]) = 19 + 0.99 = 19.99; VaR = -19.99.
  CHECK(s.var_99 == doctest::Approx(-19.99).epsilon(1e-14));
  // CI of Q(0.01): 20 -+ 1.959964 sqrt(19.8) = 8.72129 -> indices floor(11.279) = 11, ceil(28.721) = 29.
  CHECK(hl::quantile_ci_indices(2000, 0.01) == std::pair<std::int64_t, std::int64_t>{11, 29});
  CHECK(s.var_99_lo == -29.0);
  CHECK(s.var_99_hi == -11.0);
  CHECK(s.var_99_se == doctest::Approx(18.0 / (2.0 * kZ)).epsilon(1e-14));
  // ES over the 20 worst: -50 - 30 - 20 + (3 + ... + 19) = -100 + 187 = 87 -> mean 4.35, ES -4.35.
  CHECK(s.es_99 == doctest::Approx(-4.35).epsilon(1e-14));
  CHECK(std::isfinite(s.es_99_se));
  CHECK(s.es_99_lo == doctest::Approx(s.es_99 - kZ * s.es_99_se).epsilon(1e-14));
  CHECK(s.es_99_hi == doctest::Approx(s.es_99 + kZ * s.es_99_se).epsilon(1e-14));

  // Fewer than 1000 paths: one tail observation for ES 99.9, whose standard error and interval are NaN.
  const CellStats small = stats_of({4, -7, 1, 2, 9});
  CHECK(small.es_999 == 7.0);
  CHECK(std::isnan(small.es_999_se));
  CHECK(std::isnan(small.es_999_lo));
  CHECK(std::isnan(small.es_999_hi));
  CHECK(small.var_999 == doctest::Approx(7.0 - 0.004 * 8.0).epsilon(1e-14));  // h = 0.004: -7 + 0.004 (1 + 7)
  CHECK(small.var_999_lo == -1.0);  // indices 0 and ceil(0.005 + 1.96 sqrt(0.005)) = 1: x = -7 and 1
  CHECK(small.var_999_hi == 7.0);
}

TEST_CASE("stats: probability of a loss beyond each threshold, by hand") {
  const std::vector<double> pnl{0, -3, 4, -5, 2, -1, 10, -3};
  // Losses beyond L means pnl < -L, strictly: L = 3 counts only -5; L = 2.5 counts -5, -3, -3.
  const std::vector<double> L{3, 2.5, 0, -1, 100, 5};
  const CellStats s = full_stats(pnl, nullptr, nullptr, nullptr, L);
  const std::vector<double> want{1.0 / 8, 3.0 / 8, 4.0 / 8, 5.0 / 8, 0.0, 0.0};
  REQUIRE(s.loss_probability.size() == L.size());
  REQUIRE(s.loss_probability_se.size() == L.size());
  for (std::size_t t = 0; t < L.size(); ++t) {
    INFO("threshold ", L[t]);
    CHECK(s.loss_probability[t] == want[t]);
    CHECK(s.loss_probability_se[t] == doctest::Approx(std::sqrt(want[t] * (1 - want[t]) / 8)).epsilon(1e-15));
  }
  CHECK(s.loss_probability_se[4] == 0.0);
  // No thresholds: empty.
  CHECK(stats_of(pnl).loss_probability.empty());
  CHECK(stats_of(pnl).loss_probability_se.empty());
}

TEST_CASE("stats: the worst paths, worst first, ties by lower path index") {
  const std::vector<double> pnl{3, -1, 7, -1, -4, 0, -1, 2};
  const CellStats s = full_stats(pnl, nullptr, nullptr, nullptr, {}, 4);
  CHECK(s.worst_index == std::vector<std::int64_t>{4, 1, 3, 6});
  CHECK(s.worst_pnl == std::vector<double>{-4, -1, -1, -1});
  // More asked for than there are paths: all of them, in order.
  const CellStats all = full_stats(pnl, nullptr, nullptr, nullptr, {}, 10);
  CHECK(all.worst_index == std::vector<std::int64_t>{4, 1, 3, 6, 5, 7, 0, 2});
  CHECK(all.worst_pnl == std::vector<double>{-4, -1, -1, -1, 0, 2, 3, 7});
  CHECK(full_stats(pnl, nullptr, nullptr, nullptr, {}, 0).worst_index.empty());
  CHECK(stats_of(pnl).worst_pnl.empty());

  // Against a stable sort of (value, index) on many ties.
  std::mt19937_64 rng(11);
  std::vector<double> v(5000);
  for (double& x : v) x = double(std::int64_t(rng() % 40)) - 20.0;
  std::vector<std::int64_t> order(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) order[i] = std::int64_t(i);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return v[a] < v[b]; });
  order.resize(321);
  CHECK(hl::worst_indices(v.data(), std::int64_t(v.size()), 321) == order);
}

TEST_CASE("stats: P&L by number of jumps and the jump / diffusive attribution, by hand") {
  // Bins: 0 jumps {1, 3, 2}; 1 jump {-2, 0}; 2 jumps {-6}; 3 jumps none; 4+ jumps {-10 (5), -4 (4)}.
  const std::vector<double> pnl{1, -2, 3, -6, -10, -4, 0, 2};
  const std::vector<std::uint32_t> jumps{0, 1, 0, 2, 5, 4, 1, 0};
  const std::vector<double> jump_pnl{0, -1.5, 0, -4, -9, -3.5, 0.25, 0}, cost{0.5, 0.25, 0, 1, 0.5, 0.25, 0.5, 0};
  const CellStats s = full_stats(pnl, &cost, &jump_pnl, &jumps);
  REQUIRE(s.jump_bin_count.size() == 5);
  CHECK(s.jump_bin_count == std::vector<std::uint64_t>{3, 2, 1, 0, 2});
  CHECK(s.jump_bin_mean[0] == 2.0);
  CHECK(s.jump_bin_std[0] == 1.0);
  CHECK(s.jump_bin_mean_se[0] == doctest::Approx(1.0 / std::sqrt(3.0)).epsilon(1e-15));
  CHECK(s.jump_bin_mean[1] == -1.0);
  CHECK(s.jump_bin_std[1] == doctest::Approx(std::sqrt(2.0)).epsilon(1e-15));
  CHECK(s.jump_bin_mean_se[1] == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(s.jump_bin_mean[2] == -6.0);  // one path: a mean, no spread
  CHECK(std::isnan(s.jump_bin_std[2]));
  CHECK(std::isnan(s.jump_bin_mean_se[2]));
  CHECK(std::isnan(s.jump_bin_mean[3]));  // empty bin
  CHECK(std::isnan(s.jump_bin_std[3]));
  CHECK(std::isnan(s.jump_bin_mean_se[3]));
  CHECK(s.jump_bin_mean[4] == -7.0);
  CHECK(s.jump_bin_std[4] == doctest::Approx(std::sqrt(18.0)).epsilon(1e-15));
  CHECK(s.jump_bin_mean_se[4] == doctest::Approx(3.0).epsilon(1e-15));
  CHECK(s.mean_jumps == 13.0 / 8);

  // Attribution: diffusive = pnl + cost - jump = {1.5, -0.25, 3, -1, -0.5, -0.25, 0.25, 2}.
  const std::vector<double> diffusive{1.5, -0.25, 3, -1, -0.5, -0.25, 0.25, 2};
  CHECK(s.mean_jump_pnl == doctest::Approx(-17.75 / 8).epsilon(1e-15));
  CHECK(s.std_jump_pnl == doctest::Approx(sample_std(jump_pnl)).epsilon(1e-14));
  CHECK(s.mean_jump_pnl_se == doctest::Approx(sample_std(jump_pnl) / std::sqrt(8.0)).epsilon(1e-14));
  CHECK(s.mean_diffusive_pnl == doctest::Approx(4.75 / 8).epsilon(1e-15));
  CHECK(s.std_diffusive_pnl == doctest::Approx(sample_std(diffusive)).epsilon(1e-14));
  CHECK(s.mean_diffusive_pnl_se == doctest::Approx(sample_std(diffusive) / std::sqrt(8.0)).epsilon(1e-14));
  // The identity diffusive + jump - cost = pnl, on the means.
  CHECK(s.mean == -2.0);
  CHECK(s.mean_cost == 0.375);
  CHECK(s.mean_diffusive_pnl + s.mean_jump_pnl - s.mean_cost == doctest::Approx(s.mean).epsilon(1e-14));

  // Without jump arrays the jump part is exactly 0 (not NaN), diffusive = pnl + cost, no bins.
  const CellStats nj = full_stats(pnl, &cost, nullptr, nullptr);
  CHECK(nj.mean_jump_pnl == 0.0);
  CHECK(nj.mean_jump_pnl_se == 0.0);
  CHECK(nj.std_jump_pnl == 0.0);
  CHECK(nj.mean_jumps == 0.0);
  CHECK(nj.jump_bin_count.empty());
  CHECK(nj.jump_bin_mean.empty());
  CHECK(nj.mean_diffusive_pnl == doctest::Approx(nj.mean + nj.mean_cost).epsilon(1e-15));
  std::vector<double> pc(pnl.size());
  for (std::size_t i = 0; i < pnl.size(); ++i) pc[i] = pnl[i] + cost[i];
  CHECK(nj.std_diffusive_pnl == doctest::Approx(sample_std(pc)).epsilon(1e-14));
  // Without the cost the diffusive part is unknown.
  const CellStats nc = full_stats(pnl, nullptr, &jump_pnl, &jumps);
  CHECK(std::isnan(nc.mean_diffusive_pnl));
  CHECK(nc.mean_jump_pnl == doctest::Approx(-17.75 / 8).epsilon(1e-15));

  // No path (n = 0, the arrays present): shapes kept, statistics undefined.
  CellStats e;
  CellSamples none{pnl.data(), cost.data(), nullptr, nullptr, nullptr, 0};
  none.jump_pnl = jump_pnl.data();
  none.jumps = jumps.data();
  hl::cell_statistics(none, {0.5}, 4, e, {1.0, 2.0}, 3);
  CHECK(e.jump_bin_count == std::vector<std::uint64_t>{0, 0, 0, 0, 0});
  CHECK(std::isnan(e.jump_bin_mean[0]));
  CHECK(e.loss_probability.size() == 2);
  CHECK(std::isnan(e.loss_probability[0]));
  CHECK(e.worst_index.empty());
  CHECK(std::isnan(e.var_999));
  CHECK(std::isnan(e.mean_jump_pnl));
}

TEST_CASE("stats: VaR and ES at 99.9% on 400000 normal draws against the closed forms") {
  std::mt19937_64 rng(20250101);
  const std::int64_t n = 400000;
  const std::vector<double> x = normals(rng, n);
  const CellStats s = stats_of(x);
  // True 99.9% VaR of N(0, 1): Phi^-1(0.999); ES: phi(z) / (1 - 0.999).
  const double z = 3.0902323061678132, es = phi(z) / 0.001;
  CHECK(s.var_999_lo <= z);
  CHECK(z <= s.var_999_hi);
  CHECK(std::fabs(s.var_999 - z) < 3 * s.var_999_se);
  CHECK(s.var_999_se == doctest::Approx(std::sqrt(0.001 * 0.999 / n) / phi(z)).epsilon(0.25));
  CHECK(std::fabs(s.es_999 - es) < 3 * s.es_999_se);
  CHECK(s.es_999_lo <= es);
  CHECK(es <= s.es_999_hi);
  // The ES interval is narrower than the ES itself and wider than zero.
  CHECK(s.es_999_se > 0.0);
  CHECK(s.es_999_se < 0.1);
  // 99%: the same checks, Phi^-1(0.99) and phi(z) / 0.01.
  const double z99 = 2.3263478740408408, es99 = phi(z99) / 0.01;
  CHECK(s.var_99_lo <= z99);
  CHECK(z99 <= s.var_99_hi);
  CHECK(std::fabs(s.es_99 - es99) < 3 * s.es_99_se);
  // P(loss > z) is 0.001 within 3 se.
  const CellStats p = full_stats(x, nullptr, nullptr, nullptr, {z, 0.0});
  CHECK(std::fabs(p.loss_probability[0] - 0.001) < 3 * p.loss_probability_se[0]);
  CHECK(std::fabs(p.loss_probability[1] - 0.5) < 3 * p.loss_probability_se[1]);
}

TEST_CASE("stats: the 99.9% intervals cover the true VaR and ES about 95% of the time") {
  // 300 repetitions of n = 50000 (50 tail paths): coverage within the binomial spread of 0.95
  // (sd 0.0126); the ES interval, from an asymptotic standard error, is allowed a little less.
  std::mt19937_64 rng(5);
  const double z = 3.0902323061678132, es = phi(z) / 0.001;
  int var_in = 0, es_in = 0;
  const int reps = 300;
  for (int rep = 0; rep < reps; ++rep) {
    const CellStats s = stats_of(normals(rng, 50000));
    var_in += s.var_999_lo <= z && z <= s.var_999_hi;
    es_in += s.es_999_lo <= es && es <= s.es_999_hi;
  }
  CAPTURE(var_in);
  CAPTURE(es_in);
  CHECK(var_in >= int(0.91 * reps));
  CHECK(var_in <= int(0.995 * reps));
  CHECK(es_in >= int(0.87 * reps));
  CHECK(es_in <= int(0.995 * reps));
}

TEST_CASE("stats: exact order statistics (ranks selected, not sorted) equal those read from a fully sorted sample") {
  // The exact method finds only the ranks and ranges that the quantiles, intervals and tails read, by
  // buckets or by selection. Every one of them must be what a full sort gives: checked over sizes
  // around the selection's small-range cutoff, ties, signed zeros, NaN and infinities, a far outlier,
  // heavy tails, and 101 quantile levels.
  std::mt19937_64 rng(4242);
  std::normal_distribution<double> N(0.0, 1.0);
  std::vector<double> many{0.0001, 0.9999};
  for (int i = 1; i < 100; ++i) many.push_back(i / 100.0);
  std::sort(many.begin(), many.end());
  // Bit for bit: -0 and +0 included (the sorted order puts -0 first).
  auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  // Neumaier's sum, as the statistics take it, over the k smallest in increasing order.
  auto tail_mean = [](const std::vector<double>& s, std::size_t k) {
    double t = 0.0, c = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
      const double y = t + s[i];
      c += std::fabs(t) >= std::fabs(s[i]) ? (t - y) + s[i] : (s[i] - y) + t;
      t = y;
    }
    return (t + c) / double(k);
  };
  int checked = 0;
  for (std::size_t n : {1, 2, 3, 5, 63, 64, 65, 66, 130, 1000, 4097, 150001}) {
    for (int kind = 0; kind < 6; ++kind) {
      CAPTURE(n);
      CAPTURE(kind);
      std::vector<double> x(n);
      for (double& v : x) {
        const double z = N(rng);
        v = kind == 0 ? z : kind == 1 ? std::round(3.0 * z) : kind == 2 ? 7.5 : kind == 4 ? z : std::exp(2.0 * z) - 1.0;
      }
      if (kind == 4) x[0] = 1e9;  // one far outlier: most values in a few buckets
      if (kind == 0)               // zeros of both signs among normals (found by buckets from 65536 values)
        for (std::size_t i = 7; i < n; i += 97) x[i] = (i / 97) % 2 ? -0.0 : 0.0;
      if (kind == 3 && n > 10) {  // a few non-finite values (refused upstream; must not break the order)
        x[n / 3] = kNaN;
        x[n / 2] = std::numeric_limits<double>::infinity();
        x[n / 5] = -std::numeric_limits<double>::infinity();
      }
      std::vector<double> s = x;
      std::sort(s.begin(), s.end(), [](double a, double b) {
        return a < b || (a == b && std::signbit(a) && !std::signbit(b)) || (!std::isnan(a) && std::isnan(b));
      });
      const CellStats st = stats_of(x, many, 7);
      REQUIRE(st.quantiles.size() == many.size());
      for (std::size_t l = 0; l < many.size(); ++l) {
        const double p = many[l];
        CAPTURE(p);
        CHECK(same(st.quantiles[l], hl::quantile_sorted(s, p)));
        const auto [j, k] = hl::quantile_ci_indices(std::int64_t(n), p);
        CHECK(same(st.quantiles_lo[l], s[std::size_t(j)]));
        CHECK(same(st.quantiles_hi[l], s[std::size_t(k)]));
        ++checked;
      }
      struct Tail {
        double p, var, es, lo, hi;
      };
      for (const Tail& t : {Tail{0.05, st.var_95, st.es_95, kNaN, kNaN},
                            Tail{0.01, st.var_99, st.es_99, st.var_99_lo, st.var_99_hi},
                            Tail{0.001, st.var_999, st.es_999, st.var_999_lo, st.var_999_hi}}) {
        CAPTURE(t.p);
        CHECK(same(t.var, -hl::quantile_sorted(s, t.p)));
        const std::size_t k = std::max<std::size_t>(1, std::size_t(std::ceil(t.p * double(n) - 1e-9)));
        CHECK(same(t.es, -tail_mean(s, k)));
        if (!std::isnan(t.lo)) {
          const auto [j, kk] = hl::quantile_ci_indices(std::int64_t(n), t.p);
          CHECK(same(t.lo, -s[std::size_t(kk)]));
          CHECK(same(t.hi, -s[std::size_t(j)]));
        }
      }
      // The histogram reads every value, in any order.
      std::uint64_t finite = 0, counted = 0;
      for (double v : x) finite += std::isfinite(v);
      for (std::uint64_t c : st.histogram_counts) counted += c;
      CHECK(counted == finite);
    }
  }
  CHECK(checked == 12 * 6 * 101);
}

TEST_CASE("stats: block sums in lanes, the generic and the AVX2 build the same bits, against long double") {
  // shifted_power_sums and paired_power_sums: every lane's Neumaier sum the same bits from both builds
  // (no contraction, the same operations in the same order), and the folded sums within 4e-16 of the
  // sum of |terms| from a long double sum of the same terms. Lengths around the vector width.
  std::mt19937_64 rng(77);
  std::normal_distribution<double> N(0.0, 1.0);
  const bool avx2 = __builtin_cpu_supports("avx2");
  if (!avx2) MESSAGE("no AVX2 on this CPU: only the generic build is checked");
  auto fold = [](const hl::LaneSum& l) {
    long double r = 0.0L;
    for (int j = 0; j < hl::kSumLanes; ++j) r += static_cast<long double>(l.s[j]) + l.c[j];
    return r;
  };
  auto same = [](const hl::LaneSum& a, const hl::LaneSum& b) {
    return std::memcmp(a.s, b.s, sizeof a.s) == 0 && std::memcmp(a.c, b.c, sizeof a.c) == 0;
  };
  int checked = 0;
  for (std::int64_t n : {0, 1, 3, 4, 5, 7, 8, 4095, 4096}) {
    std::vector<double> a(n), p(n), m(n), b(n);
    for (std::int64_t i = 0; i < n; ++i) {
      a[i] = 100.0 + 5.0 * N(rng), p[i] = 0.01 * std::fabs(N(rng)), m[i] = 2.0 * N(rng), b[i] = a[i] + 0.3 * N(rng);
    }
    CAPTURE(n);
    for (int powers : {1, 2, 4}) {
      for (int with = 0; with < 4; ++with) {
        const double* pp = (with & 1) ? p.data() : nullptr;
        const double* mm = (with & 2) ? m.data() : nullptr;
        hl::LaneSum g[4], v[4];
        hl::shifted_power_sums(a.data(), pp, mm, n, 100.3, powers, g, false);
        if (avx2) hl::shifted_power_sums(a.data(), pp, mm, n, 100.3, powers, v, true);
        long double ref[4] = {}, mag[4] = {};
        for (std::int64_t i = 0; i < n; ++i) {
          double u = a[i];
          if (pp) u = u + pp[i];
          if (mm) u = u - mm[i];
          u = u - 100.3;
          const double u2 = u * u, t[4] = {u, u2, u2 * u, u2 * u2};
          for (int j = 0; j < 4; ++j) ref[j] += t[j], mag[j] += std::fabs(t[j]);
        }
        for (int j = 0; j < powers; ++j) {
          CAPTURE(powers);
          CAPTURE(with);
          CAPTURE(j);
          CHECK(std::fabs(static_cast<double>(fold(g[j]) - ref[j])) <= 4e-16 * static_cast<double>(mag[j]));
          if (avx2) CHECK(same(g[j], v[j]));
          ++checked;
        }
      }
    }
    hl::LaneSum g[14], v[14];
    hl::paired_power_sums(a.data(), b.data(), n, 0.01, 100.2, 99.9, g, false);
    if (avx2) hl::paired_power_sums(a.data(), b.data(), n, 0.01, 100.2, 99.9, v, true);
    long double ref[14] = {}, mag[14] = {};
    for (std::int64_t i = 0; i < n; ++i) {
      const double d = (a[i] - b[i]) - 0.01, e = (a[i] - 100.2) + (b[i] - 99.9);
      const double dd = d * d, ee = e * e;
      const double t[14] = {d,      e,      dd,      d * e,          ee,      dd * d,         dd * e,
                            d * ee, ee * e, dd * dd, (dd * d) * e, dd * ee, d * (ee * e), ee * ee};
      for (int j = 0; j < 14; ++j) ref[j] += t[j], mag[j] += std::fabs(t[j]);
    }
    for (int j = 0; j < 14; ++j) {
      CAPTURE(j);
      CHECK(std::fabs(static_cast<double>(fold(g[j]) - ref[j])) <= 4e-16 * static_cast<double>(mag[j]));
      if (avx2) CHECK(same(g[j], v[j]));
      ++checked;
    }
  }
  CHECK(checked == 9 * (4 + 8 + 16 + 14));
}
