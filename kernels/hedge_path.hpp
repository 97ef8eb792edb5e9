#pragma once
// The per-path hedging loop: one simulated GBM path, every cell of a pass hedging it (common random
// numbers). Written once over the lane type R (lanes.hpp): R = double in the CUDA kernel and the
// scalar CPU loop, R = 4 paths in lockstep in the AVX2 CPU loop. Only elementwise operations on R;
// decisions that differ between paths (bands, moves) are masks, never branches.
#include "kernels/black_scholes.hpp"
#include "kernels/lanes.hpp"
#include "kernels/normal.hpp"
#include "kernels/params.hpp"

namespace hl {

template <class R>
struct PathOutT {
  R pnl;                // at the horizon, positive is profit
  R cost;               // costs paid, valued at the horizon
  R trades;             // rebalances that traded (|trade| > min_trade), initial hedge and unwind included
  R turnover_shares;    // sum of |shares traded|
  R turnover_notional;  // sum of |shares traded| x spot at the trade
};
using PathOut = PathOutT<double>;

// One line of a path's ledger, for `hedgelab trace`: cell c at grid step j, after its decision (every
// step, also where it does not trade).
template <class R>
struct LedgerRow {
  int step, cell;
  R spot, position, trade, fee, cash, book_cash;  // position after the trade; cash, book_cash in t0 money
};
// The production recorder: records nothing, and compiles away.
struct NoLedger {
  template <class Row>
  HL_HD void operator()(const Row&) const {}
};

// Exact GBM step in log space: log S += (mu - sigma^2/2) dt + sigma sqrt(dt) z.
template <class R>
HL_HD R gbm_step(const PathParams& P, R log_s, R z) {
  return log_s + P.drift_dt + P.vol_sqrt_dt * z;
}

// Hedge ratio (shares) that makes the book delta-neutral at grid step j, -sum_i q_i Delta_i, and the
// book's gamma sum_i q_i Gamma_i, at the hedge volatility of c. Black-Scholes delta N(d1) (call) or
// N(d1) - 1 (put), gamma phi(d1) / (S sigma sqrt(tau)); options at or past expiry contribute nothing.
template <class R>
HL_HD void book_greeks(const PathParams& P, const CellParams& c, int j, R log_s, R s, bool want_gamma, R& hedge,
                       R& gamma) {
  hedge = R{} + 0.0;
  gamma = R{} + 0.0;
  for (int i = 0; i < P.n_book; ++i) {
    const BookEntry& b = P.book[i];
    if (j >= b.expiry_step) continue;
    const int k = i * (P.steps + 1) + j;
    const R d1 = (log_s - b.log_strike) * (c.inv_vol * P.inv_sqrt_tau[k]) + c.d1_coef * P.sqrt_tau[k];
    const R nd1 = 0.5 * verfc(d1 * -kSqrt1_2);  // N(d1)
    hedge -= b.quantity * (b.is_call ? nd1 : nd1 - 1.0);
    if (want_gamma)
      gamma += (b.quantity * kInvSqrt2Pi * c.inv_vol * P.inv_sqrt_tau[k]) * vexp(-0.5 * d1 * d1) / s;
  }
}

// The book's hedge ratio at a volatility that differs between lanes (Zakamouline's modified volatility).
template <class R>
HL_HD R book_hedge_at(const PathParams& P, int j, R log_s, R sigma) {
  R h = R{} + 0.0;
  for (int i = 0; i < P.n_book; ++i) {
    const BookEntry& b = P.book[i];
    if (j >= b.expiry_step) continue;
    const int k = i * (P.steps + 1) + j;
    const R d1 = (log_s - b.log_strike) * P.inv_sqrt_tau[k] / sigma + (P.rate / sigma + 0.5 * sigma) * P.sqrt_tau[k];
    const R nd1 = 0.5 * verfc(d1 * -kSqrt1_2);
    h -= b.quantity * (b.is_call ? nd1 : nd1 - 1.0);
  }
  return h;
}

// Whalley & Wilmott (1997): asymptotic no-transaction band half-width around the delta for a linear
// cost rate lambda and risk aversion gamma: H = (3/2 e^{-r tau} lambda S Gamma^2 / gamma)^(1/3).
template <class R>
HL_HD R whalley_wilmott_band(const CellParams& c, double disc_tau, R s, R gamma) {
  return vcbrt((1.5 * disc_tau * c.linear_rate / c.risk_aversion) * s * gamma * gamma);
}

// Zakamouline (2006), "Efficient analytic approximation of the optimal hedging strategy for a European
// call option with transaction costs": the band is centred on the delta at a modified volatility
// sigma_m^2 = sigma^2 (1 - K) and has half-width H0 + H1, with
//   H0 = lambda / (gamma S sigma^2 tau),
//   H1 = 1.12 lambda^0.31 tau^0.05 (e^{-r tau} / sigma)^0.25 (|Gamma| / gamma)^0.5,
//   K  = -4.76 lambda^0.78 tau^-0.02 (e^{-r tau} / sigma)^0.25 (gamma S^2 |Gamma|)^0.15,
// for a sold option (the sign of K flips for a bought one: short_gamma = +1 / -1). The constants are
// Zakamouline's; the sign convention (the writer hedges at a higher volatility, as in Leland) is our
// reading: the original's section on it was not available to check.
template <class R>
HL_HD void zakamouline_band(const CellParams& c, double tau, double disc_tau, double short_gamma, R s, R gamma,
                            R& sigma_m, R& half_width) {
  const double lam = c.linear_rate, g = c.risk_aversion, sig = c.hedge_vol;
  const double a = pow(disc_tau / sig, 0.25);
  const R abs_gamma = vabs(gamma);
  const R h0 = (lam / (g * sig * sig * tau)) / s;
  const R h1 = (1.12 * pow(lam, 0.31) * pow(tau, 0.05) * a) * vsqrt(abs_gamma / g);
  const R k = (-4.76 * pow(lam, 0.78) * pow(tau, -0.02) * a) * vpow(g * s * s * abs_gamma + 1e-300, R{} + 0.15);
  sigma_m = sig * vsqrt(vmax(1.0 - short_gamma * k, R{} + 1e-8));
  half_width = h0 + h1;
}

// Cost of trading `trade` shares at spot s: linear (proportional + half-spread), fixed per trade,
// square-root market impact eta sigma S |q| sqrt(|q| / V).
template <class R>
HL_HD R trade_cost(const CellParams& c, R abs_trade, R s, R traded) {
  R fee = c.linear_rate * abs_trade * s + c.fixed * traded;
  if (c.impact_coef > 0.0) fee += c.impact_coef * s * abs_trade * vsqrt(abs_trade);
  return fee;
}

// Hedges one path (or one vector of paths) for cells[0..ncells), ncells <= kMaxCellsPerPass.
// Accounting in t0 money: a cash flow at t_j enters as flow x discount[j]; at the end everything is
// carried to the horizon with growth_horizon. Time-based hedging with N rebalances = hedge at t0,
// N-1 interior re-hedges, unwind at the horizon (QuantLib's DiscreteHedging convention); band and
// move policies decide at every grid step. short_gamma: +1 when the book is short gamma at t0.
template <class R, class Normals, class Ledger = NoLedger>
HL_HD void hedge_path(const PathParams& P, const CellParams* cells, int ncells, Normals& normals, PathOutT<R>* out,
                      Ledger ledger = Ledger{}, double short_gamma = 1.0) {
  R pos[kMaxCellsPerPass], cash[kMaxCellsPerPass], cost[kMaxCellsPerPass], trades[kMaxCellsPerPass];
  R turn_sh[kMaxCellsPerPass], turn_not[kMaxCellsPerPass], s_last[kMaxCellsPerPass];
  R group_hedge[kMaxCellsPerPass], group_gamma[kMaxCellsPerPass];
  int next[kMaxCellsPerPass], group_step[kMaxCellsPerPass], group_gamma_step[kMaxCellsPerPass];
  const R zero = R{} + 0.0;

  R log_s = zero + P.log_spot;
  R s = zero + P.spot;
  R book_cash = zero;  // option payoffs received, in t0 money (shared by all cells)

  for (int c = 0; c < ncells; ++c) {
    pos[c] = zero;
    cash[c] = zero - cells[c].book_value;  // premium received for a sold book, paid for a bought one
    cost[c] = trades[c] = turn_sh[c] = turn_not[c] = zero;
    s_last[c] = s;
    next[c] = 0;
    group_step[c] = group_gamma_step[c] = -1;
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
    const double tau = (P.steps - j) * P.dt;  // to the horizon
    const double disc_tau = P.discount[P.steps] / P.discount[j];
    for (int c = 0; c < ncells; ++c) {
      const CellParams& cell = cells[c];
      const int policy = cell.policy;
      const bool every_step = policy == kPolicyBand || policy == kPolicyWhalleyWilmott ||
                              policy == kPolicyZakamouline || policy == kPolicyMove;
      bool decide = every_step;
      if (policy == kPolicyTime || policy == kPolicyLeland) {
        decide = (j == next[c]);
        if (decide) next[c] += cell.stride;
      } else if (policy == kPolicyStatic) {
        decide = (j == 0);
      }
      if (!last && !decide) {
        ledger(LedgerRow<R>{j, c, s, pos[c], zero, zero, cash[c], book_cash});
        continue;
      }

      R target = zero;  // at the horizon the hedge is unwound
      if (!last && policy != kPolicyNone) {
        const int g = cell.vol_group;
        const bool want_gamma = policy == kPolicyWhalleyWilmott || policy == kPolicyZakamouline;
        if (group_step[g] != j || (want_gamma && group_gamma_step[g] != j)) {
          book_greeks(P, cell, j, log_s, s, want_gamma, group_hedge[g], group_gamma[g]);
          group_step[g] = j;
          if (want_gamma) group_gamma_step[g] = j;
        }
        const R delta = group_hedge[g];
        if (policy == kPolicyMove && j == 0) {
          target = delta;
        } else if (policy == kPolicyMove) {
          const auto moved = vgt(vabs(s / s_last[c] - 1.0), zero + cell.move);
          target = vselect(moved, delta, pos[c]);
          s_last[c] = vselect(moved, s, s_last[c]);
        } else if (every_step) {
          R centre = delta, half = zero + cell.band;
          if (policy == kPolicyWhalleyWilmott) {
            half = whalley_wilmott_band(cell, disc_tau, s, group_gamma[g]);
          } else if (policy == kPolicyZakamouline) {
            R sigma_m;
            zakamouline_band(cell, tau, disc_tau, short_gamma, s, group_gamma[g], sigma_m, half);
            centre = book_hedge_at(P, j, log_s, sigma_m);
          }
          const R dev = pos[c] - centre;
          target = cell.to_edge ? centre + vmin(vmax(dev, zero - half), half)
                                : vselect(vgt(vabs(dev), half), centre, pos[c]);
        } else {
          target = delta;
        }
        if (cell.lot > 0.0) target = cell.lot * vround(target / cell.lot);
      }
      const R trade = target - pos[c];
      const R abs_trade = vabs(trade);
      const R traded = vabove(abs_trade, P.min_trade);
      R fee = trade_cost(cell, abs_trade, s, traded);
      if ((j == 0 && !cell.cost_initial) || (last && !cell.cost_unwind)) fee = zero;
      cash[c] -= (trade * s + fee) * P.discount[j];
      cost[c] += fee * P.discount[j];
      trades[c] += traded;
      turn_sh[c] += abs_trade;
      turn_not[c] += abs_trade * s;
      pos[c] = target;
      ledger(LedgerRow<R>{j, c, s, pos[c], trade, fee, cash[c], book_cash});
    }
  }
  for (int c = 0; c < ncells; ++c) {
    out[c].pnl = (cash[c] + book_cash) * P.growth_horizon;
    out[c].cost = cost[c] * P.growth_horizon;
    out[c].trades = trades[c];
    out[c].turnover_shares = turn_sh[c];
    out[c].turnover_notional = turn_not[c];
  }
}

}  // namespace hl
