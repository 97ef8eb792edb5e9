#pragma once
// The per-path hedging loop: one simulated path (market.hpp), every cell of a pass hedging it (common random
// numbers). Written once over the lane type R (lanes.hpp): R = double in the CUDA kernel and the
// scalar CPU loop, R = 4 paths in lockstep in the AVX2 CPU loop. Only elementwise operations on R;
// decisions that differ between paths (bands, moves) are masks, never branches.
#include "kernels/black_scholes.hpp"
#include "kernels/hedger.hpp"
#include "kernels/lanes.hpp"
#include "kernels/market.hpp"
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
  R jump_pnl;           // the part of pnl made at jumps and gaps: position x jump in spot + change of the
                        // book's model value across the jump, at the horizon (0 without jumps or gaps)
  R jumps;              // jumps on the path (the same for every cell of a path group)
};
using PathOut = PathOutT<double>;

// One scalar path's results in double (the float precisions store doubles like fp64).
template <class A>
HL_HD PathOut to_double(const PathOutT<A>& o) {
  return PathOut{static_cast<double>(o.pnl),          static_cast<double>(o.cost),
                 static_cast<double>(o.trades),       static_cast<double>(o.turnover_shares),
                 static_cast<double>(o.turnover_notional), static_cast<double>(o.jump_pnl),
                 static_cast<double>(o.jumps)};
}

// Writes one path's results for cell c (path index p; the arrays start at path out.first).
HL_HD void store_path(const PathArrays& out, int c, long long p, const PathOut& o) {
  const long long at = c * out.stride + (p - out.first);
  out.pnl[at] = o.pnl;
  out.cost[at] = o.cost;
  out.trades[at] = static_cast<std::uint32_t>(o.trades);
  out.turnover_shares[at] = o.turnover_shares;
  out.turnover_notional[at] = o.turnover_notional;
  if (out.jump_pnl) {
    out.jump_pnl[at] = o.jump_pnl;
    out.jumps[at] = static_cast<std::uint32_t>(o.jumps);
  }
}

// One line of a path's ledger, for `hedgelab trace`: cell c at grid step j, after its decision (every
// step, also where it does not trade).
template <class R>
struct LedgerRow {
  int step, cell;
  R spot, position, trade, fee, cash, book_cash;  // position after the trade; cash, book_cash in t0 money
};
// The production recorder: records nothing, and compiles away. A recorder with active = true gets
// every cell's row at every step.
struct NoLedger {
  static constexpr bool active = false;
  template <class Row>
  HL_HD void operator()(const Row&) const {}
};

// Hedge ratio (shares) that makes the book delta-neutral at grid step j, -sum_i q_i Delta_i, and the
// book's gamma sum_i q_i Gamma_i, at the hedge volatility of c. Black-Scholes delta N(d1) (call) or
// N(d1) - 1 (put), gamma phi(d1) / (S sigma sqrt(tau)); options at or past expiry contribute nothing.
template <bool WantGamma, class R>
HL_HD void book_greeks(const PathParams& P, const CellParams& c, int j, R log_rel, R s, R& hedge, R& gamma) {
  using T = scalar_t<R>;
  hedge = R{} + T(0);
  gamma = R{} + T(0);
  for (int i = 0; i < P.n_book; ++i) {
    const BookEntry& b = P.book[i];
    if (j >= b.expiry_step) continue;
    const int k = i * (P.steps + 1) + j;
    const T inv_sqrt_tau = step_table<T>(P.inv_sqrt_tau, P.inv_sqrt_tau_f, k);
    const R d1 = (log_rel - T(b.log_moneyness)) * (T(c.inv_vol) * inv_sqrt_tau) +
                 T(c.d1_coef) * step_table<T>(P.sqrt_tau, P.sqrt_tau_f, k);
    const R nd1 = T(0.5) * verfc(d1 * T(-kSqrt1_2));  // N(d1)
    hedge -= T(b.quantity) * (b.is_call ? nd1 : nd1 - T(1));
    if constexpr (WantGamma)
      gamma += (T(b.quantity * kInvSqrt2Pi * c.inv_vol) * inv_sqrt_tau) * vexp(T(-0.5) * d1 * d1) / s;
  }
}

// The book's hedge ratio at a volatility that differs between lanes (Zakamouline's modified volatility).
template <class R>
HL_HD R book_hedge_at(const PathParams& P, int j, R log_rel, R sigma) {
  using T = scalar_t<R>;
  R h = R{} + T(0);
  for (int i = 0; i < P.n_book; ++i) {
    const BookEntry& b = P.book[i];
    if (j >= b.expiry_step) continue;
    const int k = i * (P.steps + 1) + j;
    const R d1 = (log_rel - T(b.log_moneyness)) * T(P.inv_sqrt_tau[k]) / sigma +
                 (T(P.rate) / sigma + T(0.5) * sigma) * T(P.sqrt_tau[k]);
    const R nd1 = T(0.5) * verfc(d1 * T(-kSqrt1_2));
    h -= T(b.quantity) * (b.is_call ? nd1 : nd1 - T(1));
  }
  return h;
}

// Whalley & Wilmott (1997): asymptotic no-transaction band half-width around the delta for a linear
// cost rate lambda and risk aversion gamma: H = (3/2 e^{-r tau} lambda S Gamma^2 / gamma)^(1/3).
template <class R>
HL_HD R whalley_wilmott_band(const CellParams& c, double disc_tau, R s, R gamma) {
  using T = scalar_t<R>;
  return vcbrt(T(1.5 * disc_tau * c.linear_rate / c.risk_aversion) * s * gamma * gamma);
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
  using T = scalar_t<R>;
  const double lam = c.linear_rate, g = c.risk_aversion, sig = c.hedge_vol;
  const double a = pow(disc_tau / sig, 0.25);
  const R abs_gamma = vabs(gamma);
  const R h0 = T(lam / (g * sig * sig * tau)) / s;
  const R h1 = T(1.12 * pow(lam, 0.31) * pow(tau, 0.05) * a) * vsqrt(abs_gamma / T(g));
  const R k = T(-4.76 * pow(lam, 0.78) * pow(tau, -0.02) * a) *
              vpow(T(g) * s * s * abs_gamma + T(tiny_of<T>()), R{} + T(0.15));
  sigma_m = T(sig) * vsqrt(vmax(T(1) - T(short_gamma) * k, R{} + T(1e-8)));
  half_width = h0 + h1;
}

// The new position of a cell whose policy decides at every step (band, whalley_wilmott, zakamouline,
// move), from its position, the delta and gamma at the hedge volatility. (Inlined: out of line, the
// call made GCC keep the loop's vectors on the stack, 15% slower for time-based cells.)
template <class R>
HL_HD R every_step_target(const PathParams& P, const CellParams& cell, int j, double short_gamma, R log_rel,
                                   R s, R delta, R gamma, R pos, R& s_last) {
  using T = scalar_t<R>;
  const R zero = R{} + T(0);
  if (cell.policy == kPolicyMove) {
    if (j == 0) {
      s_last = s;
      return delta;
    }
    const auto moved = vgt(vabs(s / s_last - T(1)), zero + T(cell.move));
    s_last = vselect(moved, s, s_last);
    return vselect(moved, delta, pos);
  }
  const double tau = (P.steps - j) * P.dt;  // to the horizon
  const double disc_tau = P.discount[P.steps] / P.discount[j];
  R centre = delta, half = zero + T(cell.band);
  if (cell.policy == kPolicyWhalleyWilmott) {
    half = whalley_wilmott_band(cell, disc_tau, s, gamma);
  } else if (cell.policy == kPolicyZakamouline) {
    R sigma_m;
    zakamouline_band(cell, tau, disc_tau, short_gamma, s, gamma, sigma_m, half);
    centre = book_hedge_at(P, j, log_rel, sigma_m);
  }
  const R dev = pos - centre;
  return cell.to_edge ? centre + vmin(vmax(dev, zero - half), half) : vselect(vgt(vabs(dev), half), centre, pos);
}


// Hedges one path (or one vector of paths) for cells[0..ncells), ncells <= MaxCells. src is the path's
// random source (market.hpp).
// Accounting in t0 money: a cash flow at t_j enters as flow x discount[j]; at the end everything is
// carried to the horizon with growth_horizon. Time-based hedging with N rebalances = hedge at t0,
// N-1 interior re-hedges, unwind at the horizon (QuantLib's DiscreteHedging convention); band and
// move policies decide at every grid step. short_gamma: +1 when the book is short gamma at t0.
//
// Cells of one trade group make the same trades, so the loop runs over trade groups. A cell's cost is
// linear_rate x L + fixed x F + impact_coef x I with L = sum |q| S, F = sum [traded], I = sum S |q|^1.5
// over the dates that pay costs (each in t0 money): the group keeps L, F, I and the cell applies its own
// coefficients at the end. A sweep over cost levels therefore costs little more than one cell.
// Precision: R is the lane of the path, the deltas and the positions; A (default R) is the lane of
// the accumulated cash, costs, turnover and P&L (mixed precision: R = float, A = double).
template <class R, class Normals, class Ledger = NoLedger, int MaxCells = kMaxCellsPerPass, class A = R>
HL_HD void hedge_path(const PathParams& P, const CellParams* cells, int ncells, Normals& src, PathOutT<A>* out,
                      Ledger ledger = Ledger{}, double short_gamma = 1.0) {
  using T = scalar_t<R>;
  using TA = scalar_t<A>;
  // Per trade group.
  R pos[MaxCells], s_last[MaxCells];
  A cash[MaxCells], lin[MaxCells], fix[MaxCells], imp[MaxCells], jump_pnl[MaxCells];
  A trades[MaxCells], turn_sh[MaxCells], turn_not[MaxCells];
  int next[MaxCells], leader[MaxCells];
  // Per volatility group: the book's delta and gamma at step group_step.
  R group_hedge[MaxCells], group_gamma[MaxCells];
  int group_step[MaxCells], group_gamma_step[MaxCells];
  const R zero = R{} + T(0);
  const A zero_a = A{} + TA(0);

  // The path's state is log_rel = log(S / S0), not log S: it stays near 0, where a float carries some
  // 30 times more significant digits of the path than of log S (about 4.6 at S = 100), which is what
  // fp32 and mixed lose to rounding along the path. Strikes enter as log(K / S0) (log_moneyness).
  const R spot0 = zero + T(P.spot);
  R log_rel = zero;
  R s = spot0;
  A book_cash = zero_a;  // option payoffs received, in t0 money (shared by all cells)
  MarketState<R> market;
  market_init(P, market);

  int ngroups = 0;
  bool impact = false;
  for (int c = 0; c < ncells; ++c) {
    const int g = cells[c].trade_group;
    if (g >= ngroups) {  // trade groups are numbered in order of first appearance
      leader[g] = c;
      ngroups = g + 1;
    }
    impact = impact || cells[c].impact_coef > 0.0;
    group_step[c] = group_gamma_step[c] = -1;
  }
  for (int g = 0; g < ngroups; ++g) {
    pos[g] = zero;
    cash[g] = lin[g] = fix[g] = imp[g] = jump_pnl[g] = zero_a;
    trades[g] = turn_sh[g] = turn_not[g] = zero_a;
    s_last[g] = s;
    next[g] = 0;
  }
  // Premia: each cell's own, at its hedge volatility (applied at the end).

  for (int j = 0; j <= P.steps; ++j) {
    const TA disc = step_table<TA>(P.discount, P.discount_f, j);
    if (j > 0) {
      R jump_log;
      const R log_before = market_step(P, market, src, j, log_rel, jump_log);
      log_rel = log_before + jump_log;
      s = spot0 * vexp(log_rel);
      if (P.has_jumps && (j == P.gap_step || vany(vgt(vabs(jump_log), zero)))) {
        // Jump attribution: what the held position and the book (at the hedger's model value) made
        // across the jump, before anyone can trade.
        const R s_before = spot0 * vexp(log_before);
        for (int g = 0; g < ngroups; ++g) {
          const CellParams& cell = cells[leader[g]];
          const R dv = book_value_model(P, cell, j, log_rel, s) - book_value_model(P, cell, j, log_before, s_before);
          jump_pnl[g] += widen<A>(pos[g] * (s - s_before) + dv) * disc;
        }
      }
      for (int i = 0; i < P.n_book; ++i) {
        const BookEntry& b = P.book[i];
        if (b.expiry_step == j) {
          const T strike = T(b.strike);
          book_cash += TA(b.quantity * P.discount[j]) * widen<A>(b.is_call ? vpos(s - strike) : vpos(strike - s));
        }
      }
    }
    const bool last = (j == P.steps);
    const bool pays = last ? P.cost_unwind : (j == 0 ? P.cost_initial : true);
    for (int g = 0; g < ngroups; ++g) {
      const CellParams& cell = cells[leader[g]];
      bool decide = cell.every_step;
      if (cell.policy == kPolicyTime || cell.policy == kPolicyLeland) {
        decide = (j == next[g]);
        if (decide) next[g] += cell.stride;
      } else if (cell.policy == kPolicyStatic) {
        decide = (j == 0);
      }
      R trade = zero;
      if (last || decide) {
        R target = zero;  // at the horizon the hedge is unwound
        if (!last && cell.policy != kPolicyNone) {
          const int v = cell.vol_group;
          const bool want_gamma = cell.policy == kPolicyWhalleyWilmott || cell.policy == kPolicyZakamouline;
          if (want_gamma) {
            if (group_gamma_step[v] != j) {
              book_greeks<true>(P, cell, j, log_rel, s, group_hedge[v], group_gamma[v]);
              group_step[v] = group_gamma_step[v] = j;
            }
          } else if (group_step[v] != j) {
            if (cell.hedge_model == kHedgeBs)
              book_greeks<false>(P, cell, j, log_rel, s, group_hedge[v], group_gamma[v]);
            else
              group_hedge[v] = book_hedge_model(P, cell, j, log_rel, s);
            group_step[v] = j;
          }
          target = cell.every_step ? every_step_target(P, cell, j, short_gamma, log_rel, s, group_hedge[v],
                                                       group_gamma[v], pos[g], s_last[g])
                                   : group_hedge[v];
          if (cell.lot > 0.0) target = T(cell.lot) * vround(target / T(cell.lot));
        }
        trade = target - pos[g];
        const R abs_trade = vabs(trade);
        const R traded = vabove(abs_trade, T(P.min_trade));
        const R notional = abs_trade * s;
        cash[g] -= (widen<A>(trade) * widen<A>(s)) * disc;
        if (pays) {
          lin[g] += widen<A>(notional) * disc;
          fix[g] += widen<A>(traded) * disc;
          if (impact) imp[g] += widen<A>(notional * vsqrt(abs_trade)) * disc;
        }
        trades[g] += widen<A>(traded);
        turn_sh[g] += widen<A>(abs_trade);
        turn_not[g] += widen<A>(notional);
        pos[g] = target;
      }
      if constexpr (Ledger::active) {  // every cell of the group: its own fee and cash
        for (int c = leader[g]; c < ncells; ++c) {
          if (cells[c].trade_group != g) continue;
          const CellParams& k = cells[c];
          const A abs_trade = widen<A>(vabs(trade)), sa = widen<A>(s);
          A fee = TA(k.linear_rate) * abs_trade * sa + TA(k.fixed) * widen<A>(vabove(vabs(trade), T(P.min_trade)));
          if (k.impact_coef > 0.0) fee += TA(k.impact_coef) * sa * abs_trade * vsqrt(abs_trade);
          if (!pays) fee = zero_a;
          const A cost_pv = TA(k.linear_rate) * lin[g] + TA(k.fixed) * fix[g] + TA(k.impact_coef) * imp[g];
          ledger(LedgerRow<A>{j, c, sa, widen<A>(pos[g]), widen<A>(trade), fee, cash[g] - TA(k.book_value) - cost_pv,
                              book_cash});
        }
      }
    }
  }
  for (int c = 0; c < ncells; ++c) {
    const CellParams& k = cells[c];
    const int g = k.trade_group;
    const A cost_pv = TA(k.linear_rate) * lin[g] + TA(k.fixed) * fix[g] + TA(k.impact_coef) * imp[g];
    const TA growth = TA(P.growth_horizon);
    // premium received for a sold book (book_value < 0), paid for a bought one
    out[c].pnl = (cash[g] - TA(k.book_value) - cost_pv + book_cash) * growth;
    out[c].cost = cost_pv * growth;
    out[c].trades = trades[g];
    out[c].turnover_shares = turn_sh[g];
    out[c].turnover_notional = turn_not[g];
    out[c].jump_pnl = jump_pnl[g] * growth;
    out[c].jumps = widen<A>(market.jumps);
  }
}

}  // namespace hl
