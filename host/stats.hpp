#pragma once
// Statistics of each cell's per-path results, reduced chunk by chunk as a backend hands them over
// (StreamStats), or from whole arrays (cell_statistics, paired_statistics). Sums are taken over blocks
// of kStatBlock paths in path order and folded in block order, so every statistic is a pure function
// of the samples: the same bits for any thread count, batch size or chunk size.
#include <climits>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "host/results.hpp"
#include "kernels/backend.hpp"

namespace hl {

const std::vector<double>& default_quantile_levels();

// Sample quantile with linear interpolation between order statistics (Hyndman & Fan type 7, numpy's
// default): h = (n - 1) p, Q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]). sorted ascending.
double quantile_sorted(const std::vector<double>& sorted, double p);

// The normal quantile of the two-sided 95% intervals: Phi^-1(0.975).
constexpr double kZ95 = 1.959964;

// 0-based indices (j, k) into the sorted sample of the distribution-free 95% confidence interval of
// the p-quantile from order statistics (binomial normal approximation, e.g. Conover 1999, sec. 3.2):
// j = floor(n p - z sqrt(n p (1 - p))), k = ceil(n p + z sqrt(n p (1 - p))), both clamped to [0, n - 1].
std::pair<std::int64_t, std::int64_t> quantile_ci_indices(std::int64_t n, double p);

// How quantiles, VaR/ES with their intervals and the histogram are computed (output.quantile_method):
// exact keeps every path's P&L (8 bytes per path and cell) and sorts it; sketch reads them from a
// QuantileSketch per cell (memory independent of the paths) within a documented bound.
enum class QuantileMethod { exact, sketch };

// Relative accuracy of the sketch: output.sketch_accuracy's default and bounds. Below 1e-6 the buckets
// would need hundreds of MB per cell (exact quantiles are the better choice there), and the buckets'
// 32-bit codes (QuantileSketch::code) could overflow.
constexpr double kSketchAccuracyDefault = 1e-4, kSketchAccuracyMin = 1e-6, kSketchAccuracyMax = 0.05;
// The sketch's zero bucket holds |x| < kSketchZeroFraction x (the largest finite |P&L| of the cell's
// first kStatBlock paths), or < kSketchZeroFraction when those are all 0.
constexpr double kSketchZeroFraction = 1e-9;

// A deterministic, mergeable quantile sketch with relative accuracy a (DDSketch: Masson, Rim & Lee,
// "DDSketch: a fast and fully-mergeable quantile sketch with relative-error guarantees", VLDB 2019).
// A value with |x| >= x_min (zero_threshold) falls in bucket k = ceil(log_gamma |x|) of its sign,
// gamma = (1 + a) / (1 - a), which holds (gamma^(k-1), gamma^k]; |x| < x_min falls in the zero bucket.
// Bucket k's representative 2 gamma^k / (gamma + 1) lies within a |x| of every x in the bucket (up to
// rounding, about 1e-15 relative), the zero bucket's (0) within x_min. Counts are integers, so the
// sketch of a set of values is the same whatever the order the values are added or sketches merged in.
// Memory: 8 bytes per bucket between the smallest and largest |x| seen, about ln(max / min) / (2 a)
// buckets per sign (2.4 MB at a = 1e-4 for |x| over ten decades).
class QuantileSketch {
 public:
  QuantileSketch(double accuracy, double zero_threshold);  // accuracy in [kSketchAccuracyMin, 1), threshold > 0
  void add(double x) { add_code(code(x)); }  // a non-finite x is counted apart (nonfinite()), not placed
  // add() in two steps, so that threads can find the buckets of many values (code: const, the costly
  // logarithm) and one thread count them (add_code): 2 k + 1 for a negative x in bucket k, 2 k for a
  // positive one, kZeroCode and kNonfiniteCode. |k| < 4e8 for accuracy >= 1e-6 (|ln |x|| <= 745).
  static constexpr std::int32_t kZeroCode = INT32_MIN, kNonfiniteCode = INT32_MIN + 1;
  std::int32_t code(double x) const;
  void add_code(std::int32_t code);
  void merge(const QuantileSketch& o);  // o of the same accuracy and zero threshold
  std::uint64_t count() const;          // finite values added
  std::uint64_t nonfinite() const { return nonfinite_; }
  double accuracy() const { return accuracy_; }
  double zero_threshold() const { return zero_threshold_; }
  // The non-empty buckets in increasing order of value: representative and count.
  std::vector<std::pair<double, std::uint64_t>> buckets() const;
  std::size_t memory_bytes() const;

 private:
  // Counts of buckets [lo, lo + counts.size()), grown on demand (the final counts do not depend on how).
  struct Store {
    std::int64_t lo = 0;
    std::vector<std::uint64_t> counts;
    void add(std::int64_t key, std::uint64_t count = 1) {
      std::uint64_t i = static_cast<std::uint64_t>(key - lo);  // wraps for key < lo
      if (i >= counts.size()) {
        grow(key);
        i = static_cast<std::uint64_t>(key - lo);
      }
      counts[i] += count;
    }
    void grow(std::int64_t key);
  };
  double accuracy_, zero_threshold_, log_gamma_, inv_log_gamma_, rep_scale_;
  Store pos_, neg_;
  std::uint64_t zero_ = 0, nonfinite_ = 0;
};

// Bytes StreamStats holds per block of kStatBlock paths of a chunk and per cell (its block sums and loss
// counts), an upper bound; the worst-path candidates add 16 bytes per path kept.
constexpr double kStatBlockBytes = 1536;

// Bytes a QuantileSketch of one cell is expected to take (ten decades of |x| per sign), for the memory
// check before a run.
double sketch_bytes_estimate(double accuracy);

// One cell's per-path results, n of each, in path order. pnl is required; a null cost, trades or
// turnover pointer leaves its statistics NaN. jump_pnl and jumps (SimOutput's jump arrays) are null
// when the run has no jumps or gaps: the jump part of the P&L is then exactly 0 and there are no
// jump bins.
struct CellSamples {
  const double* pnl;
  const double* cost;
  const std::uint32_t* trades;
  const double* turnover_shares;
  const double* turnover_notional;
  std::int64_t n;
  const double* jump_pnl = nullptr;
  const std::uint32_t* jumps = nullptr;
};

void paired_statistics(const double* pnl, const double* base_pnl, std::int64_t n, const CellStats& base,
                       CellStats& out);

struct StatsConfig {
  std::vector<double> levels = default_quantile_levels();  // quantile levels
  int bins = 200;                                          // histogram bins
  std::vector<double> loss_thresholds;                     // losses L of loss_probability
  int worst_paths = 0;                                     // worst paths kept per cell
  int baseline = -1;  // the cell the diff_* columns are taken against; -1: none (left NaN)
  QuantileMethod method = QuantileMethod::exact;
  double sketch_accuracy = kSketchAccuracyDefault;
  bool keep_samples = false;  // keep every path's P&L and cost in path order (take_samples)
  int threads = 0;            // reducing threads; 0 = all hardware threads
};

// The statistics of a run, fed chunk by chunk. Memory: per cell a few kB of sums, plus the exact
// method's P&L (8 bytes per path and cell) or a sketch, plus the samples when kept.
//
// Moments (mean, std, skewness, kurtosis, their standard errors, costs, turnover, trades, the jump
// attribution and jump bins, and the paired differences against the baseline) come from Neumaier-
// compensated sums of powers of shifted values x - K, the shift K per cell and series the plain mean
// of the cell's first kStatBlock paths (block 0, always in the first chunk), converted to central
// moments at the end. The paired ones sum the mixed powers d^i s^j, i + j <= 4, of the difference d and
// the sum s of the cell's and the baseline's shifted P&L (co-moments up to (2, 2) and beyond), so that
// nearly equal cells lose nothing to cancellation. Within a chunk, threads sum blocks of kStatBlock paths, then one thread folds
// the blocks into the cell's sums in block order. Minimum, maximum, loss counts and the worst paths
// (a k-heap under the total order (value, index)) are exact and independent of the order.
class StreamStats {
 public:
  StreamStats(StatsConfig cfg, std::size_t cells, std::int64_t paths, bool jumps);
  ~StreamStats();
  StreamStats(const StreamStats&) = delete;
  StreamStats& operator=(const StreamStats&) = delete;

  // Paths [p0, p1) of every cell, arrays [cell][p - p0] (a ChunkSink's chunk). Chunks come in path
  // order from 0; p0 and, except for the run's last chunk, p1 are multiples of kStatBlock.
  void add(std::int64_t p0, std::int64_t p1, const SimOutput& chunk);
  // The same from one CellSamples per cell, each of n = p1 - p0 paths starting at path p0.
  void add(std::int64_t p0, std::int64_t p1, const std::vector<CellSamples>& cells);

  // Paths of a cell whose P&L is not finite (so far).
  std::uint64_t nonfinite(std::size_t cell) const;

  // After the last chunk: every statistic that cell_statistics fills, and the diff_* columns when
  // there is a baseline. In exact mode, the kept P&L is sorted in place.
  std::vector<CellStats> finish();
  // The kept samples, [cells x paths] (keep_samples), moved out.
  std::vector<double> take_samples();
  std::vector<double> take_samples_cost();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  friend void paired_statistics(const double*, const double*, std::int64_t, const CellStats&, CellStats&);
};

// Fills every statistic of CellStats except premium, derman_kamal_std, the theory columns (bkl_std,
// leland_volatility, ahmad_wilmott_mean, jump_residual_std) and the diff_* columns (paired_statistics),
// with exact quantiles. loss_thresholds: the losses L (positive = a loss) of loss_probability;
// worst_paths: how many of the worst paths to keep (min(worst_paths, n)).
void cell_statistics(const CellSamples& x, const std::vector<double>& levels, int bins, CellStats& out,
                     const std::vector<double>& loss_thresholds = {}, int worst_paths = 0);

// The k lowest values of pnl[0..n), worst first, ties broken by the lower index (NaN sorts last):
// their indices. Deterministic; O(n log k) time, O(k) memory.
std::vector<std::int64_t> worst_indices(const double* pnl, std::int64_t n, std::int64_t k);

// The jump-count bin of a path with j random jumps: min(j, CellStats::kJumpBins - 1).
inline int jump_bin(std::uint32_t j) {
  constexpr std::uint32_t last = CellStats::kJumpBins - 1;
  return static_cast<int>(j < last ? j : last);
}

// Fills the diff_* fields of out for cell pnl against the baseline's pnl (same paths, same order).
// out and base must already hold cell_statistics of pnl and base_pnl (the unpaired standard errors
// use their stderr_mean and stderr_std).
void paired_statistics(const double* pnl, const double* base_pnl, std::int64_t n, const CellStats& base,
                       CellStats& out);

}  // namespace hl
