#pragma once
// Plain parameter structs handed to the per-path code, by value. The host (host/plan.cpp) fills them,
// precomputing everything that is the same for all paths.
#include "kernels/hl_hd.hpp"

namespace hl {

constexpr int kMaxBook = 16;           // options in one book
constexpr int kMaxCellsPerPass = 16;   // cells hedged on one simulated path per pass
constexpr int kMaxSteps = 10'000'000;  // simulation grid steps

struct BookEntry {
  double strike;
  double log_strike;
  double quantity;   // negative = sold
  int is_call;
  int expiry_step;   // grid step of the option's maturity (1..steps)
};

// What is common to every cell: the simulated path and the book.
struct PathParams {
  std::uint64_t seed;
  int steps;             // simulation grid: steps of dt = horizon / steps
  double spot;
  double log_spot;
  double drift_dt;       // (mu - sigma^2/2) dt, exact GBM step in log space
  double vol_sqrt_dt;    // sigma sqrt(dt)
  double growth_horizon; // exp(r T): values at t0 -> values at the horizon
  double min_trade;      // a rebalance counts as a trade when |shares traded| exceeds this: 1e-12 x
                         // sum |quantity|, so that rounding in N(d1) near 0 or 1 is not a trade
  int n_book;
  BookEntry book[kMaxBook];
  // Per-step tables, steps + 1 entries per row, on the backend's memory (host or device):
  const double* discount;      // exp(-r t_j)
  const double* sqrt_tau;      // [n_book][steps + 1]: sqrt(T_i - t_j), 0 from the option's expiry on
  const double* inv_sqrt_tau;  // [n_book][steps + 1]: 1 / sqrt(T_i - t_j), 0 from expiry on
};

// One sweep cell: how this hedger trades on the common path.
struct CellParams {
  int stride;          // grid steps between rebalances: steps / rebalances
  int vol_group;       // cells of one pass with the same hedge volatility share delta evaluations
  double inv_vol;      // 1 / hedge volatility
  double d1_coef;      // r / sigma_h + sigma_h / 2, so d1 = x inv_vol / sqrt(tau) + d1_coef sqrt(tau)
  double proportional; // one-way cost as a fraction of traded notional
  double book_value;   // sum of quantity x Black-Scholes price at t0, at the hedge volatility
};


}  // namespace hl
