// Streaming statistics (issue 5): the same bits for any chunk size and thread count, in exact and in
// sketch mode; the streaming moments against the two-pass formulas; the sketch's error bound against
// exact quantiles; the output.quantile_method and output.sketch_accuracy keys; the memory checks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "helpers.hpp"
#include "host/run.hpp"
#include "host/stats.hpp"
#include "stats_compare.hpp"

using namespace hl;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// A Merton market (jumps: jump bins and attribution), 4 cells, baseline 1, loss thresholds and worst
// paths; 3 x 4096 + 1234 paths, so that the last chunk of every chunk size is short.
Study jump_study(const std::string& method) {
  return parse_study(R"(
[study]
name = "stream"
paths = 13522
seed = 11
[market]
model = "merton"
spot = 100.0
rate = 0.03
drift = 0.05
volatility = 0.2
jump_intensity = 3.0
jump_mean = -0.1
jump_std = 0.15
steps = 12
[[book]]
kind = "call"
strike = 100.0
maturity = 0.25
quantity = -1.0
[hedge]
rebalances = [3, 12]
[costs]
proportional = [0.0, 0.002]
[output]
baseline = 1
loss_thresholds = [0.5, 2.0]
worst_paths = 7
histogram_bins = 50
quantile_method = ")" + method + "\"\n",
                     "stream.toml");
}

RunOptions cpu(int threads, std::int64_t chunk, std::int64_t batch = 0) {
  RunOptions o;
  o.backend = "cpu";
  o.threads = threads;
  o.chunk = chunk;
  o.batch = batch;
  return o;
}

std::vector<double> normals(std::mt19937_64& rng, std::size_t n, double mean = 0.0, double sd = 1.0) {
  std::normal_distribution<double> N(mean, sd);
  std::vector<double> v(n);
  for (double& x : v) x = N(rng);
  return v;
}

// The statistics of one cell's P&L (and optional cost / jump arrays) through StreamStats, fed in chunks
// of `chunk` paths.
CellStats stream_one(const CellSamples& x, QuantileMethod method, double accuracy, std::int64_t chunk, int threads,
                     const std::vector<double>& levels = default_quantile_levels(), int bins = 40) {
  StatsConfig cfg;
  cfg.levels = levels;
  cfg.bins = bins;
  cfg.method = method;
  cfg.sketch_accuracy = accuracy;
  cfg.threads = threads;
  StreamStats s(cfg, 1, x.n, x.jump_pnl != nullptr);
  for (std::int64_t p0 = 0; p0 < x.n; p0 += chunk) {
    const std::int64_t p1 = std::min(x.n, p0 + chunk);
    CellSamples c = x;
    c.n = p1 - p0;
    c.pnl += p0;
    if (c.cost) c.cost += p0;
    if (c.jump_pnl) c.jump_pnl += p0, c.jumps += p0;
    s.add(p0, p1, std::vector<CellSamples>{c});
  }
  return s.finish()[0];
}

// The former reduction, kept as the reference: two passes in path order with compensated sums, in
// the floating type T (long double: a reference whose own rounding is far below 1e-12).
template <class T>
struct Kahan {
  T s = 0, c = 0;
  void add(T x) {
    const T t = s + x;
    c += std::fabs(s) >= std::fabs(x) ? (s - t) + x : (x - t) + s;
    s = t;
  }
  T value() const { return s + c; }
};
struct TwoPass {
  double mean, std, stderr_std, skewness, kurtosis;
};
template <class T>
TwoPass two_pass(const std::vector<double>& x) {
  const T dn = T(x.size());
  Kahan<T> s1;
  for (double v : x) s1.add(v);
  const T mean = s1.value() / dn;
  Kahan<T> a, b, c;
  for (double v : x) {
    const T d = T(v) - mean, d2 = d * d;
    a.add(d2);
    b.add(d2 * d);
    c.add(d2 * d2);
  }
  const T m2 = a.value() / dn, m3 = b.value() / dn, m4 = c.value() / dn;
  TwoPass r;
  r.mean = double(mean);
  r.std = double(std::sqrt(m2 * dn / (dn - 1)));
  r.stderr_std = double(std::sqrt(std::max(m4 - m2 * m2, T(0)) / (4 * m2 * dn)));
  r.skewness = double(m3 / std::pow(m2, T(1.5)) * std::sqrt(dn * (dn - 1)) / (dn - 2));
  r.kurtosis = double(((dn + 1) * (m4 / (m2 * m2) - 3) + 6) * (dn - 1) / ((dn - 2) * (dn - 3)));
  return r;
}
// The former paired standard errors: third pass over W = U / (2 sa) - V / (2 sb).
std::pair<double, double> two_pass_paired(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  const double dn = double(n);
  Kahan<double> sa, sb, sd;
  for (std::size_t i = 0; i < n; ++i) sa.add(a[i]), sb.add(b[i]), sd.add(a[i] - b[i]);
  const double ma = sa.value() / dn, mb = sb.value() / dn, md = sd.value() / dn;
  Kahan<double> qa, qb, qd;
  for (std::size_t i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb, dd = (a[i] - b[i]) - md;
    qa.add(da * da), qb.add(db * db), qd.add(dd * dd);
  }
  const double m2a = qa.value() / dn, m2b = qb.value() / dn;
  const double ca = 0.5 / std::sqrt(m2a), cb = 0.5 / std::sqrt(m2b), mw = ca * m2a - cb * m2b;
  Kahan<double> qw;
  for (std::size_t i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb, w = (ca * (da * da) - cb * (db * db)) - mw;
    qw.add(w * w);
  }
  return {std::sqrt(qd.value() / (dn - 1.0)) / std::sqrt(dn), std::sqrt(qw.value() / dn / dn)};
}

bool close(double a, double b, double rel, double scale = 0.0) {
  return std::fabs(a - b) <= rel * std::max(std::fabs(b), scale);
}

}  // namespace

TEST_CASE("streaming: every statistic is the same bits for any chunk size, batch size and thread count, exact and sketch") {
  for (const std::string method : {"exact", "sketch"}) {
    CAPTURE(method);
    const Study s = jump_study(method);
    SimOutput ref_raw;
    const RunResult ref = run_study(s, cpu(1, 0), &ref_raw);  // one chunk
    REQUIRE(ref.cells.size() == 4);
    CHECK(ref.quantile_method == method);
    REQUIRE(ref.cells[0].jump_bin_count.size() == 5);  // the jump statistics are exercised
    CHECK(ref.cells[0].worst_index.size() == 7);
    // (threads, chunk, batch): 5000 is rounded up to 2 blocks; batch 0 is the default work item
    const std::int64_t B = kStatBlock;
    const std::vector<std::tuple<int, std::int64_t, std::int64_t>> runs{
        {1, B, 0}, {1, 3 * B, 0}, {1, 0, 7},  {1, 5000, 0},    {2, B, 0},       {2, 3 * B, 0},
        {2, 0, 0}, {2, 5000, 0},  {2, 0, 7}, {2, B, 1000}, {2, 0, 100000}, {1, 3 * B, 333}};
    for (const auto& run : runs) {
      const int threads = std::get<0>(run);
      const std::int64_t chunk = std::get<1>(run), batch = std::get<2>(run);
      CAPTURE(threads);
      CAPTURE(chunk);
      CAPTURE(batch);
      SimOutput raw;
      const RunResult r = run_study(s, cpu(threads, chunk, batch), &raw);
      REQUIRE(r.cells.size() == ref.cells.size());
      CHECK(std::memcmp(raw.pnl.data(), ref_raw.pnl.data(), raw.pnl.size() * sizeof(double)) == 0);
      CHECK(std::memcmp(raw.jump_pnl.data(), ref_raw.jump_pnl.data(), raw.jump_pnl.size() * sizeof(double)) == 0);
      for (std::size_t c = 0; c < r.cells.size(); ++c) {
        CAPTURE(c);
        CHECK(join(test::differing_fields(r.cells[c], ref.cells[c])) == "");
      }
    }
  }
  // The quantile method changes the quantiles, tails and histogram, nothing else.
  const RunResult e = run_study(jump_study("exact"), cpu(2, 0)), k = run_study(jump_study("sketch"), cpu(2, 0));
  for (std::size_t c = 0; c < e.cells.size(); ++c) {
    CAPTURE(c);
    std::vector<std::string> diff = test::differing_fields(e.cells[c], k.cells[c]);
    const std::vector<std::string> allowed{
        "var_95",    "es_95",     "var_99",     "es_99",      "var_95_se",  "var_99_se",    "es_95_se",
        "es_99_se",  "var_999",   "es_999",     "var_999_se", "es_999_se",  "var_99_lo",    "var_99_hi",
        "var_999_lo", "var_999_hi", "es_99_lo",  "es_99_hi",   "es_999_lo",  "es_999_hi",    "sketch_zero_threshold",
        "quantiles", "quantiles_lo", "quantiles_hi", "histogram_counts"};
    diff.erase(std::remove_if(diff.begin(), diff.end(),
                              [&](const std::string& f) { return std::count(allowed.begin(), allowed.end(), f) > 0; }),
               diff.end());
    CHECK(join(diff) == "");
    CHECK(std::isnan(e.cells[c].sketch_zero_threshold));
    CHECK(k.cells[c].sketch_zero_threshold > 0.0);
  }
}

TEST_CASE("streaming: StreamStats fed in chunks equals cell_statistics on the whole arrays, to the bit") {
  std::mt19937_64 rng(17);
  const std::int64_t n = 5 * kStatBlock + 777;
  const std::vector<double> pnl = normals(rng, n, 3.0, 2.0), cost = normals(rng, n, 0.1, 0.01),
                            jump_pnl = normals(rng, n, -0.5, 1.0);
  std::vector<std::uint32_t> jumps(n);
  for (auto& j : jumps) j = std::uint32_t(rng() % 7);
  CellSamples x{pnl.data(), cost.data(), nullptr, nullptr, nullptr, n};
  x.jump_pnl = jump_pnl.data();
  x.jumps = jumps.data();
  CellStats whole;
  cell_statistics(x, default_quantile_levels(), 40, whole);
  for (std::int64_t chunk : {kStatBlock, 2 * kStatBlock, n})
    for (int threads : {1, 2}) {
      CAPTURE(chunk);
      CAPTURE(threads);
      CHECK(join(test::differing_fields(stream_one(x, QuantileMethod::exact, 1e-4, chunk, threads), whole)) == "");
    }
  // Chunks must come in path order and whole blocks.
  StatsConfig cfg;
  StreamStats s(cfg, 1, n, false);
  const CellSamples part{pnl.data(), nullptr, nullptr, nullptr, nullptr, 100};
  CHECK_THROWS_AS(s.add(0, 100, std::vector<CellSamples>{part}), std::logic_error);
  CHECK_THROWS_AS(s.add(kStatBlock, 2 * kStatBlock, std::vector<CellSamples>{part}), std::logic_error);
}

TEST_CASE("streaming: moments from shifted power sums agree with the two-pass formulas to 1e-12") {
  std::mt19937_64 rng(2024);
  const std::size_t n = 100003;
  std::lognormal_distribution<double> LN(0.0, 0.8);
  std::vector<std::vector<double>> samples{normals(rng, n), normals(rng, n, 1e4, 1.0), normals(rng, n, -3.0, 1e-3)};
  std::vector<double> ln(n), mix(n);
  for (auto& v : ln) v = LN(rng);
  std::bernoulli_distribution jump(0.05);
  for (auto& v : mix) v = 0.2 * normals(rng, 1)[0] + (jump(rng) ? -5.0 + normals(rng, 1)[0] : 0.0);
  samples.push_back(ln);
  samples.push_back(mix);
  for (std::size_t k = 0; k < samples.size(); ++k) {
    CAPTURE(k);
    const std::vector<double>& x = samples[k];
    CellStats s;
    cell_statistics(CellSamples{x.data(), x.data(), nullptr, nullptr, nullptr, std::int64_t(n)}, {0.5}, 4, s);
    // Against the former formulas in double; where the mean is 1e4 (or 3e3) standard deviations from 0
    // their centring on a mean rounded to double moves the skewness by up to 3 ulp(mean) / sd (~5e-12
    // here), so there the formulas evaluated in long double are the reference.
    const TwoPass ref = two_pass<long double>(x), old = two_pass<double>(x);
    for (const TwoPass& r : {ref, old}) {
      CHECK(close(s.mean, r.mean, 1e-12, r.std));
      CHECK(close(s.std, r.std, 1e-12));
      CHECK(close(s.stderr_mean, r.std / std::sqrt(double(n)), 1e-12));
      CHECK(close(s.stderr_std, r.stderr_std, 1e-12));
      CHECK(close(s.kurtosis, r.kurtosis, 1e-12, 1.0));
    }
    CHECK(close(s.skewness, ref.skewness, 1e-12, 1.0));
    CHECK(close(s.skewness, old.skewness, k == 1 || k == 2 ? 1e-11 : 1e-12, 1.0));
    // The cost series (here the P&L again) and the diffusive part (P&L + cost = 2 x).
    CHECK(close(s.mean_cost, ref.mean, 1e-12, ref.std));
    CHECK(close(s.std_cost, ref.std, 1e-12));
    CHECK(close(s.std_diffusive_pnl, 2.0 * ref.std, 1e-12));
  }

  // Paired standard errors against the former three-pass formulas: independent cells, correlated
  // cells (correlation 0.995), nearly equal cells (correlation 1 - 5e-9, where moments of a and b
  // taken apart would cancel to 8 digits; those of their difference do not), and a cell against itself
  // (exactly 0 in both).
  const std::vector<double> a = normals(rng, n), e = normals(rng, n), c = normals(rng, n, 0.5, 2.0);
  std::vector<double> b(n), near(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = a[i] + 0.1 * e[i] + 0.02 * a[i] * a[i];
  for (std::size_t i = 0; i < n; ++i) near[i] = a[i] + 1e-4 * e[i];
  struct Case {
    const std::vector<double>* x;
    const std::vector<double>* base;
    double rel;
  };
  for (const Case& cs : {Case{&a, &c, 1e-12}, Case{&b, &a, 1e-12}, Case{&near, &a, 1e-12}}) {
    CellStats sa, sb;
    cell_statistics(CellSamples{cs.x->data(), nullptr, nullptr, nullptr, nullptr, std::int64_t(n)}, {0.5}, 4, sa);
    cell_statistics(CellSamples{cs.base->data(), nullptr, nullptr, nullptr, nullptr, std::int64_t(n)}, {0.5}, 4, sb);
    paired_statistics(cs.x->data(), cs.base->data(), std::int64_t(n), sb, sa);
    const auto [se_mean, se_std] = two_pass_paired(*cs.x, *cs.base);
    CHECK(close(sa.diff_mean_se, se_mean, 1e-12));
    CHECK(close(sa.diff_std_se, se_std, cs.rel));
  }
  CellStats self;
  cell_statistics(CellSamples{b.data(), nullptr, nullptr, nullptr, nullptr, std::int64_t(n)}, {0.5}, 4, self);
  paired_statistics(b.data(), b.data(), std::int64_t(n), self, self);
  CHECK(self.diff_mean_se == 0.0);
  CHECK(self.diff_std_se == 0.0);
}

namespace {
// Values within a |x| + x_min of t (with rounding slack): where the sketch may put x on the other side of t.
bool near(double x, double t, double a, double x_min) {
  return std::fabs(x - t) <= a * std::fabs(x) * (1.0 + 1e-9) + x_min + 1e-12 * std::fabs(t);
}
}  // namespace

TEST_CASE("sketch: quantiles, intervals, VaR, ES and histogram within the documented bound of the exact ones") {
  std::mt19937_64 rng(99);
  const std::size_t n = 150001;
  std::normal_distribution<double> N(0.0, 1.0);
  std::vector<std::pair<std::string, std::vector<double>>> cases;
  auto make = [&](const std::string& name, auto f) {
    std::vector<double> v(n);
    for (auto& x : v) x = f();
    cases.emplace_back(name, std::move(v));
  };
  make("normal, crossing zero", [&] { return N(rng); });
  make("normal x 1000, shifted", [&] { return 1000.0 * (N(rng) + 0.3); });
  make("lognormal, positive", [&] { return std::exp(N(rng)); });
  make("lognormal - 1.5, crossing zero, skewed", [&] { return std::exp(N(rng)) - 1.5; });
  make("negative lognormal (losses)", [&] { return -std::exp(0.5 * N(rng)); });
  make("Cauchy, heavy tails", [&] { return N(rng) / N(rng); });
  make("integers with ties and zeros", [&] { return std::round(3.0 * N(rng)); });
  const std::vector<double> levels{0.0005, 0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999};
  const int bins = 60;
  int differs = 0;
  for (double a : {1e-4, 1e-2}) {
    for (const auto& [name, x] : cases) {
      CAPTURE(name);
      CAPTURE(a);
      const CellSamples cs{x.data(), nullptr, nullptr, nullptr, nullptr, std::int64_t(n)};
      const CellStats ex = stream_one(cs, QuantileMethod::exact, a, 2 * kStatBlock, 2, levels, bins);
      const CellStats sk = stream_one(cs, QuantileMethod::sketch, a, 2 * kStatBlock, 2, levels, bins);
      std::vector<double> sorted = x;
      std::sort(sorted.begin(), sorted.end());
      const double x_min = sk.sketch_zero_threshold;
      REQUIRE(x_min > 0.0);
      // Order statistic bound: a |x| + x_min (plus rounding).
      auto within = [&](double got, double exact_x) {
        return std::fabs(got - exact_x) <= a * std::fabs(exact_x) * (1.0 + 1e-9) + x_min;
      };
      for (std::size_t l = 0; l < levels.size(); ++l) {
        const double p = levels[l], h = (double(n) - 1.0) * p;
        const std::size_t lo = std::size_t(std::floor(h)), hi = std::min(lo + 1, n - 1);
        const double bound = a * std::max(std::fabs(sorted[lo]), std::fabs(sorted[hi])) * (1.0 + 1e-9) + x_min;
        CAPTURE(p);
        CHECK(ex.quantiles[l] == quantile_sorted(sorted, p));
        CHECK(std::fabs(sk.quantiles[l] - ex.quantiles[l]) <= bound);
        const auto [j, k] = quantile_ci_indices(std::int64_t(n), p);
        CHECK(within(sk.quantiles_lo[l], sorted[j]));
        CHECK(within(sk.quantiles_hi[l], sorted[k]));
        differs += sk.quantiles[l] != ex.quantiles[l];
      }
      // VaR is a quantile; ES the mean of the k worst, within a mean|x| over the tail + x_min.
      struct Tail {
        double p, var_s, var_e, es_s, es_e;
      };
      for (const Tail& t : {Tail{0.05, sk.var_95, ex.var_95, sk.es_95, ex.es_95},
                            Tail{0.01, sk.var_99, ex.var_99, sk.es_99, ex.es_99},
                            Tail{0.001, sk.var_999, ex.var_999, sk.es_999, ex.es_999}}) {
        CAPTURE(t.p);
        const double h = (double(n) - 1.0) * t.p;
        const std::size_t lo = std::size_t(std::floor(h)), hi = lo + 1;
        CHECK(std::fabs(t.var_s - t.var_e) <=
              a * std::max(std::fabs(sorted[lo]), std::fabs(sorted[hi])) * (1.0 + 1e-9) + x_min);
        const std::size_t k = std::size_t(std::ceil(t.p * double(n) - 1e-9));
        double abs_mean = 0.0;
        for (std::size_t i = 0; i < k; ++i) abs_mean += std::fabs(sorted[i]) / double(k);
        CHECK(std::fabs(t.es_s - t.es_e) <= a * abs_mean * (1.0 + 1e-9) + x_min);
      }
      // Histogram: the same edges (exact min and max); a count moves only with values near an edge.
      CHECK(sk.min == ex.min);
      CHECK(sk.max == ex.max);
      REQUIRE(sk.histogram_edges == ex.histogram_edges);
      std::uint64_t total = 0;
      for (int b = 0; b < bins; ++b) {
        std::int64_t movable = 0;
        for (double v : x)
          movable += (b > 0 && near(v, ex.histogram_edges[b], a, x_min)) ||
                     (b + 1 < bins && near(v, ex.histogram_edges[b + 1], a, x_min));
        CAPTURE(b);
        CHECK(std::llabs(std::int64_t(sk.histogram_counts[b]) - std::int64_t(ex.histogram_counts[b])) <= movable);
        total += sk.histogram_counts[b];
      }
      CHECK(total == n);
    }
  }
  CHECK(differs > 20);  // at a = 1e-2 the sketch is visibly not the exact method
}

TEST_CASE("sketch: integer counts make it independent of the order values are added and merged in") {
  std::mt19937_64 rng(5);
  const std::vector<double> x = normals(rng, 30000, 0.2, 3.0);
  QuantileSketch all(1e-3, 1e-6), reversed(1e-3, 1e-6), merged(1e-3, 1e-6);
  for (double v : x) all.add(v);
  for (std::size_t i = x.size(); i-- > 0;) reversed.add(x[i]);
  QuantileSketch part1(1e-3, 1e-6), part2(1e-3, 1e-6);
  for (std::size_t i = 0; i < x.size(); ++i) (i % 3 ? part1 : part2).add(x[i]);
  merged.merge(part2);
  merged.merge(part1);
  CHECK(all.buckets() == reversed.buckets());
  CHECK(all.buckets() == merged.buckets());
  CHECK(all.count() == x.size());
  // Every value is within a |x| of its bucket's representative (checked one value at a time).
  for (double v : {-7.25, -1e-3, 2e-6, 0.5, 1.0, 3.0, 1234.5}) {
    QuantileSketch one(1e-3, 1e-6);
    one.add(v);
    REQUIRE(one.buckets().size() == 1);
    CHECK(std::fabs(one.buckets()[0].first - v) <= 1e-3 * std::fabs(v) * (1 + 1e-12));
  }
  QuantileSketch tiny(1e-3, 1e-6);
  tiny.add(5e-7);
  tiny.add(-5e-7);
  CHECK(tiny.buckets() == std::vector<std::pair<double, std::uint64_t>>{{0.0, 2}});  // the zero bucket
  tiny.add(kNaN);
  CHECK(tiny.count() == 2);
  CHECK(tiny.nonfinite() == 1);
  CHECK_THROWS_AS(tiny.merge(QuantileSketch(1e-2, 1e-6)), std::invalid_argument);
}

TEST_CASE("streaming: a run's sketch quantiles against the same run's exact ones") {
  const Study base = load_study(test::source_path("experiments/derman_kamal.toml"),
                                {"study.paths=60000", "costs.proportional=[0.0, 0.004]"});
  Study ex = base, sk = base;
  ex.quantile_method = "exact";
  sk.quantile_method = "sketch";
  sk.sketch_accuracy = 1e-3;
  SimOutput raw;
  const RunResult re = run_study(ex, cpu(2, 0), &raw), rs = run_study(sk, cpu(2, 3 * kStatBlock));
  CHECK(re.quantile_method == "exact");
  CHECK(rs.quantile_method == "sketch");
  CHECK(rs.sketch_accuracy == 1e-3);
  CHECK(std::isnan(re.sketch_accuracy));
  const std::size_t n = std::size_t(base.paths);
  for (std::size_t c = 0; c < re.cells.size(); ++c) {
    CAPTURE(c);
    std::vector<double> x(raw.pnl.begin() + c * n, raw.pnl.begin() + (c + 1) * n);
    std::sort(x.begin(), x.end());
    const CellStats &e = re.cells[c], &s = rs.cells[c];
    CHECK(s.mean == e.mean);
    CHECK(s.std == e.std);
    CHECK(s.diff_std_se == e.diff_std_se);
    for (std::size_t l = 0; l < re.quantile_levels.size(); ++l) {
      const double h = (double(n) - 1.0) * re.quantile_levels[l];
      const std::size_t lo = std::size_t(std::floor(h)), hi = std::min(lo + 1, n - 1);
      CHECK(std::fabs(s.quantiles[l] - e.quantiles[l]) <=
            1e-3 * std::max(std::fabs(x[lo]), std::fabs(x[hi])) * (1 + 1e-9) + s.sketch_zero_threshold);
    }
    CHECK(std::fabs(s.es_99 - e.es_99) <= 1e-3 * e.es_99 + s.sketch_zero_threshold);  // the tail is all losses
  }
}

TEST_CASE("streaming: output.quantile_method and output.sketch_accuracy, their defaults and errors") {
  const std::string dk = test::source_path("experiments/derman_kamal.toml");
  const Study d = load_study(dk);
  CHECK(d.quantile_method == "auto");
  CHECK(d.sketch_accuracy == 1e-4);
  const Study s = load_study(dk, {"output.quantile_method='sketch'", "output.sketch_accuracy=0.001"});
  CHECK(s.quantile_method == "sketch");
  CHECK(s.sketch_accuracy == 0.001);
  CHECK(load_study(dk, {"output.sketch_accuracy=1e-6"}).sketch_accuracy == 1e-6);
  CHECK(load_study(dk, {"output.sketch_accuracy=0.05"}).sketch_accuracy == 0.05);
  // The overrides travel in the experiment text and rerun to the same study.
  const Study again = parse_study(s.effective_text, "again");
  CHECK(again.quantile_method == "sketch");
  CHECK(again.sketch_accuracy == 0.001);

  auto error = [&](const std::string& ov) {
    try {
      load_study(dk, {ov});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("output.quantile_method='median'") ==
        dk + ": output.quantile_method: must be one of 'auto', 'exact', 'sketch', got 'median'");
  CHECK(error("output.quantile_method='sketchy'").find("(did you mean 'sketch'?)") != std::string::npos);
  CHECK(error("output.quantile_method=1") == dk + ": output.quantile_method: expected a string, got integer 1");
  CHECK(error("output.sketch_accuracy=0") == dk + ": output.sketch_accuracy: must be in [1e-06, 0.05], got 0.0");
  CHECK(error("output.sketch_accuracy=0.1") == dk + ": output.sketch_accuracy: must be in [1e-06, 0.05], got 0.1");
  CHECK(error("output.sketch_accuracy=1e-7") == dk + ": output.sketch_accuracy: must be in [1e-06, 0.05], got 1e-07");
  CHECK(error("output.sketch_accuracy=nan") == dk + ": output.sketch_accuracy: must be a finite number, got nan");
  CHECK(error("output.sketch_accuracy='x'") == dk + ": output.sketch_accuracy: expected a number, got string 'x'");
  CHECK(error("output.sketch_acuracy=0.01").find("(did you mean 'output.sketch_accuracy'?)") != std::string::npos);
}

TEST_CASE("streaming: auto picks exact quantiles up to 2.5e8 path-cells, by a fixed rule") {
  Study s = load_study(test::source_path("experiments/derman_kamal.toml"));  // 2 cells
  s.paths = 125'000'000;
  CHECK(resolve_quantile_method(s, 2) == QuantileMethod::exact);
  s.paths = 125'000'001;
  CHECK(resolve_quantile_method(s, 2) == QuantileMethod::sketch);
  s.samples = true;  // every P&L is kept anyway
  CHECK(resolve_quantile_method(s, 2) == QuantileMethod::exact);
  s.samples = false;
  s.quantile_method = "exact";
  CHECK(resolve_quantile_method(s, 2) == QuantileMethod::exact);
  s.quantile_method = "sketch";
  s.paths = 10;
  CHECK(resolve_quantile_method(s, 2) == QuantileMethod::sketch);
}

TEST_CASE("streaming: memory is bounded by the chunk, except what output.samples or exact quantiles keep") {
  const std::string dk = test::source_path("experiments/derman_kamal.toml");
  RunOptions o;
  o.backend = "cpu";
  // 1e12 paths: a few hundred MB with sketches (the chunk and two sketches), refused when kept whole.
  const Study big = load_study(dk, {"study.paths=1000000000000"});
  const PreparedRun p = prepare_run(big, o);
  CHECK(p.method == QuantileMethod::sketch);
  CHECK(run_memory_bytes(big, p.plan, p.method, o) < 1e9);
  auto refused = [&](const std::vector<std::string>& ov) {
    try {
      prepare_run(load_study(dk, ov), o);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(refused({"study.paths=1000000000000", "output.samples=true"})
            .rfind("output.samples: keeping every path's P&L and cost (1000000000000 paths x 2 cells) needs about", 0) ==
        0);
  CHECK(refused({"study.paths=1000000000000", "output.quantile_method='exact'"})
            .rfind("output.quantile_method: exact quantiles keep every path's P&L", 0) == 0);
  // The chunk bounds the buffer: 3 blocks of 2 cells of 36 bytes. Each of the 2 reducing threads adds
  // its buckets (1.5e6 bytes) and up to 1 byte per path of wanted values.
  o.chunk = 3 * kStatBlock;
  o.threads = 2;
  const Study mid = load_study(dk, {"study.paths=1000000"});
  const PreparedRun q = prepare_run(mid, o);
  CHECK(q.method == QuantileMethod::exact);
  CHECK(run_memory_bytes(mid, q.plan, q.method, o) ==
        doctest::Approx(3.0 * kStatBlock * 2 * 36 + 3 * 2 * (kStatBlockBytes + 16.0 * mid.worst_paths) + 1e6 * 2 * 8 +
                        2 * (1e6 + 1.5e6))
            .epsilon(1e-12));
  CHECK(chunk_paths(q.plan.job, 5000) == 2 * kStatBlock);
  CHECK(chunk_paths(p.plan.job, 0) % kStatBlock == 0);
  CHECK(chunk_paths(p.plan.job, 0) * 2 * 36 <= kChunkBytes);
  CHECK(chunk_paths(q.plan.job, 1LL << 40) == 1000000);  // at most the run
}
