#pragma once
// Plain parameter structs handed to the per-path code, by value. The host (host/plan.cpp) fills them,
// precomputing everything that is the same for all paths.
#include "kernels/hl_hd.hpp"

namespace hl {

constexpr int kMaxBook = 16;           // options in one book
constexpr int kMaxCellsPerPass = 16;     // cells hedged on one simulation of a path: CUDA (registers)
constexpr int kMaxCellsPerPassCpu = 64;  // the same on the CPU, where the cells' state sits in L1
constexpr int kMaxSteps = 10'000'000;  // simulation grid steps

// Rebalance policies, in the order of policy_names() (host/study.cpp).
enum Policy : int {
  kPolicyTime = 0,       // every `stride` steps, to the Black-Scholes delta
  kPolicyBand,           // when |position - delta| > band (checked every step)
  kPolicyWhalleyWilmott, // Whalley & Wilmott (1997) asymptotic band, checked every step
  kPolicyZakamouline,    // Zakamouline (2006) band around the delta at a modified volatility
  kPolicyMove,           // when spot has moved by `move` (fraction) since the last hedge
  kPolicyLeland,         // time-based at the Leland (1985) volatility (set as the hedge volatility)
  kPolicyStatic,         // hedge at t0, hold to the horizon
  kPolicyNone            // never hedge
};

struct BookEntry {
  double strike;
  double log_strike;
  double quantity;   // negative = sold
  int is_call;
  int expiry_step;   // grid step of the option's maturity (1..steps)
};

// What is common to every cell of a path group: the simulated path and the book. Cells whose market
// and book differ (a swept market.volatility, a swept strike) are in different path groups, which
// draw the same normals.
struct PathParams {
  std::uint64_t seed;
  int steps;             // simulation grid: steps of dt = horizon / steps
  double dt;
  double rate;
  double volatility;     // of the simulated spot
  double spot;
  double log_spot;
  double drift_dt;       // (mu - sigma^2/2) dt, exact GBM step in log space
  double vol_sqrt_dt;    // sigma sqrt(dt)
  double growth_horizon; // exp(r T): values at t0 -> values at the horizon
  double min_trade;      // a rebalance counts as a trade when |shares traded| exceeds this: 1e-12 x
                         // sum |quantity|, so that rounding in N(d1) near 0 or 1 is not a trade
  int cost_initial;      // 1 = the initial hedge pays costs
  int cost_unwind;       // 1 = the unwind at the horizon pays costs
  int n_book;
  BookEntry book[kMaxBook];
  // Per-step tables, steps + 1 entries per row, on the backend's memory (host or device):
  const double* discount;      // exp(-r t_j)
  const double* sqrt_tau;      // [n_book][steps + 1]: sqrt(T_i - t_j), 0 from the option's expiry on
  const double* inv_sqrt_tau;  // [n_book][steps + 1]: 1 / sqrt(T_i - t_j), 0 from expiry on
};

// One sweep cell: how this hedger trades on the common path.
struct CellParams {
  int policy;            // Policy
  int every_step;        // 1 for the policies that decide at every grid step (band, whalley_wilmott,
                         // zakamouline, move)
  int stride;            // time, leland: grid steps between rebalances (steps / rebalances)
  int vol_group;         // cells of a pass with the same hedge volatility share delta evaluations
  int trade_group;       // cells of a pass that trade alike (the same policy and parameters, any
                         // costs that do not move the decisions) share one position; their costs are
                         // linear in shared sums and applied per cell
  int to_edge;           // band policies: 1 = trade to the band's edge, 0 = to the delta
  double hedge_vol;      // sigma_h: premium and deltas (the Leland volatility for leland)
  double inv_vol;        // 1 / sigma_h
  double d1_coef;        // r / sigma_h + sigma_h / 2, so d1 = x inv_vol / sqrt(tau) + d1_coef sqrt(tau)
  double band;           // band: half-width in shares
  double risk_aversion;  // whalley_wilmott, zakamouline: exponential utility gamma
  double move;           // move: fraction of spot
  // Costs of trading q shares at spot S: (linear_rate |q| S) + fixed [traded] + impact_coef S |q|^1.5
  double linear_rate;    // proportional + half-spread (the half-spread is a fraction of spot)
  double fixed;          // per rebalance that trades
  double impact_coef;    // square-root impact eta sigma S |q| sqrt(|q| / volume) = impact_coef S |q|^1.5
  double lot;            // hedge rounded to whole lots of this many shares; 0 = no rounding
  double book_value;     // sum of quantity x Black-Scholes price at t0, at the hedge volatility
};

}  // namespace hl
