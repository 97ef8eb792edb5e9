#pragma once
// Study -> sweep cells x simulation grid, with everything path-independent precomputed.
#include <vector>

#include "host/study.hpp"
#include "kernels/backend.hpp"

namespace hl {

struct Plan {
  SimJob job;
  std::vector<std::vector<double>> cell_coords;  // [cell][axis], axes as in Study::axes
  std::vector<int> rebalances;                   // per cell
  std::vector<double> hedge_volatility;          // per cell
  std::vector<double> proportional;              // per cell
  std::vector<double> derman_kamal_std;          // per cell; NaN where it does not apply
  double horizon = 0.0;                          // the book's last maturity
};

// Throws InputError for combinations that single-key validation cannot see (grid, maturities).
Plan make_plan(const Study& s);

// Derman & Kamal (1999), "When you cannot hedge continuously": the std of the P&L of an option
// hedged N times over its life is about sqrt(pi/4) vega sigma / sqrt(N).
double derman_kamal_std(double vega, double sigma, int rebalances);

}  // namespace hl
