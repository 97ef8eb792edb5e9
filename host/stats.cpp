#include "host/stats.hpp"

#include <algorithm>
#include <cmath>

namespace hl {

namespace {
// Neumaier's compensated sum: the mean of 1e9 samples keeps full double precision.
struct Sum {
  double s = 0.0, c = 0.0;
  void add(double x) {
    const double t = s + x;
    c += std::fabs(s) >= std::fabs(x) ? (s - t) + x : (x - t) + s;
    s = t;
  }
  double value() const { return s + c; }
};
}  // namespace

const std::vector<double>& default_quantile_levels() {
  static const std::vector<double> levels{0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999};
  return levels;
}

double quantile_sorted(const std::vector<double>& x, double p) {
  const double h = (static_cast<double>(x.size()) - 1.0) * p;
  const std::size_t lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (h - static_cast<double>(lo)) * (x[hi] - x[lo]);
}

void cell_statistics(const double* pnl, const double* cost, const std::uint32_t* trades, std::int64_t n,
                     const std::vector<double>& levels, int bins, CellStats& out) {
  const double dn = static_cast<double>(n);
  Sum s1, sc;
  std::uint64_t st = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    s1.add(pnl[i]);
    sc.add(cost[i]);
    st += trades[i];
  }
  const double mean = s1.value() / dn;
  // Central moments, second pass (stable where the mean is large against the spread).
  Sum m2s, m3s, m4s;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = pnl[i] - mean, d2 = d * d;
    m2s.add(d2);
    m3s.add(d2 * d);
    m4s.add(d2 * d2);
  }
  const double m2 = m2s.value() / dn, m3 = m3s.value() / dn, m4 = m4s.value() / dn;
  out.mean = mean;
  out.std = std::sqrt(m2 * dn / (dn - 1.0));  // sample standard deviation
  out.stderr_mean = out.std / std::sqrt(dn);
  // Delta method: Var(s^2) ~ (mu4 - sigma^4) / n, so se(s) ~ sqrt((mu4 - sigma^4) / (4 sigma^2 n)).
  out.stderr_std = m2 > 0.0 ? std::sqrt(std::max(m4 - m2 * m2, 0.0) / (4.0 * m2 * dn)) : 0.0;
  // Bias-adjusted sample skewness G1 and excess kurtosis G2 (Joanes & Gill 1998), as QuantLib reports.
  // Undefined (NaN) for a constant P&L, and for n <= 2 (skewness) or n <= 3 (kurtosis).
  out.skewness = out.kurtosis = std::nan("");
  if (m2 > 0.0 && n > 2) out.skewness = m3 / std::pow(m2, 1.5) * std::sqrt(dn * (dn - 1.0)) / (dn - 2.0);
  if (m2 > 0.0 && n > 3)
    out.kurtosis = ((dn + 1.0) * (m4 / (m2 * m2) - 3.0) + 6.0) * (dn - 1.0) / ((dn - 2.0) * (dn - 3.0));
  out.mean_cost = sc.value() / dn;
  out.mean_trades = static_cast<double>(st) / dn;

  std::vector<double> x(pnl, pnl + n);
  std::sort(x.begin(), x.end());
  out.min = x.front();
  out.max = x.back();
  out.quantiles.clear();
  for (double p : levels) out.quantiles.push_back(quantile_sorted(x, p));
  // VaR_a = -Q(1 - a); ES_a = minus the mean of the ceil((1 - a) n) worst outcomes.
  auto tail = [&](double a, double& var, double& es) {
    var = -quantile_sorted(x, 1.0 - a);
    const std::int64_t k = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1.0 - a) * dn - 1e-9)));
    Sum t;
    for (std::int64_t i = 0; i < k; ++i) t.add(x[i]);
    es = -t.value() / static_cast<double>(k);
  };
  tail(0.95, out.var_95, out.es_95);
  tail(0.99, out.var_99, out.es_99);

  // Histogram over [min, max]: every sample is counted.
  double lo = out.min, hi = out.max;
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  out.histogram_edges.resize(bins + 1);
  for (int b = 0; b <= bins; ++b) out.histogram_edges[b] = lo + (hi - lo) * b / bins;
  out.histogram_counts.assign(bins, 0);
  const double scale = bins / (hi - lo);
  for (double v : x) {
    const auto b = std::min<std::int64_t>(bins - 1, static_cast<std::int64_t>((v - lo) * scale));
    ++out.histogram_counts[b];
  }
}

}  // namespace hl
