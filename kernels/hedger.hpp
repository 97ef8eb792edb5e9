#pragma once
// What the hedger's model says about the book at grid date t_j: the hedge ratio (shares that make the
// book neutral) and the book's value. Black-Scholes at the hedge volatility (book_greeks in
// hedge_path.hpp keeps the fast path for it), Merton's series, or a host-built table (kou,
// min_variance). Written once over the lane type R.
#include "kernels/lanes.hpp"
#include "kernels/params.hpp"

namespace hl {

// A call of quantity 1 in Merton's model at the hedge volatility, time to maturity tau > 0: Merton
// (1976) series C = sum_n w_n BS(S, K, tau, sigma_n, r_n), w_n = e^{-lambda' tau} (lambda' tau)^n / n!,
// sigma_n^2 = sigma_h^2 + n d^2 / tau, r_n = r - lambda kappa + n log(1 + kappa) / tau; delta = sum_n w_n N(d1_n).
// The n-dependent constants are the same for every lane.
template <bool WantPrice, class R>
HL_HD void merton_call(const PathParams& P, const CellParams& c, double tau, double log_k, double strike, R log_s,
                       R s, R& delta, R& price) {
  const double lt = P.mh_lambda_prime * tau;
  const double sqrt_tau = sqrt(tau);
  const R x = log_s - log_k;
  double w = exp(-lt);
  delta = R{} + 0.0;
  price = R{} + 0.0;
  for (int n = 0; n < P.mh_terms; ++n) {
    const double var_n = c.hedge_vol * c.hedge_vol + n * P.mh_jump_var / tau;
    const double sd = sqrt(var_n) * sqrt_tau;
    const double r_n = P.rate + P.mh_rate_shift + n * P.mh_log1k / tau;
    const R d1 = x * (1.0 / sd) + (r_n * tau + 0.5 * sd * sd) / sd;
    const R nd1 = 0.5 * verfc(d1 * -kSqrt1_2);
    delta += w * nd1;
    if constexpr (WantPrice) price += w * (s * nd1 - (strike * exp(-r_n * tau)) * (0.5 * verfc((d1 - sd) * -kSqrt1_2)));
    w *= lt / (n + 1);
  }
}

// A call of quantity 1 from the cell's table (rows of PathParams::tables): cubic Hermite in u, where
// x = log(S/K) = c sinh(u). Beyond the grid the ratio is the end value; above it the price goes on
// linearly in S from the end (C ~ S - K e^{-r tau} deep in the money), below it stays at the end value
// (about 0 far out of the money; a put follows by parity).
template <bool WantPrice, class R>
HL_HD void table_call(const PathParams& P, const CellParams& c, int i, int j, double log_k, double strike, R log_s,
                      R s, R& ratio, R& price) {
  const R zero = R{} + 0.0;
  const double* row =
      P.tables + c.table + static_cast<long long>(i * (P.steps + 1) + j) * (kTableHeader + 4 * P.table_nx);
  const double u0 = row[0], inv_h = row[1], scale = row[2], x_end = row[3], h = 1.0 / inv_h;
  const R x = log_s - log_k;
  const R z = x * (1.0 / scale), az = vabs(z);
  const R asinh_az = vlog(az + vsqrt(az * az + 1.0));  // asinh(|z|), by symmetry
  const R uz = vselect(vgt(zero, z), zero - asinh_az, asinh_az);
  const R u = vmin(vmax((uz - u0) * inv_h, zero), zero + (P.table_nx - 1));
  const R k = vmin(vfloor(u), zero + (P.table_nx - 2));
  const R t = u - k, t2 = t * t, t3 = t2 * t;
  const R h00 = 2.0 * t3 - 3.0 * t2 + 1.0, h10 = (t3 - 2.0 * t2 + t) * h, h01 = 3.0 * t2 - 2.0 * t3, h11 = (t3 - t2) * h;
  const double* d = row + kTableHeader;
  const R at = 4.0 * k;
  ratio = h00 * vgather(d, at) + h10 * vgather(d, at + 1.0) + h01 * vgather(d, at + 4.0) + h11 * vgather(d, at + 5.0);
  if constexpr (WantPrice) {
    price = strike * (h00 * vgather(d, at + 2.0) + h10 * vgather(d, at + 3.0) + h01 * vgather(d, at + 6.0) +
                      h11 * vgather(d, at + 7.0));
    const double p_end = strike * d[4 * (P.table_nx - 1) + 2];
    price = vselect(vgt(x, zero + x_end), p_end + (s - strike * exp(x_end)), price);
  }
}

// Option i (quantity 1) at grid date j < its expiry in the cell's model: the call's or put's hedge
// ratio, and its price when WantPrice. A put is the call minus a forward (parity): ratio - 1,
// price - S + K e^{-r tau}.
template <bool WantPrice, class R>
HL_HD void option_model(const PathParams& P, const CellParams& c, int i, int j, R log_s, R s, R& ratio, R& price) {
  const BookEntry& b = P.book[i];
  const int k = i * (P.steps + 1) + j;
  const double tau = (b.expiry_step - j) * P.dt;
  if (c.hedge_model == kHedgeMerton) {
    merton_call<WantPrice>(P, c, tau, b.log_strike, b.strike, log_s, s, ratio, price);
  } else if (c.hedge_model == kHedgeBs) {
    const R d1 = (log_s - b.log_strike) * (c.inv_vol * P.inv_sqrt_tau[k]) + c.d1_coef * P.sqrt_tau[k];
    ratio = 0.5 * verfc(d1 * -kSqrt1_2);
    if constexpr (WantPrice)
      price = s * ratio - (b.strike * exp(-P.rate * tau)) * (0.5 * verfc((d1 - c.hedge_vol * P.sqrt_tau[k]) * -kSqrt1_2));
  } else {
    table_call<WantPrice>(P, c, i, j, b.log_strike, b.strike, log_s, s, ratio, price);
  }
  if (!b.is_call) {
    ratio = ratio - 1.0;
    if constexpr (WantPrice) price = price - s + b.strike * exp(-P.rate * tau);
  }
}

// The book's hedge ratio at grid date j in the cell's model: -sum_i q_i ratio_i over live options.
template <class R>
HL_HD R book_hedge_model(const PathParams& P, const CellParams& c, int j, R log_s, R s) {
  R h = R{} + 0.0, ratio, unused;
  for (int i = 0; i < P.n_book; ++i) {
    if (j >= P.book[i].expiry_step) continue;
    option_model<false>(P, c, i, j, log_s, s, ratio, unused);
    h -= P.book[i].quantity * ratio;
  }
  return h;
}

// The book's value at grid date j in the cell's model: live options at their model price, an option
// expiring at j at its payoff, earlier ones nothing (their payoff is cash already).
template <class R>
HL_HD R book_value_model(const PathParams& P, const CellParams& c, int j, R log_s, R s) {
  R v = R{} + 0.0, ratio, price;
  for (int i = 0; i < P.n_book; ++i) {
    const BookEntry& b = P.book[i];
    if (j > b.expiry_step) continue;
    if (j == b.expiry_step) {
      v += b.quantity * (b.is_call ? vpos(s - b.strike) : vpos(b.strike - s));
    } else {
      option_model<true>(P, c, i, j, log_s, s, ratio, price);
      v += b.quantity * price;
    }
  }
  return v;
}

}  // namespace hl
