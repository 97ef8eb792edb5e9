#pragma once
// The per-path hedging loop: one simulated GBM path, every cell of a pass hedging it (common random
// numbers). Written once over the lane type R (lanes.hpp): R = double in the CUDA kernel and the
// scalar CPU loop, R = 4 paths in lockstep in the AVX2 CPU loop. Only elementwise operations on R.
#include "kernels/black_scholes.hpp"
#include "kernels/lanes.hpp"
#include "kernels/normal.hpp"
#include "kernels/params.hpp"

namespace hl {

template <class R>
struct PathOutT {
  R pnl;     // at the horizon, positive is profit
  R cost;    // costs paid, valued at the horizon
  R trades;  // rebalances that traded (|trade| > min_trade), initial hedge and unwind included
};

using PathOut = PathOutT<double>;

// Exact GBM step in log space: log S += (mu - sigma^2/2) dt + sigma sqrt(dt) z.
template <class R>
HL_HD R gbm_step(const PathParams& P, R log_s, R z) {
  return log_s + P.drift_dt + P.vol_sqrt_dt * z;
}

// Hedge ratio in shares that makes the book delta-neutral at grid step j: -sum_i q_i Delta_i.
// Black-Scholes delta N(d1) (call) or N(d1) - 1 (put); options at or past expiry contribute nothing.
template <class R>
HL_HD R book_hedge(const PathParams& P, const CellParams& c, int j, R log_s) {
  R h = R{} + 0.0;
  for (int i = 0; i < P.n_book; ++i) {
    const BookEntry& b = P.book[i];
    if (j >= b.expiry_step) continue;
    const int k = i * (P.steps + 1) + j;
    const R d1 = (log_s - b.log_strike) * (c.inv_vol * P.inv_sqrt_tau[k]) + c.d1_coef * P.sqrt_tau[k];
    const R nd1 = 0.5 * verfc(d1 * -kSqrt1_2);  // N(d1)
    h -= b.quantity * (b.is_call ? nd1 : nd1 - 1.0);
  }
  return h;
}

// Hedges one path (or one vector of paths) for cells[0..ncells), ncells <= kMaxCellsPerPass.
// Accounting in t0 money: a cash flow at t_j enters as flow x discount[j]; at the end everything is
// carried to the horizon with growth_horizon. N rebalances = hedge at t0, N-1 interior re-hedges,
// unwind at the horizon (QuantLib's DiscreteHedging convention).
template <class R, class Normals>
HL_HD void hedge_path(const PathParams& P, const CellParams* cells, int ncells, Normals& normals,
                      PathOutT<R>* out) {
  R pos[kMaxCellsPerPass], cash[kMaxCellsPerPass], cost[kMaxCellsPerPass], trades[kMaxCellsPerPass];
  R group_hedge[kMaxCellsPerPass];
  int next[kMaxCellsPerPass], group_step[kMaxCellsPerPass];
  const R zero = R{} + 0.0;

  R log_s = zero + P.log_spot;
  R s = zero + P.spot;
  R book_cash = zero;  // option payoffs received, in t0 money (shared by all cells)

  for (int g = 0; g < ncells; ++g) group_step[g] = -1;
  for (int c = 0; c < ncells; ++c) {
    pos[c] = zero;
    cash[c] = zero - cells[c].book_value;  // premium received for a sold book, paid for a bought one
    cost[c] = zero;
    trades[c] = zero;
    next[c] = 0;
  }

  for (int j = 0; j <= P.steps; ++j) {
    if (j > 0) {
      log_s = gbm_step(P, log_s, normals(j));
      s = vexp(log_s);
      for (int i = 0; i < P.n_book; ++i) {
        const BookEntry& b = P.book[i];
        if (b.expiry_step == j)
          book_cash += (b.quantity * P.discount[j]) * (b.is_call ? vpos(s - b.strike) : vpos(b.strike - s));
      }
    }
    const bool last = (j == P.steps);
    for (int c = 0; c < ncells; ++c) {
      if (!last && j != next[c]) continue;
      const CellParams& cell = cells[c];
      R target = zero;  // at the horizon the hedge is unwound
      if (!last) {
        next[c] += cell.stride;
        const int g = cell.vol_group;
        if (group_step[g] != j) {
          group_hedge[g] = book_hedge(P, cell, j, log_s);
          group_step[g] = j;
        }
        target = group_hedge[g];
      }
      const R trade = target - pos[c];
      const R notional = trade * s;
      const R fee = cell.proportional * vabs(notional);
      cash[c] -= (notional + fee) * P.discount[j];
      cost[c] += fee * P.discount[j];
      trades[c] += vabove(vabs(trade), P.min_trade);
      pos[c] = target;
    }
  }
  for (int c = 0; c < ncells; ++c) {
    out[c].pnl = (cash[c] + book_cash) * P.growth_horizon;
    out[c].cost = cost[c] * P.growth_horizon;
    out[c].trades = trades[c];
  }
}

}  // namespace hl
