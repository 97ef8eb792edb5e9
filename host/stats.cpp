#include "host/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hl {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

// Mean and sample standard deviation (n - 1) of the n values v(0), ..., v(n - 1), two passes in
// index order; NaN where undefined.
template <class F>
void mean_std_of(F v, std::int64_t n, double& mean, double& sd) {
  const double dn = static_cast<double>(n);
  Sum s;
  for (std::int64_t i = 0; i < n; ++i) s.add(v(i));
  mean = s.value() / dn;
  Sum q;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = v(i) - mean;
    q.add(d * d);
  }
  sd = n > 1 ? std::sqrt(q.value() / (dn - 1.0)) : kNaN;
}
void mean_std(const double* v, std::int64_t n, double& mean, double& sd) {
  mean_std_of([v](std::int64_t i) { return v[i]; }, n, mean, sd);
}

// A total order on (value, index): lower value first, NaN after every number, ties by lower index.
bool worse(double a, std::int64_t ia, double b, std::int64_t ib) {
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na != nb) return nb;  // a number is worse than NaN (NaN sorts last)
  if (!na && a != b) return a < b;
  return ia < ib;
}

// P&L by jump-count bin (CellStats::kJumpBins), two passes in path order.
void jump_bins(const double* pnl, const std::uint32_t* jumps, std::int64_t n, CellStats& out) {
  constexpr int B = CellStats::kJumpBins;
  out.jump_bin_count.assign(B, 0);
  out.jump_bin_mean.assign(B, kNaN);
  out.jump_bin_mean_se.assign(B, kNaN);
  out.jump_bin_std.assign(B, kNaN);
  Sum s[B], q[B];
  for (std::int64_t i = 0; i < n; ++i) {
    const int b = jump_bin(jumps[i]);
    ++out.jump_bin_count[b];
    s[b].add(pnl[i]);
  }
  for (int b = 0; b < B; ++b)
    if (out.jump_bin_count[b] > 0) out.jump_bin_mean[b] = s[b].value() / static_cast<double>(out.jump_bin_count[b]);
  for (std::int64_t i = 0; i < n; ++i) {
    const int b = jump_bin(jumps[i]);
    const double d = pnl[i] - out.jump_bin_mean[b];
    q[b].add(d * d);
  }
  for (int b = 0; b < B; ++b) {
    const double m = static_cast<double>(out.jump_bin_count[b]);
    if (m > 1.0) {
      out.jump_bin_std[b] = std::sqrt(q[b].value() / (m - 1.0));
      out.jump_bin_mean_se[b] = out.jump_bin_std[b] / std::sqrt(m);
    }
  }
}

// The k worst outcomes used for ES at tail fraction p: ceil(p n), at least 1 (the 1e-9 keeps
// p n = 50 from becoming 51 through rounding of p).
std::int64_t tail_count(double p, std::int64_t n) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(p * static_cast<double>(n) - 1e-9)));
}
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

std::vector<std::int64_t> worst_indices(const double* pnl, std::int64_t n, std::int64_t k) {
  k = std::max<std::int64_t>(0, std::min(k, n));
  std::vector<std::int64_t> heap;  // max-heap under `worse`: the best of the kept paths on top
  heap.reserve(static_cast<std::size_t>(k));
  auto less = [pnl](std::int64_t a, std::int64_t b) { return worse(pnl[a], a, pnl[b], b); };
  if (k == 0) return heap;
  for (std::int64_t i = 0; i < n; ++i) {
    if (static_cast<std::int64_t>(heap.size()) < k) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), less);
    } else if (less(i, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), less);
      heap.back() = i;
      std::push_heap(heap.begin(), heap.end(), less);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), less);  // ascending under `worse`: worst first
  return heap;
}

std::pair<std::int64_t, std::int64_t> quantile_ci_indices(std::int64_t n, double p) {
  const double dn = static_cast<double>(n), np = dn * p, w = kZ95 * std::sqrt(np * (1.0 - p));
  auto clamp = [&](double i) {
    return static_cast<std::int64_t>(std::min(std::max(i, 0.0), std::max(dn - 1.0, 0.0)));
  };
  return {clamp(std::floor(np - w)), clamp(std::ceil(np + w))};
}

void cell_statistics(const CellSamples& xs, const std::vector<double>& levels, int bins, CellStats& out,
                     const std::vector<double>& loss_thresholds, int worst_paths) {
  const std::int64_t n = xs.n;
  const double* pnl = xs.pnl;
  const double dn = static_cast<double>(n);
  bins = std::max(bins, 0);
  const bool has_jumps = xs.jump_pnl && xs.jumps;

  if (n <= 0) {  // nothing to describe: every statistic undefined, shapes kept for the writer
    out.mean = out.std = out.stderr_mean = out.stderr_std = out.skewness = out.kurtosis = kNaN;
    out.min = out.max = out.var_95 = out.es_95 = out.var_99 = out.es_99 = kNaN;
    out.mean_cost = out.std_cost = out.mean_trades = out.mean_turnover_shares = out.mean_turnover_notional = kNaN;
    out.var_95_se = out.var_99_se = out.es_95_se = out.es_99_se = kNaN;
    out.var_999 = out.es_999 = out.var_999_se = out.es_999_se = kNaN;
    out.var_99_lo = out.var_99_hi = out.var_999_lo = out.var_999_hi = kNaN;
    out.es_99_lo = out.es_99_hi = out.es_999_lo = out.es_999_hi = kNaN;
    out.mean_jump_pnl = out.mean_jump_pnl_se = out.std_jump_pnl = kNaN;
    out.mean_diffusive_pnl = out.mean_diffusive_pnl_se = out.std_diffusive_pnl = out.mean_jumps = kNaN;
    out.loss_probability.assign(loss_thresholds.size(), kNaN);
    out.loss_probability_se.assign(loss_thresholds.size(), kNaN);
    out.worst_index.clear();
    out.worst_pnl.clear();
    out.jump_bin_count.clear();
    out.jump_bin_mean.clear();
    out.jump_bin_mean_se.clear();
    out.jump_bin_std.clear();
    if (has_jumps) jump_bins(pnl, xs.jumps, 0, out);  // five empty bins
    out.quantiles.assign(levels.size(), kNaN);
    out.quantiles_lo.assign(levels.size(), kNaN);
    out.quantiles_hi.assign(levels.size(), kNaN);
    out.histogram_edges.resize(bins + 1);
    for (int b = 0; b <= bins; ++b) out.histogram_edges[b] = bins ? -0.5 + 1.0 * b / bins : -0.5;
    out.histogram_counts.assign(bins, 0);
    return;
  }

  Sum s1;
  bool any_nan = false;
  for (std::int64_t i = 0; i < n; ++i) {
    s1.add(pnl[i]);
    any_nan |= std::isnan(pnl[i]);
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
  out.std = n > 1 ? std::sqrt(m2 * dn / (dn - 1.0)) : kNaN;  // sample standard deviation
  out.stderr_mean = out.std / std::sqrt(dn);
  // Delta method: Var(s^2) ~ (mu4 - sigma^4) / n, so se(s) ~ sqrt((mu4 - sigma^4) / (4 sigma^2 n)).
  out.stderr_std = m2 > 0.0 ? std::sqrt(std::max(m4 - m2 * m2, 0.0) / (4.0 * m2 * dn)) : 0.0;
  // Bias-adjusted sample skewness G1 and excess kurtosis G2 (Joanes & Gill 1998), as QuantLib reports.
  // Undefined (NaN) for a constant P&L, and for n <= 2 (skewness) or n <= 3 (kurtosis).
  out.skewness = out.kurtosis = kNaN;
  if (m2 > 0.0 && n > 2) out.skewness = m3 / std::pow(m2, 1.5) * std::sqrt(dn * (dn - 1.0)) / (dn - 2.0);
  if (m2 > 0.0 && n > 3)
    out.kurtosis = ((dn + 1.0) * (m4 / (m2 * m2) - 3.0) + 6.0) * (dn - 1.0) / ((dn - 2.0) * (dn - 3.0));

  // Costs and turnover: compensated means in path order; cost std is the sample std (n - 1).
  out.mean_cost = out.std_cost = out.mean_trades = out.mean_turnover_shares = out.mean_turnover_notional = kNaN;
  if (xs.cost) mean_std(xs.cost, n, out.mean_cost, out.std_cost);
  if (xs.trades) {
    std::uint64_t st = 0;
    for (std::int64_t i = 0; i < n; ++i) st += xs.trades[i];
    out.mean_trades = static_cast<double>(st) / dn;
  }
  auto mean_of = [&](const double* v) {
    Sum s;
    for (std::int64_t i = 0; i < n; ++i) s.add(v[i]);
    return s.value() / dn;
  };
  if (xs.turnover_shares) out.mean_turnover_shares = mean_of(xs.turnover_shares);
  if (xs.turnover_notional) out.mean_turnover_notional = mean_of(xs.turnover_notional);

  // Attribution: pnl = diffusive + jump - cost per path. Without jump arrays the jump part is 0.
  out.mean_diffusive_pnl = out.mean_diffusive_pnl_se = out.std_diffusive_pnl = kNaN;
  if (has_jumps) {
    mean_std(xs.jump_pnl, n, out.mean_jump_pnl, out.std_jump_pnl);
    out.mean_jump_pnl_se = out.std_jump_pnl / std::sqrt(dn);
    std::uint64_t sj = 0;
    for (std::int64_t i = 0; i < n; ++i) sj += xs.jumps[i];
    out.mean_jumps = static_cast<double>(sj) / dn;
    if (xs.cost) {
      const double *c = xs.cost, *j = xs.jump_pnl;
      mean_std_of([&](std::int64_t i) { return (pnl[i] + c[i]) - j[i]; }, n, out.mean_diffusive_pnl,
                  out.std_diffusive_pnl);
    }
    jump_bins(pnl, xs.jumps, n, out);
  } else {
    out.mean_jump_pnl = out.mean_jump_pnl_se = out.std_jump_pnl = out.mean_jumps = 0.0;
    if (xs.cost) {
      const double* c = xs.cost;
      mean_std_of([&](std::int64_t i) { return pnl[i] + c[i]; }, n, out.mean_diffusive_pnl, out.std_diffusive_pnl);
    }
    out.jump_bin_count.clear();
    out.jump_bin_mean.clear();
    out.jump_bin_mean_se.clear();
    out.jump_bin_std.clear();
  }
  out.mean_diffusive_pnl_se = out.std_diffusive_pnl / std::sqrt(dn);

  // The worst paths, from the unsorted P&L (the sorted copy below has lost the path indices).
  out.worst_index = worst_indices(pnl, n, worst_paths);
  out.worst_pnl.resize(out.worst_index.size());
  for (std::size_t i = 0; i < out.worst_index.size(); ++i) out.worst_pnl[i] = pnl[out.worst_index[i]];

  std::vector<double> x(pnl, pnl + n);
  // A NaN breaks operator<'s strict weak ordering (std::sort may then run out of bounds): sort NaN
  // last with a total order. The run refuses non-finite P&L upstream; this only keeps us safe.
  if (any_nan)
    std::sort(x.begin(), x.end(), [](double a, double b) { return a < b || (!std::isnan(a) && std::isnan(b)); });
  else
    std::sort(x.begin(), x.end());
  out.min = x.front();
  out.max = x.back();
  out.quantiles.clear();
  out.quantiles_lo.clear();
  out.quantiles_hi.clear();
  for (double p : levels) {
    out.quantiles.push_back(quantile_sorted(x, p));
    // Distribution-free 95% CI from order statistics (Conover 1999, sec. 3.2): [x_(j), x_(k)].
    const auto [j, k] = quantile_ci_indices(n, p);
    out.quantiles_lo.push_back(x[j]);
    out.quantiles_hi.push_back(x[k]);
  }
  // Tail measures at tail fraction p (0.05 for the 95% level, 0.01 for 99%, 0.001 for 99.9%), losses
  // positive: VaR = -Q(p); ES = minus the mean of the k = ceil(p n) worst outcomes. 95% intervals:
  // VaR, the order-statistic CI of Q(p) negated, [-x_(kk), -x_(j)]; ES, es -+ z es_se.
  struct Tail {
    double var, es, var_se, es_se, var_lo, var_hi, es_lo, es_hi;
  };
  auto tail = [&](double p) {
    Tail r;
    r.var = -quantile_sorted(x, p);
    const std::int64_t k = tail_count(p, n);
    Sum t;
    for (std::int64_t i = 0; i < k; ++i) t.add(x[i]);
    const double tail_mean = t.value() / static_cast<double>(k);
    r.es = -tail_mean;
    // VaR SE from the width of the order-statistic CI of Q(p): asymptotically Q(p) +- z sqrt(p (1-p) / n) / f(Q(p)),
    // so (hi - lo) / (2 z) estimates the SE sqrt(p (1-p) / n) / f without estimating the density f.
    const auto [j, kk] = quantile_ci_indices(n, p);
    r.var_se = (x[kk] - x[j]) / (2.0 * kZ95);
    r.var_lo = -x[kk];
    r.var_hi = -x[j];
    // ES SE, asymptotic (Yamai & Yoshiba 2002; Chen 2008): Var(ES^) ~ (Var(L | L >= VaR) + (1 - p)(ES - VaR)^2) / (n p),
    // with the tail variance the sample variance (k - 1) of the k worst outcomes; NaN for k = 1.
    r.es_se = kNaN;
    if (k > 1) {
      Sum v;
      for (std::int64_t i = 0; i < k; ++i) v.add((x[i] - tail_mean) * (x[i] - tail_mean));
      const double tail_var = v.value() / static_cast<double>(k - 1);
      r.es_se = std::sqrt((tail_var + (1.0 - p) * (r.es - r.var) * (r.es - r.var)) / (dn * p));
    }
    r.es_lo = r.es - kZ95 * r.es_se;
    r.es_hi = r.es + kZ95 * r.es_se;
    return r;
  };
  const Tail t95 = tail(0.05), t99 = tail(0.01), t999 = tail(0.001);
  out.var_95 = t95.var, out.es_95 = t95.es, out.var_95_se = t95.var_se, out.es_95_se = t95.es_se;
  out.var_99 = t99.var, out.es_99 = t99.es, out.var_99_se = t99.var_se, out.es_99_se = t99.es_se;
  out.var_99_lo = t99.var_lo, out.var_99_hi = t99.var_hi, out.es_99_lo = t99.es_lo, out.es_99_hi = t99.es_hi;
  out.var_999 = t999.var, out.es_999 = t999.es, out.var_999_se = t999.var_se, out.es_999_se = t999.es_se;
  out.var_999_lo = t999.var_lo, out.var_999_hi = t999.var_hi, out.es_999_lo = t999.es_lo, out.es_999_hi = t999.es_hi;

  // P(pnl < -L): the number of sorted values below -L (NaN sorts last and is never below).
  out.loss_probability.clear();
  out.loss_probability_se.clear();
  for (double L : loss_thresholds) {
    const double cut = -L;
    const auto below = std::lower_bound(x.begin(), x.end(), cut, [](double v, double c) { return v < c; }) - x.begin();
    const double p = std::isnan(cut) ? kNaN : static_cast<double>(below) / dn;
    out.loss_probability.push_back(p);
    out.loss_probability_se.push_back(std::sqrt(p * (1.0 - p) / dn));
  }

  // Histogram over [min, max] of the finite values: every finite sample is counted. Non-finite values
  // are skipped (refused upstream; here only so that they cannot crash the binning).
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : x)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (!(lo <= hi)) lo = hi = 0.0;  // no finite value
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  out.histogram_edges.resize(bins + 1);
  for (int b = 0; b <= bins; ++b) out.histogram_edges[b] = lo + (hi - lo) * b / bins;
  out.histogram_counts.assign(bins, 0);
  if (bins == 0) return;
  const double scale = bins / (hi - lo);
  for (double v : x) {
    if (!std::isfinite(v)) continue;
    const double t = std::min((v - lo) * scale, double(bins - 1));  // in [0, bins]; NaN if the range overflows
    const std::int64_t b = t >= 1.0 ? static_cast<std::int64_t>(t) : 0;
    ++out.histogram_counts[b];
  }
}

void paired_statistics(const double* a, const double* b, std::int64_t n, const CellStats& base, CellStats& out) {
  const double dn = static_cast<double>(n);
  out.diff_mean = out.diff_mean_se = out.diff_std = out.diff_std_se = kNaN;
  // Unpaired: as if the two cells were simulated on independent paths.
  out.diff_mean_se_unpaired = std::sqrt(out.stderr_mean * out.stderr_mean + base.stderr_mean * base.stderr_mean);
  out.diff_std_se_unpaired = std::sqrt(out.stderr_std * out.stderr_std + base.stderr_std * base.stderr_std);
  if (n <= 0) return;

  // Pass 1: means, in path order with the same sums as cell_statistics (so identical to its means).
  Sum sa, sb, sd;
  for (std::int64_t i = 0; i < n; ++i) {
    sa.add(a[i]);
    sb.add(b[i]);
    sd.add(a[i] - b[i]);
  }
  const double ma = sa.value() / dn, mb = sb.value() / dn, md = sd.value() / dn;
  // Pass 2: second moments.
  Sum qa, qb, qd;
  for (std::int64_t i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb, dd = (a[i] - b[i]) - md;
    qa.add(da * da);
    qb.add(db * db);
    qd.add(dd * dd);
  }
  const double m2a = qa.value() / dn, m2b = qb.value() / dn;
  out.diff_mean = ma - mb;
  // Paired SE of the mean difference: sample std (n - 1) of the per-path differences / sqrt(n).
  if (n > 1) out.diff_mean_se = std::sqrt(qd.value() / (dn - 1.0)) / std::sqrt(dn);
  // Same estimator as cell_statistics' std (sample std, n - 1).
  if (n > 1) out.diff_std = std::sqrt(m2a * dn / (dn - 1.0)) - std::sqrt(m2b * dn / (dn - 1.0));

  // Paired SE of the std difference, delta method (e.g. van der Vaart 1998, ch. 3): s ~ sigma + (mean U - sigma^2) / (2 sigma)
  // with U = (a - mean a)^2, V = (b - mean b)^2, so Var(sa - sb) ~ Var(U / (2 sa) - V / (2 sb)) / n
  // = [Var U / (4 sa^2) + Var V / (4 sb^2) - 2 Cov(U, V) / (4 sa sb)] / n. Computed as the variance of
  // W = U / (2 sa) - V / (2 sb), which is never negative and exactly 0 for identical cells. Moments are
  // the population ones (1/n), as in stderr_std, so that uncorrelated cells give the unpaired value.
  // A constant cell (sigma = 0) contributes nothing, as stderr_std is 0 for it.
  const double ca = m2a > 0.0 ? 0.5 / std::sqrt(m2a) : 0.0, cb = m2b > 0.0 ? 0.5 / std::sqrt(m2b) : 0.0;
  const double mw = ca * m2a - cb * m2b;  // mean of W
  Sum qw;
  for (std::int64_t i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb;
    const double w = (ca * (da * da) - cb * (db * db)) - mw;
    qw.add(w * w);
  }
  out.diff_std_se = std::sqrt(qw.value() / dn / dn);
}

}  // namespace hl
