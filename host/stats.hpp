#pragma once
// Statistics of one cell's per-path P&L. Sums run in path order, so the result is a pure function of
// the samples: the same for any thread count or batch size.
#include <cstdint>
#include <vector>

#include "host/results.hpp"

namespace hl {

const std::vector<double>& default_quantile_levels();

// Sample quantile with linear interpolation between order statistics (Hyndman & Fan type 7, numpy's
// default): h = (n - 1) p, Q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]). sorted ascending.
double quantile_sorted(const std::vector<double>& sorted, double p);

// Fills every statistic of CellStats except premium and derman_kamal_std.
// pnl, cost, trades: n values each for this cell.
void cell_statistics(const double* pnl, const double* cost, const std::uint32_t* trades, std::int64_t n,
                     const std::vector<double>& levels, int bins, CellStats& out);

}  // namespace hl
