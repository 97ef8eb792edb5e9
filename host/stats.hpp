#pragma once
// Statistics of one cell's per-path results. Sums run in path order, so the result is a pure function
// of the samples: the same for any thread count or batch size.
#include <cstdint>
#include <utility>
#include <vector>

#include "host/results.hpp"

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

// Fills every statistic of CellStats except premium, derman_kamal_std, the theory columns (bkl_std,
// leland_volatility, ahmad_wilmott_mean, jump_residual_std) and the diff_* columns (paired_statistics).
// loss_thresholds: the losses L (positive = a loss) of loss_probability; worst_paths: how many of the
// worst paths to keep (min(worst_paths, n)).
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
