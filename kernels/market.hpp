#pragma once
// The simulated market of one path (or one vector of paths): GBM, Merton and Kou jump-diffusions,
// Heston and a two-state volatility regime, with the gap and volatility-shift overlays. Written once
// over the lane type R; the random source Src gives the diffusion normal of step j (operator()(j),
// stream 0, shared by every model) and pairs of uniforms or normals of the other streams.
#include "kernels/lanes.hpp"
#include "kernels/params.hpp"
#include "kernels/philox.hpp"

namespace hl {

template <class R>
struct MarketState {
  R v;         // heston: the variance
  R regime;    // regime: 0 or 1
  R jumps;     // jumps on the path so far
  R spare_u;   // the second uniform of the current pair (jump counts, regime switches)
  R spare_z;   // the second normal of the current pair (heston's variance)
};

template <class R>
HL_HD void market_init(const PathParams& P, MarketState<R>& m) {
  using T = scalar_t<R>;
  const R zero = R{} + T(0);
  m.v = zero + T(P.hs_v0);
  m.regime = zero;
  m.jumps = zero;
  m.spare_u = m.spare_z = zero;
}

// One uniform (Normal = false) or normal (true) per step from a stream: odd steps draw a pair, even
// steps use its second half.
template <bool Normal, class R, class Src>
HL_HD R step_draw(const Src& src, std::uint32_t stream, int j, R& spare) {
  if (j & 1) {
    R first;
    const std::uint32_t block = static_cast<std::uint32_t>((j - 1) >> 1);
    if constexpr (Normal)
      src.normal_pair(stream, block, first, spare);
    else
      src.uniform_pair(stream, block, first, spare);
    return first;
  }
  return spare;
}

// Andersen (2008), "Simple and efficient simulation of the Heston stochastic volatility model", J.
// Computational Finance 11(3): the quadratic-exponential (QE) step of the variance (psi_c = 1.5) and the
// log-price step with gamma1 = gamma2 = 1/2 and the martingale correction K0* (his eqs. 33-35 and
// section 4.3.2), so that E[S_{t+dt} | S_t, V_t] = S_t e^{mu dt} exactly. The exponential branch's
// uniform is Phi(zv), so one normal drives both branches. Where the correction does not exist (A >=
// 1/(2a) or A >= beta, possible only for rho > 0 and large variance) the uncorrected K0 is used.
template <class R>
HL_HD R heston_step(const PathParams& P, MarketState<R>& m, R log_rel, R z, R zv) {
  using T = scalar_t<R>;
  const R zero = R{} + T(0);
  const T one = T(1), tiny = T(tiny_of<T>());
  const R v = m.v;
  const T theta = T(P.hs_theta);
  const R mean = theta + (v - theta) * T(P.hs_exp);
  const R psi = (v * T(P.hs_c1) + T(P.hs_c2)) / (mean * mean);
  // Quadratic branch: V' = a (b + Zv)^2.
  const R inv = T(2) / psi;
  const R b2 = vmax(inv - one + vsqrt(inv) * vsqrt(vmax(inv - one, zero)), zero);
  const R a = mean / (one + b2);
  const R bz = vsqrt(b2) + zv;
  const R vq = a * bz * bz;
  // Exponential branch: V' = 0 with probability p, else Exp(beta); U = Phi(zv), 1 - U computed directly.
  const R p = (psi - one) / (psi + one);
  const R beta = (one - p) / mean;
  const R one_minus_u = T(0.5) * verfc(zv * T(kSqrt1_2));
  const R ve = vselect(vgt(one_minus_u, one - p), zero, vlog((one - p) / one_minus_u) / beta);
  const auto quad = vgt(zero + T(1.5), psi);
  const R vn = vselect(quad, vq, ve);
  // Martingale correction: K0* = -log E[exp(A V')] - (K1 + K3/2) V, A = K2 + K4/2.
  const T A = T(P.hs_k2 + 0.5 * P.hs_k4);
  const R one_m2aa = one - T(2) * A * a;
  const R mq = vexp(A * b2 * a / vmax(one_m2aa, zero + tiny)) / vsqrt(vmax(one_m2aa, zero + tiny));
  const R me = p + beta * (one - p) / vmax(beta - A, zero + tiny);
  const R k0_corr = -vlog(vselect(quad, mq, me)) - T(P.hs_k1 + 0.5 * P.hs_k3) * v;
  const R exists = vselect(quad, one_m2aa, beta - A);  // > 0 where the correction exists
  const R k0 = vselect(vgt(exists, zero), k0_corr, zero + T(P.hs_k0));
  m.v = vn;
  return log_rel + T(P.hs_drift_dt) + k0 + T(P.hs_k1) * v + T(P.hs_k2) * vn +
         vsqrt(vmax(T(P.hs_k3) * v + T(P.hs_k4) * vn, zero)) * z;
}

// Advances the path's state log_rel = log(S / S0) from grid date t_{j-1} to t_j (j >= 1); the step adds
// increments only, so it is the same from any origin (the tests step log S itself). Returns the state at
// t_j before any jump or gap; jump_log receives the log move of this step's jumps plus the gap, so that
// the state at t_j is result + jump_log (the split that the jump attribution of the P&L uses).
template <class R, class Src>
HL_HD R market_step(const PathParams& P, MarketState<R>& m, Src& src, int j, R log_rel, R& jump_log) {
  using T = scalar_t<R>;
  const R zero = R{} + T(0);
  const bool shifted = P.shift_step >= 0 && j >= P.shift_step;
  jump_log = zero;
  R x;
  if (P.model == kModelHeston) {
    if (j == P.shift_step) m.v = zero + T(P.sh_v);  // a volatility shock: the variance jumps to vol_shift_to^2
    const R zv = step_draw<true>(src, kStreamVariance, j, m.spare_z);
    x = heston_step(P, m, log_rel, src(j), zv);
  } else if (P.model == kModelRegime) {
    // The regime at the start of the step sets its volatility; then the chain moves on.
    const double* dd = shifted ? P.sh_rg_drift_dt : P.rg_drift_dt;
    const double* vv = shifted ? P.sh_rg_vol_sqrt_dt : P.rg_vol_sqrt_dt;
    const auto high = vgt(m.regime, zero + T(0.5));
    x = log_rel + vselect(high, zero + T(dd[1]), zero + T(dd[0])) + vselect(high, zero + T(vv[1]), zero + T(vv[0])) * src(j);
    const R u = step_draw<false>(src, kStreamRegime, j, m.spare_u);
    const R leave = vselect(high, zero + T(P.rg_switch[1]), zero + T(P.rg_switch[0]));
    m.regime = vselect(vgt(leave, u), T(1) - m.regime, m.regime);
  } else {
    x = log_rel + T(shifted ? P.sh_drift_dt : P.drift_dt) + T(shifted ? P.sh_vol_sqrt_dt : P.vol_sqrt_dt) * src(j);
    if (P.jump_kmax > 0) {
      // The number of jumps in (t_{j-1}, t_j]: one uniform against the Poisson CDF, no loop on the count.
      const R u = step_draw<false>(src, kStreamJumpCount, j, m.spare_u);
      R n = zero;
      for (int k = 0; k < P.jump_kmax; ++k) n += vabove(u, T(P.jump_cdf[k]));
      if (vany(vgt(n, zero))) {  // rare: most steps of most paths have no jump
        if (P.model == kModelMerton) {
          // n lognormal jumps: the sum of n N(m, d^2) log jumps is N(n m, n d^2).
          R z0, z1;
          src.normal_pair(kStreamJumpSize, static_cast<std::uint32_t>(j), z0, z1);
          jump_log = n * T(P.jump_mean) + vsqrt(n) * T(P.jump_std) * z0;
        } else {
          // Kou: each jump by inversion of one uniform: up with probability p, then Exp(eta_up), else
          // -Exp(eta_down); the uniform rescaled within its side gives the exponential.
          R u0 = zero, u1 = zero;
          for (int k = 0; k < P.jump_kmax; ++k) {
            const auto live = vgt(n, zero + T(k));
            if (!vany(live)) break;
            if ((k & 1) == 0)
              src.uniform_pair(kStreamJumpSize + 256u * static_cast<std::uint32_t>(k >> 1),
                               static_cast<std::uint32_t>(j), u0, u1);
            const R uk = (k & 1) ? u1 : u0;
            const T p_up = T(P.jump_p_up);
            const auto up = vgt(zero + p_up, uk);
            const R w = vselect(up, uk / p_up, (uk - p_up) / (T(1) - p_up));
            const R e = -vlog(vmax(w, zero + T(tiny_of<T>())));
            jump_log += vselect(live, vselect(up, e * T(P.inv_eta_up), e * T(-P.inv_eta_down)), zero);
          }
        }
        m.jumps += n;
      }
    }
  }
  if (j == P.gap_step) jump_log += T(P.log_gap);
  return x;
}

}  // namespace hl
