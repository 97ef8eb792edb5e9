#include "host/stats.hpp"

#include "host/stat_sums.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace hl {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kBins = CellStats::kJumpBins;

// Neumaier's compensated sum: the mean of 1e9 samples keeps full double precision.
struct Sum {
  double s = 0.0, c = 0.0;
  void add(double x) {
    const double t = s + x;
    c += std::fabs(s) >= std::fabs(x) ? (s - t) + x : (x - t) + s;
    s = t;
  }
  // Adds another sum, its compensation included: folding block sums keeps the blocks' precision.
  void add(const Sum& o) {
    add(o.s);
    add(o.c);
  }
  double value() const { return s + c; }
};

// A sum folded from its lanes (stat_sums.hpp), in lane order.
Sum fold_lanes(const LaneSum& l) {
  Sum r;
  for (int j = 0; j < kSumLanes; ++j) r.add(Sum{l.s[j], l.c[j]});
  return r;
}

// A total order on (value, index): lower value first, NaN after every number, ties by lower index.
bool worse(double a, std::int64_t ia, double b, std::int64_t ib) {
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na != nb) return nb;  // a number is worse than NaN (NaN sorts last)
  if (!na && a != b) return a < b;
  return ia < ib;
}
// a before b in the order of values with NaN last (the order the sorted sample has).
bool before(double a, double b) { return !std::isnan(a) && (std::isnan(b) || a < b); }

// The k worst outcomes used for ES at tail fraction p: ceil(p n), at least 1 (the 1e-9 keeps
// p n = 50 from becoming 51 through rounding of p).
std::int64_t tail_count(double p, std::int64_t n) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(p * static_cast<double>(n) - 1e-9)));
}

// Runs f(0), ..., f(tasks - 1) on up to `threads` threads (the calling thread one of them), in any
// order; the first exception is rethrown on the calling thread.
template <class F>
void parallel_for(std::int64_t tasks, int threads, F&& f) {
  const int nthreads = static_cast<int>(std::min<std::int64_t>(std::max(threads, 1), tasks));
  if (nthreads <= 1) {
    for (std::int64_t i = 0; i < tasks; ++i) f(i);
    return;
  }
  std::atomic<std::int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    try {
      for (std::int64_t i; (i = next.fetch_add(1)) < tasks;) f(i);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(tasks);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < nthreads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

// The central moment E[(x - mu)^i (y - nu)^j], i + j <= 4, from the raw moments raw[k][l] = E[x^k y^l]
// (raw[0][0] = 1) and mu = E[x], nu = E[y]: the binomial expansion
// sum_k sum_l C(i, k) C(j, l) (-mu)^(i-k) (-nu)^(j-l) E[x^k y^l]. With moments about shifts near the
// means (mu, nu small against the spread) it loses no precision to cancellation.
double central_moment(const double raw[5][5], int i, int j, double mu, double nu) {
  static constexpr double C[5][5] = {{1}, {1, 1}, {1, 2, 1}, {1, 3, 3, 1}, {1, 4, 6, 4, 1}};
  double pm[5] = {1, 0, 0, 0, 0}, pn[5] = {1, 0, 0, 0, 0};  // (-mu)^k, (-nu)^k
  for (int k = 1; k <= 4; ++k) pm[k] = pm[k - 1] * -mu, pn[k] = pn[k - 1] * -nu;
  double r = 0.0;
  for (int k = 0; k <= i; ++k)
    for (int l = 0; l <= j; ++l) r += C[i][k] * C[j][l] * pm[i - k] * pn[j - l] * raw[k][l];
  return r;
}

// Mean and sample standard deviation (n - 1) of a series from its count, shift and the sums of the
// shifted values and their squares: mean = K + S1 / n, s^2 = (S2 - S1 mu) / (n - 1), mu = S1 / n. NaN
// where undefined.
void mean_std(std::int64_t n, double shift, const Sum* sums, double& mean, double& sd) {
  const double dn = static_cast<double>(n);
  const double s1 = sums[0].value(), mu = s1 / dn;
  mean = shift + mu;
  sd = n > 1 ? std::sqrt(std::max((sums[1].value() - s1 * mu) / (dn - 1.0), 0.0)) : kNaN;
}

// The shifts K of one cell's series: the plain means of block 0 (the first kStatBlock paths), so that
// the sums of powers of x - K lose no precision to a mean far from zero.
struct Shifts {
  double x = 0.0, cost = 0.0, shares = 0.0, notional = 0.0, jump = 0.0, diffusive = 0.0, diff = 0.0;
  double bin[kBins] = {};  // P&L of the paths in each jump bin (x where block 0 has none)
  double zero_threshold = kSketchZeroFraction;  // the sketch's x_min
};

// Sums over a block of paths, or over all blocks so far, of one cell. Series are shifted by the cell's
// Shifts.
struct Moments {
  std::int64_t n = 0;
  Sum x[4];  // (x - K)^1, ^2, ^3, ^4
  Sum cost[2], shares, notional, jump[2], diffusive[2];
  std::uint64_t trades = 0, jumps = 0;
  std::uint64_t bin_n[kBins] = {};
  Sum bin[kBins][2];
  // Paired with the baseline: sums of d^i s^j (1 <= i + j <= 4) of the difference d = (x - x_base) - K_diff
  // and the sum s = (x - K_x) + (x_base - K_x(base)); pd[0][0] unused.
  Sum pd[5][5];
  double lo = kNaN, hi = -kInf;      // min and max, NaN last (as in the sorted sample)
  double flo = kInf, fhi = -kInf;    // min and max of the finite values
  std::uint64_t nonfinite = 0;

  void fold(const Moments& b) {
    if (b.n == 0) return;
    n += b.n;
    for (int i = 0; i < 4; ++i) x[i].add(b.x[i]);
    for (int i = 0; i < 2; ++i) {
      cost[i].add(b.cost[i]);
      jump[i].add(b.jump[i]);
      diffusive[i].add(b.diffusive[i]);
    }
    for (int i = 0; i <= 4; ++i)
      for (int j = 0; i + j <= 4; ++j) pd[i][j].add(b.pd[i][j]);
    shares.add(b.shares);
    notional.add(b.notional);
    trades += b.trades;
    jumps += b.jumps;
    for (int k = 0; k < kBins; ++k) {
      bin_n[k] += b.bin_n[k];
      bin[k][0].add(b.bin[k][0]);
      bin[k][1].add(b.bin[k][1]);
    }
    if (before(b.lo, lo)) lo = b.lo;
    if (before(hi, b.hi)) hi = b.hi;
    flo = std::min(flo, b.flo);
    fhi = std::max(fhi, b.fhi);
    nonfinite += b.nonfinite;
  }
};

// What run_memory_bytes counts per block of a chunk and cell: the sums and the loss counts.
static_assert(sizeof(Moments) + 64 * sizeof(std::uint64_t) <= kStatBlockBytes, "kStatBlockBytes too small");

using Candidate = std::pair<double, std::int64_t>;  // P&L, path
bool worse_candidate(const Candidate& a, const Candidate& b) { return worse(a.first, a.second, b.first, b.second); }

// What order_statistics reads of a sample of n values, found by running it with every value 0: the
// ranks it reads one at a time and the ranges of ranks it reads in order. Which ranks these are depends
// on n and the levels only, never on the values.
struct RankRecorder {
  std::int64_t n;
  std::vector<std::int64_t>* ranks;
  std::vector<std::pair<std::int64_t, std::int64_t>>* ranges;
  std::int64_t size() const { return n; }
  double at(std::int64_t i) const {
    ranks->push_back(i);
    return 0.0;
  }
  template <class F>
  void runs(std::int64_t r0, std::int64_t r1, F&&) const {
    if (r0 < r1) ranges->emplace_back(r0, r1);
  }
  template <class F>
  void each(F&&) const {}  // any order: nothing to place
};

// The order of the sorted sample: by value, and -0 before +0, so that the value at every rank is one
// bit pattern whichever way it is found (operator< alone leaves the two zeros in any order).
struct ZeroSignLess {
  bool operator()(double p, double q) const { return p < q || (p == q && std::signbit(p) && !std::signbit(q)); }
};

// The values at ranks [r0, r1) of the sample, in increasing order: v[0] is the value of rank r0.
struct RankSeg {
  std::int64_t r0, r1;
  const double* v;
};

// The sample as the quantile, tail and histogram code reads it: the i-th smallest value and runs of
// (value, multiplicity) over a range of ranks in increasing order, from the sorted segments that
// exact_order built for the ranks and ranges RankRecorder found; and every value in any order.
struct ExactOrder {
  const double* x = nullptr;  // every value, in any order
  std::int64_t n = 0;
  std::vector<RankSeg> segs;  // by r0, disjoint
  std::vector<double> store;  // the segments' values where they are not in x itself
  std::int64_t size() const { return n; }
  const RankSeg& seg(std::int64_t i) const {
    auto it = std::upper_bound(segs.begin(), segs.end(), i, [](std::int64_t r, const RankSeg& g) { return r < g.r0; });
    if (it == segs.begin() || i >= (it - 1)->r1) throw std::logic_error("exact order statistics: rank not placed");
    return *(it - 1);
  }
  double at(std::int64_t i) const {
    const RankSeg& g = seg(i);
    return g.v[i - g.r0];
  }
  template <class F>
  void runs(std::int64_t r0, std::int64_t r1, F&& f) const {
    while (r0 < r1) {
      const RankSeg& g = seg(r0);
      const std::int64_t e = std::min(r1, g.r1);
      for (std::int64_t i = r0; i < e; ++i) f(g.v[i - g.r0], std::uint64_t{1});
      r0 = e;
    }
  }
  template <class F>
  void each(F&& f) const {
    for (std::int64_t i = 0; i < n; ++i) f(x[i], std::uint64_t{1});
  }
};

// Puts x[r] in its sorted place for every rank r in [r0, r1) (sorted, unique, all within [lo, hi)), with
// the values below it before it and the others after, as a sort would leave them (up to the order of
// equal values). Selection, not a sort: O(n log(ranks)) instead of O(n log n).
template <class Less>
void select_ranks(double* x, std::int64_t lo, std::int64_t hi, const std::int64_t* r0, const std::int64_t* r1,
                  Less less) {
  while (r0 < r1) {
    if (hi - lo <= 64) {
      std::sort(x + lo, x + hi, less);
      return;
    }
    const std::int64_t* mid = r0 + (r1 - r0) / 2;
    std::nth_element(x + lo, x + *mid, x + hi, less);
    select_ranks(x, lo, *mid, r0, mid, less);
    lo = *mid + 1;
    r0 = mid + 1;
  }
}

// Selection: x arranged in place so that every rank is selected and every range sorted (with the ranks
// r0 and r1 of a range selected first, the range holds the right values), the segments pointing into x.
template <class Less>
void select_order(double* x, std::int64_t n, const std::vector<std::int64_t>& ranks,
                  const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges, Less less, ExactOrder& o) {
  std::vector<std::int64_t> sel = ranks;
  for (const auto& [r0, r1] : ranges) {
    sel.push_back(r0);
    if (r1 < n) sel.push_back(r1);
  }
  std::sort(sel.begin(), sel.end());
  sel.erase(std::unique(sel.begin(), sel.end()), sel.end());
  select_ranks(x, 0, n, sel.data(), sel.data() + sel.size(), less);
  for (const auto& [r0, r1] : ranges) {
    std::sort(x + r0, x + r1, less);
    o.segs.push_back(RankSeg{r0, r1, x + r0});
  }
  for (std::int64_t r : ranks) o.segs.push_back(RankSeg{r, r + 1, x + r});
  std::sort(o.segs.begin(), o.segs.end(), [](const RankSeg& a, const RankSeg& b) { return a.r0 < b.r0; });
}

// Buckets: one pass counts the values in 65536 equal buckets (over the range of a strided sample of
// 4096 values, the values beyond it in the end buckets: the bucket of a value never decreases with the
// value), so that the bucket of every wanted rank is known; a second pass copies out the values of
// those buckets only, and each is sorted. x is not changed. Declines (false) when the wanted buckets
// hold more than an eighth of the sample (values bunched in a few buckets), for the selection to do.
bool bucket_order(const double* x, std::int64_t n, const std::vector<std::int64_t>& ranks,
                  const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges, ExactOrder& o) {
  constexpr std::int32_t kB = 1 << 16;
  constexpr std::int64_t kSample = 4096;
  if (n < 16 * kSample || n >= (std::int64_t{1} << 32)) return false;
  double a = kInf, b = -kInf;
  for (std::int64_t j = 0; j < kSample; ++j) {
    const double v = x[j * n / kSample];
    a = std::min(a, v), b = std::max(b, v);
  }
  const double scale = static_cast<double>(kB) / (b - a);
  if (!(b > a) || !(scale > 0.0) || !std::isfinite(scale)) return false;
  auto bucket = [a, scale](double v) {
    const double t = (v - a) * scale;
    return t <= 0.0 ? 0 : t < static_cast<double>(kB - 1) ? static_cast<std::int32_t>(t) : kB - 1;
  };
  std::vector<std::uint32_t> count(kB, 0);
  for (std::int64_t i = 0; i < n; ++i) ++count[static_cast<std::size_t>(bucket(x[i]))];
  std::vector<std::int64_t> start(kB + 1, 0);  // ranks [start[k], start[k + 1]) are in bucket k
  for (std::int32_t k = 0; k < kB; ++k) start[k + 1] = start[k] + count[k];
  auto bucket_of_rank = [&](std::int64_t r) {
    return static_cast<std::int32_t>(std::upper_bound(start.begin(), start.end(), r) - start.begin()) - 1;
  };
  std::vector<char> want(kB, 0);
  for (std::int64_t r : ranks) want[bucket_of_rank(r)] = 1;
  for (const auto& [r0, r1] : ranges)
    for (std::int32_t k = bucket_of_rank(r0), e = bucket_of_rank(r1 - 1); k <= e; ++k) want[k] = 1;
  std::vector<std::int64_t> at(kB, -1);  // where bucket k's values go in o.store
  std::int64_t total = 0;
  for (std::int32_t k = 0; k < kB; ++k)
    if (want[k]) at[k] = total, total += count[k];
  if (total > n / 8) return false;
  o.store.resize(static_cast<std::size_t>(total));
  std::vector<std::int64_t> fill = at;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t k = bucket(x[i]);
    if (want[k]) o.store[static_cast<std::size_t>(fill[k]++)] = x[i];
  }
  // Each wanted bucket sorted; runs of wanted buckets are runs of ranks, stored contiguously.
  for (std::int32_t k = 0; k < kB;) {
    if (!want[k]) {
      ++k;
      continue;
    }
    const std::int32_t k0 = k;
    for (; k < kB && want[k]; ++k)
      std::sort(o.store.begin() + at[k], o.store.begin() + at[k] + count[k], ZeroSignLess());
    if (start[k] > start[k0]) o.segs.push_back(RankSeg{start[k0], start[k], o.store.data() + at[k0]});
  }
  return true;
}

// The exact order statistics of x[0, n) for the ranks and ranges order_statistics reads: by buckets
// where the values allow, else by selection (x rearranged in place when may_rearrange, else a copy).
// Either way every value read is the one a full sort (ZeroSignLess, NaN last) puts at that rank, so every
// statistic is the same, to the bit (ranges are summed in increasing order either way). `finite`: no NaN or infinity.
ExactOrder exact_order(double* x, std::int64_t n, bool finite, bool may_rearrange, std::vector<std::int64_t> ranks,
                       std::vector<std::pair<std::int64_t, std::int64_t>> ranges) {
  ExactOrder o;
  o.x = x;
  o.n = n;
  // Ranges clamped and merged (the tails at 95, 99 and 99.9% all start at rank 0); ranks within a range
  // come with it.
  for (auto& [r0, r1] : ranges) r0 = std::max<std::int64_t>(r0, 0), r1 = std::min(r1, n);
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<std::int64_t, std::int64_t>> merged;
  for (const auto& r : ranges) {
    if (r.first >= r.second) continue;
    if (!merged.empty() && r.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  auto covered = [&](std::int64_t r) {
    for (const auto& [r0, r1] : merged)
      if (r >= r0 && r < r1) return true;
    return r < 0 || r >= n;
  };
  ranks.erase(std::remove_if(ranks.begin(), ranks.end(), covered), ranks.end());
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());

  if (finite && bucket_order(x, n, ranks, merged, o)) return o;
  double* y = x;
  if (!may_rearrange) {
    o.store.assign(x, x + n);
    y = o.store.data();
  }
  // A NaN breaks operator<'s strict weak ordering (selection may then run out of bounds): order NaN
  // last. The run refuses non-finite P&L upstream; this only keeps us safe.
  if (finite)
    select_order(y, n, ranks, merged, ZeroSignLess(), o);
  else
    select_order(y, n, ranks, merged,
                 [](double p, double q) { return ZeroSignLess()(p, q) || (!std::isnan(p) && std::isnan(q)); }, o);
  return o;
}

// Order statistics from a sketch: rank i reads the representative of the bucket holding it, clamped to
// the exact [min, max] of the finite values (which only brings it closer); ranks 0 and n - 1 are the
// exact min and max.
struct SketchOrder {
  std::vector<double> rep;          // bucket representatives, increasing
  std::vector<std::uint64_t> cum;   // values in buckets 0..b
  double lo = 0.0, hi = 0.0;        // exact min and max
  std::int64_t n = 0;               // values in the sketch
  std::int64_t size() const { return n; }
  std::size_t bucket(std::int64_t i) const {  // the bucket holding rank i
    return static_cast<std::size_t>(std::upper_bound(cum.begin(), cum.end(), static_cast<std::uint64_t>(i)) -
                                    cum.begin());
  }
  double value(std::size_t b) const { return std::min(std::max(rep[b], lo), hi); }
  double at(std::int64_t i) const {
    if (i <= 0) return lo;
    if (i >= n - 1) return hi;
    return value(bucket(i));
  }
  template <class F>
  void runs(std::int64_t r0, std::int64_t r1, F&& f) const {
    r1 = std::min(r1, n);
    if (r0 >= r1) return;
    if (r0 == 0) {
      f(lo, std::uint64_t{1});
      r0 = 1;
    }
    const bool last = r1 == n && r0 < n;  // rank n - 1, the exact max, comes last
    const std::int64_t end = last ? n - 1 : r1;
    for (std::size_t b = bucket(r0); r0 < end; ++b) {
      const std::int64_t upto = std::min<std::int64_t>(end, static_cast<std::int64_t>(cum[b]));
      if (upto > r0) f(value(b), static_cast<std::uint64_t>(upto - r0));
      r0 = std::max(r0, upto);
    }
    if (last) f(hi, std::uint64_t{1});
  }
  template <class F>
  void each(F&& f) const {
    runs(0, n, f);
  }
};

// Quantiles with their intervals, VaR and ES at 95, 99 and 99.9% with theirs, and the histogram over
// [flo, fhi] (the finite range), from the sorted sample (exact) or its sketch.
template <class Order>
void order_statistics(const Order& x, const std::vector<double>& levels, int bins, double flo, double fhi,
                      CellStats& out) {
  const std::int64_t n = x.size();
  const double dn = static_cast<double>(n);
  // Type 7 (Hyndman & Fan), as quantile_sorted.
  auto quantile = [&](double p) {
    const double h = (dn - 1.0) * p;
    const std::int64_t lo = static_cast<std::int64_t>(std::floor(h)), hi = std::min(lo + 1, n - 1);
    const double xlo = x.at(lo);
    return xlo + (h - static_cast<double>(lo)) * (x.at(hi) - xlo);
  };
  out.quantiles.clear();
  out.quantiles_lo.clear();
  out.quantiles_hi.clear();
  for (double p : levels) {
    out.quantiles.push_back(quantile(p));
    // Distribution-free 95% CI from order statistics (Conover 1999, sec. 3.2): [x_(j), x_(k)].
    const auto [j, k] = quantile_ci_indices(n, p);
    out.quantiles_lo.push_back(x.at(j));
    out.quantiles_hi.push_back(x.at(k));
  }
  // Tail measures at tail fraction p (0.05 for the 95% level, 0.01 for 99%, 0.001 for 99.9%), losses
  // positive: VaR = -Q(p); ES = minus the mean of the k = ceil(p n) worst outcomes. 95% intervals:
  // VaR, the order-statistic CI of Q(p) negated, [-x_(kk), -x_(j)]; ES, es -+ z es_se.
  struct Tail {
    double var, es, var_se, es_se, var_lo, var_hi, es_lo, es_hi;
  };
  auto tail = [&](double p) {
    Tail r;
    r.var = -quantile(p);
    const std::int64_t k = tail_count(p, n);
    Sum t;
    x.runs(0, k, [&](double v, std::uint64_t m) { t.add(static_cast<double>(m) * v); });
    const double tail_mean = t.value() / static_cast<double>(k);
    r.es = -tail_mean;
    // VaR SE from the width of the order-statistic CI of Q(p): asymptotically Q(p) +- z sqrt(p (1-p) / n) / f(Q(p)),
    // so (hi - lo) / (2 z) estimates the SE sqrt(p (1-p) / n) / f without estimating the density f.
    const auto [j, kk] = quantile_ci_indices(n, p);
    const double xj = x.at(j), xk = x.at(kk);
    r.var_se = (xk - xj) / (2.0 * kZ95);
    r.var_lo = -xk;
    r.var_hi = -xj;
    // ES SE, asymptotic (Yamai & Yoshiba 2002; Chen 2008): Var(ES^) ~ (Var(L | L >= VaR) + (1 - p)(ES - VaR)^2) / (n p),
    // with the tail variance the sample variance (k - 1) of the k worst outcomes; NaN for k = 1.
    r.es_se = kNaN;
    if (k > 1) {
      Sum v;
      x.runs(0, k, [&](double y, std::uint64_t m) { v.add(static_cast<double>(m) * ((y - tail_mean) * (y - tail_mean))); });
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

  // Histogram over [min, max] of the finite values: every finite sample is counted. Non-finite values
  // are skipped (refused upstream; here only so that they cannot crash the binning).
  double lo = flo, hi = fhi;
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
  x.each([&](double v, std::uint64_t m) {
    if (!std::isfinite(v)) return;
    const double t = std::min((v - lo) * scale, double(bins - 1));  // in [0, bins]; NaN if the range overflows
    const std::int64_t b = t >= 1.0 ? static_cast<std::int64_t>(t) : 0;
    out.histogram_counts[b] += m;
  });
}

// Every statistic undefined (no path), shapes kept for the writer.
void empty_statistics(const StatsConfig& cfg, bool has_jumps, CellStats& out) {
  const int bins = std::max(cfg.bins, 0);
  const std::size_t levels = cfg.levels.size(), thresholds = cfg.loss_thresholds.size();
  out.mean = out.std = out.stderr_mean = out.stderr_std = out.skewness = out.kurtosis = kNaN;
  out.min = out.max = out.var_95 = out.es_95 = out.var_99 = out.es_99 = kNaN;
  out.mean_cost = out.std_cost = out.mean_trades = out.mean_turnover_shares = out.mean_turnover_notional = kNaN;
  out.var_95_se = out.var_99_se = out.es_95_se = out.es_99_se = kNaN;
  out.var_999 = out.es_999 = out.var_999_se = out.es_999_se = kNaN;
  out.var_99_lo = out.var_99_hi = out.var_999_lo = out.var_999_hi = kNaN;
  out.es_99_lo = out.es_99_hi = out.es_999_lo = out.es_999_hi = kNaN;
  out.mean_jump_pnl = out.mean_jump_pnl_se = out.std_jump_pnl = kNaN;
  out.mean_diffusive_pnl = out.mean_diffusive_pnl_se = out.std_diffusive_pnl = out.mean_jumps = kNaN;
  out.loss_probability.assign(thresholds, kNaN);
  out.loss_probability_se.assign(thresholds, kNaN);
  out.worst_index.clear();
  out.worst_pnl.clear();
  out.jump_bin_count.clear();
  out.jump_bin_mean.clear();
  out.jump_bin_mean_se.clear();
  out.jump_bin_std.clear();
  if (has_jumps) {  // five empty bins
    out.jump_bin_count.assign(kBins, 0);
    out.jump_bin_mean.assign(kBins, kNaN);
    out.jump_bin_mean_se.assign(kBins, kNaN);
    out.jump_bin_std.assign(kBins, kNaN);
  }
  out.quantiles.assign(levels, kNaN);
  out.quantiles_lo.assign(levels, kNaN);
  out.quantiles_hi.assign(levels, kNaN);
  out.histogram_edges.resize(bins + 1);
  for (int b = 0; b <= bins; ++b) out.histogram_edges[b] = bins ? -0.5 + 1.0 * b / bins : -0.5;
  out.histogram_counts.assign(bins, 0);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// QuantileSketch

QuantileSketch::QuantileSketch(double accuracy, double zero_threshold)
    : accuracy_(accuracy),
      zero_threshold_(zero_threshold),
      // ln gamma = ln((1 + a) / (1 - a)) = log1p(2 a / (1 - a)), accurate for small a.
      log_gamma_(std::log1p(2.0 * accuracy / (1.0 - accuracy))),
      inv_log_gamma_(1.0 / log_gamma_),
      rep_scale_(1.0 - accuracy) {  // 2 / (gamma + 1) = 1 - a
  if (!(accuracy >= kSketchAccuracyMin && accuracy < 1.0) || !(zero_threshold > 0.0) || !std::isfinite(zero_threshold))
    throw std::invalid_argument("QuantileSketch: accuracy must be in [1e-6, 1) and the zero threshold > 0");
}

void QuantileSketch::Store::grow(std::int64_t key) {
  if (counts.empty()) {
    lo = key - 64;
    counts.assign(128, 0);
    return;
  }
  // Grow by at least half the current size in the direction needed, so that a range filled bucket by
  // bucket costs amortised O(1) per bucket.
  const std::int64_t size = static_cast<std::int64_t>(counts.size()), slack = std::max<std::int64_t>(size / 2, 64);
  if (key < lo) {
    const std::int64_t new_lo = std::min(key, lo - slack);
    counts.insert(counts.begin(), static_cast<std::size_t>(lo - new_lo), 0);
    lo = new_lo;
  } else {
    const std::int64_t new_size = std::max(key - lo + 1, size + slack);
    counts.resize(static_cast<std::size_t>(new_size), 0);
  }
}

std::int32_t QuantileSketch::code(double x) const {
  const double ax = std::fabs(x);
  if (!(ax <= std::numeric_limits<double>::max())) return kNonfiniteCode;  // NaN or infinite
  if (ax < zero_threshold_) return kZeroCode;
  const auto key = static_cast<std::int32_t>(std::ceil(std::log(ax) * inv_log_gamma_));
  return 2 * key + (x < 0.0 ? 1 : 0);
}

void QuantileSketch::add_code(std::int32_t code) {
  if (code == kZeroCode) {
    ++zero_;
  } else if (code == kNonfiniteCode) {
    ++nonfinite_;
  } else {
    const std::int32_t negative = code & 1;  // two's complement: the low bit of 2 k + 1 is 1 for any k
    ((negative ? neg_ : pos_)).add((static_cast<std::int64_t>(code) - negative) / 2);
  }
}

void QuantileSketch::merge(const QuantileSketch& o) {
  if (o.accuracy_ != accuracy_ || o.zero_threshold_ != zero_threshold_)
    throw std::invalid_argument("QuantileSketch::merge: sketches of different accuracy or zero threshold");
  for (std::size_t i = 0; i < o.pos_.counts.size(); ++i)
    if (o.pos_.counts[i]) pos_.add(o.pos_.lo + static_cast<std::int64_t>(i), o.pos_.counts[i]);
  for (std::size_t i = 0; i < o.neg_.counts.size(); ++i)
    if (o.neg_.counts[i]) neg_.add(o.neg_.lo + static_cast<std::int64_t>(i), o.neg_.counts[i]);
  zero_ += o.zero_;
  nonfinite_ += o.nonfinite_;
}

std::uint64_t QuantileSketch::count() const {
  std::uint64_t n = zero_;
  for (std::uint64_t c : pos_.counts) n += c;
  for (std::uint64_t c : neg_.counts) n += c;
  return n;
}

std::vector<std::pair<double, std::uint64_t>> QuantileSketch::buckets() const {
  std::vector<std::pair<double, std::uint64_t>> out;
  // Bucket k's representative 2 gamma^k / (gamma + 1) = gamma^k (1 - a): within a |x| of every x in
  // (gamma^(k-1), gamma^k].
  auto rep = [&](std::int64_t key) { return std::exp(static_cast<double>(key) * log_gamma_) * rep_scale_; };
  for (std::size_t i = neg_.counts.size(); i-- > 0;)  // the most negative values first
    if (neg_.counts[i]) out.emplace_back(-rep(neg_.lo + static_cast<std::int64_t>(i)), neg_.counts[i]);
  if (zero_) out.emplace_back(0.0, zero_);
  for (std::size_t i = 0; i < pos_.counts.size(); ++i)
    if (pos_.counts[i]) out.emplace_back(rep(pos_.lo + static_cast<std::int64_t>(i)), pos_.counts[i]);
  return out;
}

std::size_t QuantileSketch::memory_bytes() const {
  return sizeof(*this) + (pos_.counts.capacity() + neg_.counts.capacity()) * sizeof(std::uint64_t);
}

double sketch_bytes_estimate(double accuracy) {
  // Two stores of ten decades each (ln 1e10 / ln gamma ~ 23 / (2 a) buckets), with the stores' growth
  // slack of up to half their size.
  return 2.0 * 1.5 * 8.0 * std::log(1e10) / (2.0 * accuracy);
}

// ---------------------------------------------------------------------------------------------------
// StreamStats

struct StreamStats::Impl {
  // One cell's state between chunks.
  struct Cell {
    Shifts k;
    Moments tot;
    bool has_cost = false, has_trades = false, has_shares = false, has_notional = false, has_jumps = false;
    std::vector<std::uint64_t> loss;   // paths with P&L < -L, per threshold
    std::vector<Candidate> worst;      // max-heap under `worse`: the best of the kept paths on top
    std::unique_ptr<QuantileSketch> sketch;
    PathArray<double> kept;            // exact method without samples: the P&L of every path
    double m2 = kNaN;  // from finish(), for the paired statistics: the P&L's central second moment
  };

  StatsConfig cfg;
  std::size_t ncells;
  std::int64_t paths;
  bool jumps;
  int threads;
  std::int64_t next = 0;  // the first path of the next chunk
  std::vector<Cell> cells;
  // Per chunk: per (cell, block) sums, loss counts and worst-path candidates, reused between chunks.
  std::vector<Moments> parts;
  std::vector<std::uint64_t> part_loss;
  std::vector<std::vector<Candidate>> part_worst;
  std::vector<std::int32_t> codes;  // sketch: every path's bucket code, [cell][p - p0]
  std::vector<double> samples, samples_cost;  // [cells x paths], keep_samples

  bool exact() const { return cfg.method == QuantileMethod::exact; }
  // Where the exact method keeps a cell's P&L: the samples when they are kept anyway.
  double* kept(std::size_t c) {
    return cfg.keep_samples ? samples.data() + c * static_cast<std::size_t>(paths) : cells[c].kept.data();
  }

  void set_shifts(const std::vector<CellSamples>& v);
  void block_sums(std::size_t c, std::int64_t p0, std::int64_t i0, std::int64_t i1, const std::vector<CellSamples>& v,
                  Moments& m, std::uint64_t* loss, std::vector<Candidate>& cand);
  void finish_cell(std::size_t c, CellStats& out);
  void finish_paired(std::size_t c, const CellStats& base, CellStats& out) const;
};

StreamStats::StreamStats(StatsConfig cfg, std::size_t cells, std::int64_t paths, bool jumps)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.cfg = std::move(cfg);
  s.ncells = cells;
  s.paths = std::max<std::int64_t>(paths, 0);
  s.jumps = jumps;
  s.threads = cpu_threads(s.cfg.threads);
  s.cells.resize(cells);
  if (s.cfg.baseline >= static_cast<int>(cells)) throw std::invalid_argument("StreamStats: baseline out of range");
  if (s.cfg.keep_samples) {
    s.samples.assign(cells * static_cast<std::size_t>(s.paths), 0.0);
    s.samples_cost.assign(cells * static_cast<std::size_t>(s.paths), 0.0);
  }
  for (Impl::Cell& cell : s.cells) {
    cell.loss.assign(s.cfg.loss_thresholds.size(), 0);
    if (s.exact() && !s.cfg.keep_samples) cell.kept.resize(static_cast<std::size_t>(s.paths));
  }
}

StreamStats::~StreamStats() = default;

void StreamStats::Impl::set_shifts(const std::vector<CellSamples>& v) {
  const std::int64_t m = std::min<std::int64_t>(kStatBlock, v.empty() ? 0 : v[0].n);
  // The mean of the finite values among f(0), ..., f(m - 1); 0 when there is none.
  auto mean = [m](auto f) {
    Sum s;
    std::int64_t k = 0;
    for (std::int64_t i = 0; i < m; ++i) {
      const double y = f(i);
      if (std::isfinite(y)) {
        s.add(y);
        ++k;
      }
    }
    return k > 0 ? s.value() / static_cast<double>(k) : 0.0;
  };
  for (std::size_t c = 0; c < ncells; ++c) {
    const CellSamples& x = v[c];
    Cell& cell = cells[c];
    cell.has_cost = x.cost != nullptr;
    cell.has_trades = x.trades != nullptr;
    cell.has_shares = x.turnover_shares != nullptr;
    cell.has_notional = x.turnover_notional != nullptr;
    cell.has_jumps = x.jump_pnl != nullptr && x.jumps != nullptr;
    Shifts& k = cell.k;
    k.x = mean([&](std::int64_t i) { return x.pnl[i]; });
    if (x.cost) k.cost = mean([&](std::int64_t i) { return x.cost[i]; });
    if (x.turnover_shares) k.shares = mean([&](std::int64_t i) { return x.turnover_shares[i]; });
    if (x.turnover_notional) k.notional = mean([&](std::int64_t i) { return x.turnover_notional[i]; });
    if (cell.has_jumps) {
      k.jump = mean([&](std::int64_t i) { return x.jump_pnl[i]; });
      for (int b = 0; b < kBins; ++b) {
        k.bin[b] = mean([&](std::int64_t i) { return jump_bin(x.jumps[i]) == b ? x.pnl[i] : kNaN; });
        if (k.bin[b] == 0.0) k.bin[b] = k.x;  // no path of block 0 in the bin (or a mean of exactly 0)
      }
    }
    if (x.cost)
      k.diffusive = mean([&](std::int64_t i) {
        return cell.has_jumps ? (x.pnl[i] + x.cost[i]) - x.jump_pnl[i] : x.pnl[i] + x.cost[i];
      });
    if (cfg.baseline >= 0) {
      const double* b = v[static_cast<std::size_t>(cfg.baseline)].pnl;
      k.diff = mean([&](std::int64_t i) { return x.pnl[i] - b[i]; });
    }
    double scale = 0.0;
    for (std::int64_t i = 0; i < m; ++i)
      if (std::isfinite(x.pnl[i])) scale = std::max(scale, std::fabs(x.pnl[i]));
    k.zero_threshold = kSketchZeroFraction * (scale > 0.0 ? scale : 1.0);
    if (!exact()) cell.sketch = std::make_unique<QuantileSketch>(cfg.sketch_accuracy, k.zero_threshold);
  }
}

// Sums of cell c over chunk positions [i0, i1) (paths p0 + i0 ...), one loop per series.
void StreamStats::Impl::block_sums(std::size_t c, std::int64_t p0, std::int64_t i0, std::int64_t i1,
                                   const std::vector<CellSamples>& v, Moments& m, std::uint64_t* loss,
                                   std::vector<Candidate>& cand) {
  const Cell& cell = cells[c];
  const Shifts& k = cell.k;
  const CellSamples& s = v[c];
  const double* x = s.pnl;
  m.n = i1 - i0;

  const bool avx2 = stat_sums_avx2();
  const std::int64_t len = i1 - i0;
  LaneSum l[14];
  // Sums of u, u^2 (powers >= 2), u^3, u^4 (powers 4), u = ((a + p) - m) - k, into sums[0 .. powers).
  auto powers = [&](const double* a, const double* p, const double* q, double shift, int np, Sum* sums) {
    shifted_power_sums(a + i0, p ? p + i0 : nullptr, q ? q + i0 : nullptr, len, shift, np, l, avx2);
    for (int j = 0; j < np; ++j) sums[j] = fold_lanes(l[j]);
  };

  // P&L: powers of u = x - K; extremes; non-finite values.
  {
    powers(x, nullptr, nullptr, k.x, 4, m.x);
    double lo = kNaN, hi = -kInf, flo = kInf, fhi = -kInf;
    std::uint64_t bad = 0;
    for (std::int64_t i = i0; i < i1; ++i) {
      const double xi = x[i];
      if (before(xi, lo)) lo = xi;
      if (before(hi, xi)) hi = xi;
      if (std::isfinite(xi)) {
        flo = std::min(flo, xi);
        fhi = std::max(fhi, xi);
      } else {
        ++bad;
      }
    }
    m.lo = lo, m.hi = hi, m.flo = flo, m.fhi = fhi, m.nonfinite = bad;
  }
  if (s.cost) powers(s.cost, nullptr, nullptr, k.cost, 2, m.cost);
  if (s.turnover_shares) powers(s.turnover_shares, nullptr, nullptr, k.shares, 1, &m.shares);
  if (s.turnover_notional) powers(s.turnover_notional, nullptr, nullptr, k.notional, 1, &m.notional);
  if (s.trades)
    for (std::int64_t i = i0; i < i1; ++i) m.trades += s.trades[i];
  if (cell.has_jumps) {
    powers(s.jump_pnl, nullptr, nullptr, k.jump, 2, m.jump);
    for (std::int64_t i = i0; i < i1; ++i) m.jumps += s.jumps[i];
    for (std::int64_t i = i0; i < i1; ++i) {
      const int j = jump_bin(s.jumps[i]);
      const double u = x[i] - k.bin[j];
      ++m.bin_n[j];
      m.bin[j][0].add(u);
      m.bin[j][1].add(u * u);
    }
  }
  // Attribution: diffusive := (pnl + cost) - jump (the jump part is 0 without jump arrays).
  if (s.cost) powers(x, s.cost, cell.has_jumps ? s.jump_pnl : nullptr, k.diffusive, 2, m.diffusive);
  // Paired with the baseline: the powers d^i s^j of the difference d = (x - x_base) - K_diff and the sum
  // s = (x - K_x) + (x_base - K_base), up to i + j = 4 (finish_paired). Not for the baseline itself,
  // whose differences are 0 by definition.
  if (cfg.baseline >= 0 && c != static_cast<std::size_t>(cfg.baseline)) {
    const double* b = v[static_cast<std::size_t>(cfg.baseline)].pnl;
    const double kb = cells[static_cast<std::size_t>(cfg.baseline)].k.x;
    paired_power_sums(x + i0, b + i0, len, k.diff, k.x, kb, l, avx2);
    // The series come in order of i + j, then of j (stat_sums.hpp).
    int q = 0;
    for (int order = 1; order <= 4; ++order)
      for (int j = 0; j <= order; ++j) m.pd[order - j][j] = fold_lanes(l[q++]);
  }
  // P(pnl < -L): counts, strictly below (NaN is never below).
  for (std::size_t t = 0; t < cfg.loss_thresholds.size(); ++t) {
    const double cut = -cfg.loss_thresholds[t];
    std::uint64_t below = 0;
    for (std::int64_t i = i0; i < i1; ++i) below += x[i] < cut;
    loss[t] = below;
  }
  // Worst-path candidates: the block's own k worst (a max-heap under `worse`), and of those only the
  // paths worse than the best of the cell's current k worst (read-only while the chunk is summed). The
  // final k worst are the same whatever the candidates.
  const std::size_t kw = static_cast<std::size_t>(std::max(cfg.worst_paths, 0));
  cand.clear();
  if (kw > 0) {
    Candidate top = cell.worst.size() >= kw ? cell.worst.front() : Candidate{kNaN, paths};  // past any path
    for (std::int64_t i = i0; i < i1; ++i) {
      const std::int64_t p = p0 + i;
      if (!worse(x[i], p, top.first, top.second)) continue;
      cand.emplace_back(x[i], p);
      std::push_heap(cand.begin(), cand.end(), worse_candidate);
      if (cand.size() > kw) {
        std::pop_heap(cand.begin(), cand.end(), worse_candidate);
        cand.pop_back();
      }
      if (cand.size() == kw && worse_candidate(cand.front(), top)) top = cand.front();
    }
  }
  // The sketch's bucket codes (the logarithms, here in parallel; counted in phase 2).
  if (cell.sketch) {
    std::int32_t* code = codes.data() + c * static_cast<std::size_t>(v[c].n);
    for (std::int64_t i = i0; i < i1; ++i) code[i] = cell.sketch->code(x[i]);
  }
  // The exact method's P&L, and the samples.
  if (exact()) std::copy(x + i0, x + i1, kept(c) + p0 + i0);
  if (cfg.keep_samples && s.cost)
    std::copy(s.cost + i0, s.cost + i1, samples_cost.data() + c * static_cast<std::size_t>(paths) + p0 + i0);
  if (cfg.keep_samples && !exact())
    std::copy(x + i0, x + i1, samples.data() + c * static_cast<std::size_t>(paths) + p0 + i0);
}

void StreamStats::add(std::int64_t p0, std::int64_t p1, const SimOutput& chunk) {
  Impl& s = *impl_;
  const std::int64_t m = p1 - p0;
  const std::size_t need = s.ncells * static_cast<std::size_t>(std::max<std::int64_t>(m, 0));
  if (chunk.pnl.size() < need || chunk.cost.size() < need || (s.jumps && chunk.jump_pnl.size() < need))
    throw std::logic_error("StreamStats::add: chunk arrays shorter than cells x paths");
  std::vector<CellSamples> v(s.ncells);
  for (std::size_t c = 0; c < s.ncells; ++c) {
    const std::size_t at = c * static_cast<std::size_t>(m);
    v[c] = CellSamples{chunk.pnl.data() + at,
                       chunk.cost.data() + at,
                       chunk.trades.data() + at,
                       chunk.turnover_shares.data() + at,
                       chunk.turnover_notional.data() + at,
                       m,
                       s.jumps ? chunk.jump_pnl.data() + at : nullptr,
                       s.jumps ? chunk.jumps.data() + at : nullptr};
  }
  add(p0, p1, v);
}

void StreamStats::add(std::int64_t p0, std::int64_t p1, const std::vector<CellSamples>& v) {
  Impl& s = *impl_;
  const std::int64_t m = p1 - p0;
  if (p0 != s.next || m < 0 || p1 > s.paths || p0 % kStatBlock != 0 || (m % kStatBlock != 0 && p1 != s.paths) ||
      v.size() != s.ncells)
    throw std::logic_error("StreamStats::add: chunks must come in path order, in whole blocks of kStatBlock paths");
  if (m == 0) return;
  if (p0 == 0) s.set_shifts(v);

  // Phase 1: every (cell, block) summed on its own, in parallel.
  const std::int64_t nb = (m + kStatBlock - 1) / kStatBlock;
  const std::size_t tasks = s.ncells * static_cast<std::size_t>(nb), nt = s.cfg.loss_thresholds.size();
  s.parts.assign(tasks, Moments{});
  s.part_loss.assign(tasks * nt, 0);
  if (s.part_worst.size() < tasks) s.part_worst.resize(tasks);
  if (!s.exact()) s.codes.resize(s.ncells * static_cast<std::size_t>(m));
  parallel_for(static_cast<std::int64_t>(tasks), s.threads, [&](std::int64_t t) {
    const std::size_t c = static_cast<std::size_t>(t / nb);
    const std::int64_t b = t % nb, i0 = b * kStatBlock, i1 = std::min(m, i0 + kStatBlock);
    s.block_sums(c, p0, i0, i1, v, s.parts[t], s.part_loss.data() + t * nt, s.part_worst[t]);
  });
  // Phase 2: per cell, on one thread: the blocks folded in block order, the worst paths merged, the
  // sketch's buckets counted (integer counts: any order).
  parallel_for(static_cast<std::int64_t>(s.ncells), s.threads, [&](std::int64_t ci) {
    const std::size_t c = static_cast<std::size_t>(ci);
    Impl::Cell& cell = s.cells[c];
    const std::size_t kw = static_cast<std::size_t>(std::max(s.cfg.worst_paths, 0));
    for (std::int64_t b = 0; b < nb; ++b) {
      const std::size_t t = c * static_cast<std::size_t>(nb) + static_cast<std::size_t>(b);
      cell.tot.fold(s.parts[t]);
      for (std::size_t j = 0; j < nt; ++j) cell.loss[j] += s.part_loss[t * nt + j];
      for (const Candidate& x : s.part_worst[t]) {
        if (cell.worst.size() < kw) {
          cell.worst.push_back(x);
          std::push_heap(cell.worst.begin(), cell.worst.end(), worse_candidate);
        } else if (worse_candidate(x, cell.worst.front())) {
          std::pop_heap(cell.worst.begin(), cell.worst.end(), worse_candidate);
          cell.worst.back() = x;
          std::push_heap(cell.worst.begin(), cell.worst.end(), worse_candidate);
        }
      }
    }
    if (cell.sketch) {
      const std::int32_t* code = s.codes.data() + c * static_cast<std::size_t>(m);
      for (std::int64_t i = 0; i < m; ++i) cell.sketch->add_code(code[i]);
    }
  });
  s.next = p1;
}

std::uint64_t StreamStats::nonfinite(std::size_t cell) const { return impl_->cells.at(cell).tot.nonfinite; }

void StreamStats::Impl::finish_cell(std::size_t c, CellStats& out) {
  Cell& cell = cells[c];
  const Moments& t = cell.tot;
  const std::int64_t n = t.n;
  const double dn = static_cast<double>(n);
  if (n <= 0) {
    empty_statistics(cfg, jumps || cell.has_jumps, out);
    return;
  }

  // P&L moments about the shift, then central (central_moment): mu = E[u], m2 = E[u^2] - mu E[u] (as
  // (S2 - S1 mu) / n), m3, m4. A constant P&L (min = max) has exactly zero spread, whatever the rounding
  // of its shift.
  const double s1 = t.x[0].value(), s2 = t.x[1].value();
  const double mu = s1 / dn;
  double raw[5][5] = {{1.0}};
  for (int i = 1; i <= 4; ++i) raw[i][0] = t.x[i - 1].value() / dn;
  double mean = cell.k.x + mu, m2 = std::max((s2 - s1 * mu) / dn, 0.0), m3 = central_moment(raw, 3, 0, mu, 0.0),
         m4 = central_moment(raw, 4, 0, mu, 0.0), var = n > 1 ? std::max((s2 - s1 * mu) / (dn - 1.0), 0.0) : kNaN;
  if (t.lo == t.hi && std::isfinite(t.lo)) {
    mean = t.lo;
    m2 = m3 = m4 = 0.0;
    var = n > 1 ? 0.0 : kNaN;
  }
  cell.m2 = m2;
  out.mean = mean;
  out.std = std::sqrt(var);  // sample standard deviation (n - 1)
  out.stderr_mean = out.std / std::sqrt(dn);
  // Delta method: Var(s^2) ~ (mu4 - sigma^4) / n, so se(s) ~ sqrt((mu4 - sigma^4) / (4 sigma^2 n)).
  out.stderr_std = m2 > 0.0 ? std::sqrt(std::max(m4 - m2 * m2, 0.0) / (4.0 * m2 * dn)) : 0.0;
  // Bias-adjusted sample skewness G1 and excess kurtosis G2 (Joanes & Gill 1998), as QuantLib reports.
  // Undefined (NaN) for a constant P&L, and for n <= 2 (skewness) or n <= 3 (kurtosis).
  out.skewness = out.kurtosis = kNaN;
  if (m2 > 0.0 && n > 2) out.skewness = m3 / std::pow(m2, 1.5) * std::sqrt(dn * (dn - 1.0)) / (dn - 2.0);
  if (m2 > 0.0 && n > 3)
    out.kurtosis = ((dn + 1.0) * (m4 / (m2 * m2) - 3.0) + 6.0) * (dn - 1.0) / ((dn - 2.0) * (dn - 3.0));
  out.min = t.lo;
  out.max = t.hi;

  // Costs and turnover; cost std is the sample std (n - 1).
  out.mean_cost = out.std_cost = out.mean_trades = out.mean_turnover_shares = out.mean_turnover_notional = kNaN;
  if (cell.has_cost) mean_std(n, cell.k.cost, t.cost, out.mean_cost, out.std_cost);
  if (cell.has_trades) out.mean_trades = static_cast<double>(t.trades) / dn;
  if (cell.has_shares) out.mean_turnover_shares = cell.k.shares + t.shares.value() / dn;
  if (cell.has_notional) out.mean_turnover_notional = cell.k.notional + t.notional.value() / dn;

  // Attribution: pnl = diffusive + jump - cost per path. Without jump arrays the jump part is 0.
  out.mean_diffusive_pnl = out.mean_diffusive_pnl_se = out.std_diffusive_pnl = kNaN;
  out.jump_bin_count.clear();
  out.jump_bin_mean.clear();
  out.jump_bin_mean_se.clear();
  out.jump_bin_std.clear();
  if (cell.has_jumps) {
    mean_std(n, cell.k.jump, t.jump, out.mean_jump_pnl, out.std_jump_pnl);
    out.mean_jump_pnl_se = out.std_jump_pnl / std::sqrt(dn);
    out.mean_jumps = static_cast<double>(t.jumps) / dn;
    // P&L by jump-count bin; an empty bin NaN, a bin of one path NaN std and se.
    out.jump_bin_count.assign(kBins, 0);
    out.jump_bin_mean.assign(kBins, kNaN);
    out.jump_bin_mean_se.assign(kBins, kNaN);
    out.jump_bin_std.assign(kBins, kNaN);
    for (int b = 0; b < kBins; ++b) {
      const std::uint64_t nb = t.bin_n[b];
      out.jump_bin_count[b] = nb;
      if (nb == 0) continue;
      mean_std(static_cast<std::int64_t>(nb), cell.k.bin[b], t.bin[b], out.jump_bin_mean[b], out.jump_bin_std[b]);
      if (nb > 1) out.jump_bin_mean_se[b] = out.jump_bin_std[b] / std::sqrt(static_cast<double>(nb));
    }
  } else {
    out.mean_jump_pnl = out.mean_jump_pnl_se = out.std_jump_pnl = out.mean_jumps = 0.0;
  }
  if (cell.has_cost) mean_std(n, cell.k.diffusive, t.diffusive, out.mean_diffusive_pnl, out.std_diffusive_pnl);
  out.mean_diffusive_pnl_se = out.std_diffusive_pnl / std::sqrt(dn);

  // P(pnl < -L), exact counts; standard error sqrt(p (1 - p) / n).
  out.loss_probability.clear();
  out.loss_probability_se.clear();
  for (std::size_t j = 0; j < cfg.loss_thresholds.size(); ++j) {
    const double p = std::isnan(cfg.loss_thresholds[j]) ? kNaN : static_cast<double>(cell.loss[j]) / dn;
    out.loss_probability.push_back(p);
    out.loss_probability_se.push_back(std::sqrt(p * (1.0 - p) / dn));
  }

  // The worst paths, worst first.
  std::vector<Candidate> worst = cell.worst;
  std::sort_heap(worst.begin(), worst.end(), worse_candidate);
  out.worst_index.resize(worst.size());
  out.worst_pnl.resize(worst.size());
  for (std::size_t i = 0; i < worst.size(); ++i) out.worst_index[i] = worst[i].second, out.worst_pnl[i] = worst[i].first;

  // Quantiles, tails, histogram.
  const int bins = std::max(cfg.bins, 0);
  if (exact()) {
    // Only the ranks and ranges that order_statistics reads are found, not the whole sample sorted. The
    // kept P&L may be rearranged, unless it is also the samples, which keep path order.
    std::vector<std::int64_t> ranks;
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
    CellStats dry;
    order_statistics(RankRecorder{n, &ranks, &ranges}, cfg.levels, bins, t.flo, t.fhi, dry);
    const ExactOrder o = exact_order(kept(c), n, t.nonfinite == 0, !cfg.keep_samples, std::move(ranks),
                                     std::move(ranges));
    order_statistics(o, cfg.levels, bins, t.flo, t.fhi, out);
    out.sketch_zero_threshold = kNaN;
  } else {
    SketchOrder o;
    std::uint64_t total = 0;
    for (const auto& [rep, count] : cell.sketch->buckets()) {
      total += count;
      o.rep.push_back(rep);
      o.cum.push_back(total);
    }
    o.n = static_cast<std::int64_t>(total);
    o.lo = t.flo;
    o.hi = t.fhi;
    if (o.n > 0)
      order_statistics(o, cfg.levels, bins, t.flo, t.fhi, out);
    else {  // no finite P&L at all (refused upstream): undefined
      CellStats none;
      empty_statistics(cfg, false, none);
      out.quantiles = none.quantiles, out.quantiles_lo = none.quantiles_lo, out.quantiles_hi = none.quantiles_hi;
      out.histogram_counts = none.histogram_counts, out.histogram_edges = none.histogram_edges;
      out.var_95 = out.es_95 = out.var_99 = out.es_99 = out.var_999 = out.es_999 = kNaN;
    }
    out.sketch_zero_threshold = cell.k.zero_threshold;
  }
}

// Paired differences of cell c against the baseline, from the cells' sums and their CellStats.
void StreamStats::Impl::finish_paired(std::size_t c, const CellStats& base, CellStats& out) const {
  const Cell& a = cells[c];
  const Cell& b = cells[static_cast<std::size_t>(cfg.baseline)];
  const std::int64_t n = a.tot.n;
  const double dn = static_cast<double>(n);
  out.diff_mean = out.diff_mean_se = out.diff_std = out.diff_std_se = kNaN;
  // Unpaired: as if the two cells were simulated on independent paths.
  out.diff_mean_se_unpaired = std::sqrt(out.stderr_mean * out.stderr_mean + base.stderr_mean * base.stderr_mean);
  out.diff_std_se_unpaired = std::sqrt(out.stderr_std * out.stderr_std + base.stderr_std * base.stderr_std);
  if (n <= 0) return;
  out.diff_mean = out.mean - base.mean;
  if (c == static_cast<std::size_t>(cfg.baseline)) {  // the baseline against itself: no difference at all
    out.diff_std_se = 0.0;
    if (n > 1) out.diff_mean_se = out.diff_std = 0.0;
    return;
  }
  // Paired SE of the mean difference: sample std (n - 1) of the per-path differences / sqrt(n).
  if (n > 1) {
    double mean_e = 0.0, sd_e = 0.0;
    const Sum e[2] = {a.tot.pd[1][0], a.tot.pd[2][0]};
    mean_std(n, a.k.diff, e, mean_e, sd_e);
    out.diff_mean_se = sd_e / std::sqrt(dn);
    out.diff_std = out.std - base.std;
  }
  // Paired SE of the std difference, delta method (e.g. van der Vaart 1998, ch. 3): s ~ sigma + (mean U - sigma^2) / (2 sigma)
  // with U = (a - mean a)^2, V = (b - mean b)^2, so Var(sa - sb) ~ Var(W) / n, W = ca U - cb V, ca = 1 / (2 sa),
  // cb = 1 / (2 sb). Moments are the population ones (1/n), as in stderr_std, so that uncorrelated cells
  // give the unpaired value; a constant cell (sigma = 0) contributes nothing, as stderr_std is 0 for it.
  // With d = (a - mean a) - (b - mean b) and s = (a - mean a) + (b - mean b), U - V = d s and
  // U + V = (d^2 + s^2) / 2, so W = cm d s + (cd / 2)(d^2 + s^2) with cm = (ca + cb) / 2, cd = (ca - cb) / 2,
  // and Var W = E[W^2] - E[W]^2 from the central moments of (d, s) up to order 4:
  //   E[W] = cm m11 + (cd / 2)(m20 + m02),
  //   E[W^2] = cm^2 m22 + (cd^2 / 4)(m40 + 2 m22 + m04) + cm cd (m31 + m13).
  // Written in d, nothing cancels when the cells are nearly equal (common random numbers: d small); a
  // cell equal to its baseline has d = 0 and cd = 0, and Var W = 0 exactly.
  const double ca = a.m2 > 0.0 ? 0.5 / std::sqrt(a.m2) : 0.0, cb = b.m2 > 0.0 ? 0.5 / std::sqrt(b.m2) : 0.0;
  const double cm = 0.5 * (ca + cb), cd = 0.5 * (ca - cb);
  double raw[5][5] = {{1.0}};
  for (int i = 0; i <= 4; ++i)
    for (int j = 0; i + j <= 4; ++j)
      if (i + j > 0) raw[i][j] = a.tot.pd[i][j].value() / dn;
  const double md = raw[1][0], ms = raw[0][1];
  auto m = [&](int i, int j) { return central_moment(raw, i, j, md, ms); };
  const double m22 = m(2, 2);
  const double ew = cm * m(1, 1) + 0.5 * cd * (m(2, 0) + m(0, 2));
  const double ew2 = cm * cm * m22 + 0.25 * cd * cd * (m(4, 0) + 2.0 * m22 + m(0, 4)) + cm * cd * (m(3, 1) + m(1, 3));
  const double var_w = ew2 - ew * ew;
  out.diff_std_se = std::sqrt(std::max(var_w, 0.0) / dn);
}

std::vector<CellStats> StreamStats::finish() {
  Impl& s = *impl_;
  if (s.next != s.paths) throw std::logic_error("StreamStats::finish: not every path was added");
  std::vector<CellStats> out(s.ncells);
  // Cells are independent: finished in parallel (the exact method sorts each cell's P&L).
  parallel_for(static_cast<std::int64_t>(s.ncells), s.threads,
               [&](std::int64_t c) { s.finish_cell(static_cast<std::size_t>(c), out[static_cast<std::size_t>(c)]); });
  if (s.cfg.baseline >= 0)
    for (std::size_t c = 0; c < s.ncells; ++c)
      s.finish_paired(c, out[static_cast<std::size_t>(s.cfg.baseline)], out[c]);
  return out;
}

std::vector<double> StreamStats::take_samples() { return std::move(impl_->samples); }
std::vector<double> StreamStats::take_samples_cost() { return std::move(impl_->samples_cost); }

// ---------------------------------------------------------------------------------------------------
// Whole arrays

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
  StatsConfig cfg;
  cfg.levels = levels;
  cfg.bins = bins;
  cfg.loss_thresholds = loss_thresholds;
  cfg.worst_paths = worst_paths;
  cfg.threads = 1;
  const std::int64_t n = std::max<std::int64_t>(xs.n, 0);
  StreamStats s(cfg, 1, n, xs.jump_pnl && xs.jumps);
  CellSamples v = xs;
  v.n = n;
  s.add(0, n, std::vector<CellSamples>{v});
  CellStats r = s.finish()[0];
  // Everything but the columns cell_statistics leaves alone.
  r.premium = out.premium;
  r.derman_kamal_std = out.derman_kamal_std;
  r.bkl_std = out.bkl_std, r.leland_volatility = out.leland_volatility;
  r.ahmad_wilmott_mean = out.ahmad_wilmott_mean, r.jump_residual_std = out.jump_residual_std;
  r.diff_mean = out.diff_mean, r.diff_mean_se = out.diff_mean_se, r.diff_mean_se_unpaired = out.diff_mean_se_unpaired;
  r.diff_std = out.diff_std, r.diff_std_se = out.diff_std_se, r.diff_std_se_unpaired = out.diff_std_se_unpaired;
  out = std::move(r);
}

void paired_statistics(const double* a, const double* b, std::int64_t n, const CellStats& base, CellStats& out) {
  // The two cells' sums (moments only: no quantiles, no histogram), then the paired columns against out's
  // and base's own statistics.
  StatsConfig cfg;
  cfg.levels.clear();
  cfg.bins = 0;
  cfg.baseline = 1;
  cfg.threads = 1;
  n = std::max<std::int64_t>(n, 0);
  StreamStats s(cfg, 2, n, false);
  const CellSamples ca{a, nullptr, nullptr, nullptr, nullptr, n}, cb{b, nullptr, nullptr, nullptr, nullptr, n};
  s.add(0, n, std::vector<CellSamples>{ca, cb});
  std::vector<CellStats> r = s.finish();
  CellStats cell = out, baseline = base;
  // The paired code reads mean, std and their standard errors from the CellStats given.
  s.impl_->finish_paired(0, baseline, cell);
  out.diff_mean = cell.diff_mean, out.diff_mean_se = cell.diff_mean_se, out.diff_mean_se_unpaired = cell.diff_mean_se_unpaired;
  out.diff_std = cell.diff_std, out.diff_std_se = cell.diff_std_se, out.diff_std_se_unpaired = cell.diff_std_se_unpaired;
}

}  // namespace hl
