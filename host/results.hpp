#pragma once
// What a run produces: per-cell statistics plus provenance. Written to HDF5 by h5_writer.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "host/study.hpp"

namespace hl {

struct CellStats {
  double premium = 0.0;  // the book's value at t0 in the hedger's model (sum of quantity x price)
  double mean = 0.0, std = 0.0, stderr_mean = 0.0, stderr_std = 0.0;
  double skewness = 0.0, kurtosis = 0.0;  // kurtosis is excess kurtosis
  double min = 0.0, max = 0.0;
  double var_95 = 0.0, es_95 = 0.0, var_99 = 0.0, es_99 = 0.0;  // losses as positive numbers
  double mean_cost = 0.0;    // costs paid, valued at maturity
  double mean_trades = 0.0;  // rebalances that traded, initial hedge and unwind included
  double derman_kamal_std = 0.0;  // sqrt(pi/4) vega sigma / sqrt(N); NaN where it does not apply

  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // Costs and turnover (NaN where the run did not record them).
  double std_cost = kNaN;                // sample standard deviation (n - 1) of the cost paid
  double mean_turnover_shares = kNaN;    // sum over the path's trades of |shares traded|
  double mean_turnover_notional = kNaN;  // sum over the path's trades of |shares traded| x spot
  // Error bars of the tail measures: standard errors of var_95, var_99, es_95, es_99.
  double var_95_se = kNaN, var_99_se = kNaN, es_95_se = kNaN, es_99_se = kNaN;
  // The 99.9% tail (tail fraction 0.001), losses as positive numbers, with the same estimators.
  double var_999 = kNaN, es_999 = kNaN, var_999_se = kNaN, es_999_se = kNaN;
  // 95% confidence intervals of the 99% and 99.9% tail measures. VaR: distribution-free, from the
  // order statistics of the quantile's CI (quantile_ci_indices), negated: [-x_(k), -x_(j)]. ES:
  // es +- kZ95 es_se (NaN where es_se is).
  double var_99_lo = kNaN, var_99_hi = kNaN, var_999_lo = kNaN, var_999_hi = kNaN;
  double es_99_lo = kNaN, es_99_hi = kNaN, es_999_lo = kNaN, es_999_hi = kNaN;
  // Attribution of each path's P&L: pnl = diffusive + jump - cost, with jump the P&L made at jumps
  // and deterministic gaps (SimOutput::jump_pnl) and diffusive := pnl + cost - jump. Without jump
  // arrays (no jumps or gaps in the run) the jump part is exactly 0: its columns are 0, not NaN, and
  // diffusive = pnl + cost. Diffusive columns are NaN where the cost was not recorded.
  double mean_jump_pnl = kNaN, mean_jump_pnl_se = kNaN, std_jump_pnl = kNaN;
  double mean_diffusive_pnl = kNaN, mean_diffusive_pnl_se = kNaN, std_diffusive_pnl = kNaN;
  double mean_jumps = kNaN;  // mean number of random jumps per path (0 without jump arrays)
  // Paired differences against the baseline cell (RunResult::baseline), on the same paths: this
  // cell minus the baseline. *_se is the paired standard error, *_se_unpaired the one that
  // ignores the common random numbers (sqrt(se_a^2 + se_b^2)).
  double diff_mean = kNaN, diff_mean_se = kNaN, diff_mean_se_unpaired = kNaN;
  double diff_std = kNaN, diff_std_se = kNaN, diff_std_se_unpaired = kNaN;
  // Closed forms where one applies (NaN otherwise).
  double bkl_std = kNaN;             // Bertsimas, Kogan & Lo (2000) standard deviation of the hedging error
  double leland_volatility = kNaN;   // Leland (1985) modified volatility
  double jump_residual_std = kNaN;   // Merton market, Merton hedger: std of continuous hedging (Ito isometry)
  double ahmad_wilmott_mean = kNaN;  // Ahmad & Wilmott (2005) expected P&L, hedging at implied vs realised vol

  // The quantile sketch's zero threshold x_min (output.quantile_method "sketch": |P&L| < x_min counts as
  // 0); NaN with exact quantiles.
  double sketch_zero_threshold = kNaN;

  std::vector<double> quantiles;                // one per quantile level
  std::vector<double> quantiles_lo, quantiles_hi;  // distribution-free 95% CI of each quantile
  std::vector<std::uint64_t> histogram_counts;  // histogram_bins
  std::vector<double> histogram_edges;          // histogram_bins + 1

  // P(pnl < -L) for each loss threshold L (study.loss_thresholds), and its binomial standard error
  // sqrt(p (1 - p) / n).
  std::vector<double> loss_probability, loss_probability_se;
  // The min(worst_paths, n) lowest-P&L paths, worst first, ties by lower path index: path index (what
  // `hedgelab trace --path` replays) and P&L.
  std::vector<std::int64_t> worst_index;
  std::vector<double> worst_pnl;
  // P&L by the number of random jumps on the path, bins 0, 1, 2, 3, >= 4 (kJumpBins); empty without
  // jump arrays. An empty bin has count 0 and NaN statistics; a bin of one path NaN std and se.
  static constexpr int kJumpBins = 5;
  std::vector<std::uint64_t> jump_bin_count;
  std::vector<double> jump_bin_mean, jump_bin_mean_se, jump_bin_std;
};

struct Provenance {
  std::string version, git_commit, backend, device, precision;
  int threads = 0;
  double elapsed_seconds = 0.0;
};

struct RunResult {
  Study study;
  std::vector<std::vector<double>> cell_coords;  // [cell][axis], axes as in study.axes
  std::vector<CellStats> cells;
  int baseline = 0;  // the cell the diff_* statistics are taken against
  std::vector<double> quantile_levels;
  // How quantiles, VaR/ES and the histogram were computed: "exact" (sorted P&L of every path) or
  // "sketch" (QuantileSketch of relative accuracy sketch_accuracy; NaN for exact).
  std::string quantile_method = "exact";
  double sketch_accuracy = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> samples;       // P&L [cells x paths], row-major; empty unless study.samples
  std::vector<double> samples_cost;  // cost paid [cells x paths], as samples
  Provenance prov;
};

}  // namespace hl
