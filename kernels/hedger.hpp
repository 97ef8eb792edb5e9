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
HL_HD void merton_call(const PathParams& P, const CellParams& c, double tau, double log_km, double strike, R log_rel,
                       R s, R& delta, R& price) {
  using T = scalar_t<R>;
  const T half = T(0.5), m_sqrt1_2 = T(-kSqrt1_2);
  const T lt = T(P.mh_lambda_prime * tau), tau_t = T(tau);
  const T sqrt_tau = vsqrt(tau_t);
  const R x = log_rel - T(log_km);
  T w = vexp(-lt);
  delta = R{} + T(0);
  price = R{} + T(0);
  const T hv = T(c.hedge_vol), jump_var = T(P.mh_jump_var), rate = T(P.rate + P.mh_rate_shift), log1k = T(P.mh_log1k);
  for (int n = 0; n < P.mh_terms; ++n) {
    const T var_n = hv * hv + T(n) * jump_var / tau_t;
    const T sd = vsqrt(var_n) * sqrt_tau;
    const T r_n = rate + T(n) * log1k / tau_t;
    const R d1 = x * (T(1) / sd) + (r_n * tau_t + half * sd * sd) / sd;
    const R nd1 = half * verfc(d1 * m_sqrt1_2);
    delta += w * nd1;
    if constexpr (WantPrice)
      price += w * (s * nd1 - (T(strike) * vexp(-r_n * tau_t)) * (half * verfc((d1 - sd) * m_sqrt1_2)));
    w *= lt / T(n + 1);
  }
}

// A call of quantity 1 from the cell's table (rows of PathParams::tables): cubic Hermite in u, where
// x = log(S/K) = c sinh(u). Beyond the grid the ratio is the end value; above it the price goes on
// linearly in S from the end (C ~ S - K e^{-r tau} deep in the money), below it stays at the end value
// (about 0 far out of the money; a put follows by parity).
template <bool WantPrice, class R>
HL_HD void table_call(const PathParams& P, const CellParams& c, int i, int j, double log_km, double strike, R log_rel,
                      R s, R& ratio, R& price) {
  using T = scalar_t<R>;
  const R zero = R{} + T(0);
  const T one = T(1), two = T(2), three = T(3);
  const double* row =
      P.tables + c.table + static_cast<long long>(i * (P.steps + 1) + j) * (kTableHeader + 4 * P.table_nx);
  const T u0 = T(row[0]), inv_h = T(row[1]), x_end = T(row[3]), h = T(1.0 / row[1]);
  const R x = log_rel - T(log_km);
  const R z = x * T(1.0 / row[2]), az = vabs(z);
  const R asinh_az = vlog(az + vsqrt(az * az + one));  // asinh(|z|), by symmetry
  const R uz = vselect(vgt(zero, z), zero - asinh_az, asinh_az);
  const R u = vmin(vmax((uz - u0) * inv_h, zero), zero + T(P.table_nx - 1));
  const R k = vmin(vfloor(u), zero + T(P.table_nx - 2));
  const R t = u - k, t2 = t * t, t3 = t2 * t;
  const R h00 = two * t3 - three * t2 + one, h10 = (t3 - two * t2 + t) * h, h01 = three * t2 - two * t3, h11 = (t3 - t2) * h;
  const double* d = row + kTableHeader;
  const R at = T(4) * k;
  ratio = h00 * vgather(d, at) + h10 * vgather(d, at + one) + h01 * vgather(d, at + T(4)) + h11 * vgather(d, at + T(5));
  if constexpr (WantPrice) {
    price = T(strike) * (h00 * vgather(d, at + two) + h10 * vgather(d, at + three) + h01 * vgather(d, at + T(6)) +
                         h11 * vgather(d, at + T(7)));
    const T p_end = T(strike * d[4 * (P.table_nx - 1) + 2]);
    price = vselect(vgt(x, zero + x_end), p_end + (s - T(strike * exp(row[3]))), price);
  }
}

// Option i (quantity 1) at grid date j < its expiry in the cell's model: the call's or put's hedge
// ratio, and its price when WantPrice. A put is the call minus a forward (parity): ratio - 1,
// price - S + K e^{-r tau}.
template <bool WantPrice, class R>
HL_HD void option_model(const PathParams& P, const CellParams& c, int i, int j, R log_rel, R s, R& ratio, R& price) {
  using T = scalar_t<R>;
  const BookEntry& b = P.book[i];
  const int k = i * (P.steps + 1) + j;
  const double tau = (b.expiry_step - j) * P.dt;
  if (c.hedge_model == kHedgeMerton) {
    merton_call<WantPrice>(P, c, tau, b.log_moneyness, b.strike, log_rel, s, ratio, price);
  } else if (c.hedge_model == kHedgeBs) {
    const R d1 = (log_rel - T(b.log_moneyness)) * T(c.inv_vol * P.inv_sqrt_tau[k]) + T(c.d1_coef * P.sqrt_tau[k]);
    ratio = T(0.5) * verfc(d1 * T(-kSqrt1_2));
    if constexpr (WantPrice)
      price = s * ratio - T(b.strike * exp(-P.rate * tau)) *
                              (T(0.5) * verfc((d1 - T(c.hedge_vol * P.sqrt_tau[k])) * T(-kSqrt1_2)));
  } else {
    table_call<WantPrice>(P, c, i, j, b.log_moneyness, b.strike, log_rel, s, ratio, price);
  }
  if (!b.is_call) {
    ratio = ratio - T(1);
    if constexpr (WantPrice) price = price - s + T(b.strike * exp(-P.rate * tau));
  }
}

// The book's hedge ratio at grid date j in the cell's model: -sum_i q_i ratio_i over live options.
template <class R>
HL_HD R book_hedge_model(const PathParams& P, const CellParams& c, int j, R log_rel, R s) {
  using T = scalar_t<R>;
  R h = R{} + T(0), ratio, unused;
  for (int i = 0; i < P.n_book; ++i) {
    if (j >= P.book[i].expiry_step) continue;
    option_model<false>(P, c, i, j, log_rel, s, ratio, unused);
    h -= T(P.book[i].quantity) * ratio;
  }
  return h;
}

// The book's value at grid date j in the cell's model: live options at their model price, an option
// expiring at j at its payoff, earlier ones nothing (their payoff is cash already).
template <class R>
HL_HD R book_value_model(const PathParams& P, const CellParams& c, int j, R log_rel, R s) {
  using T = scalar_t<R>;
  R v = R{} + T(0), ratio, price;
  for (int i = 0; i < P.n_book; ++i) {
    const BookEntry& b = P.book[i];
    if (j > b.expiry_step) continue;
    const T q = T(b.quantity), strike = T(b.strike);
    if (j == b.expiry_step) {
      v += q * (b.is_call ? vpos(s - strike) : vpos(strike - s));
    } else {
      option_model<true>(P, c, i, j, log_rel, s, ratio, price);
      v += q * price;
    }
  }
  return v;
}

}  // namespace hl
