#pragma once
// Option prices and hedge ratios under the jump and stochastic-volatility models of the path
// simulator, on the host: the premium and hedge ratios of a hedger who uses a jump model
// (hedge.model = merton | kou | min_variance), the tables the kernels interpolate, and the closed
// forms the tests check the simulated paths against.
//
// Conventions:
// - risk-neutral pricing at the continuously compounded rate r, no dividends; tau = time to maturity;
// - jump-diffusion: log S_T = log S_t + (r - sigma^2/2 - lambda kappa) tau + sigma W_tau + sum_{k<=N} Y_k,
//   N ~ Poisson(lambda tau), kappa = E[e^Y - 1] (compensated: E[S_T] = S_t e^{r tau});
//   merton: Y ~ N(jump_mean, jump_std^2); kou: Y = +Exp(eta_up) with probability p_up, -Exp(eta_down)
//   otherwise (eta_up > 1 so that E[e^Y] is finite);
// - heston: dS/S = r dt + sqrt(v) dW1, dv = kappa (theta - v) dt + xi sqrt(v) dW2, d<W1, W2> = rho dt;
// - prices are per option of quantity 1; a put's hedge ratio is the call's minus 1 (parity holds in
//   every model here, since S e^{-r t} is a martingale).
// Invalid input (tau <= 0 is allowed: intrinsic value) gives NaN rather than an exception.
#include <complex>
#include <vector>

#include "host/theory.hpp"  // TheoryOption

namespace hl {

enum class JumpKind { kNone, kMerton, kKou };

struct JumpParams {
  JumpKind kind = JumpKind::kNone;
  double sigma = 0.0;    // diffusion volatility
  double lambda = 0.0;   // jump intensity, per year
  double jump_mean = 0.0, jump_std = 0.0;                // merton: mean and std of the log jump
  double p_up = 0.5, eta_up = 10.0, eta_down = 10.0;     // kou
};

struct HestonParams {
  double kappa = 0.0, theta = 0.0, xi = 0.0, rho = 0.0, v0 = 0.0;
};

// kappa = E[e^Y] - 1: merton exp(m + d^2/2) - 1; kou p eta1/(eta1 - 1) + (1 - p) eta2/(eta2 + 1) - 1.
double jump_kappa(const JumpParams& j);
// E[Y^k]-free helpers for the min-variance ratio: int nu(dy) (e^y - 1)^2 = lambda E[(e^Y - 1)^2].
double jump_second_moment(const JumpParams& j);

// Characteristic function of X = log(S_T / S_t) under the risk-neutral measure: E[exp(i u X)], u complex
// (the price formulas evaluate it at u - i).
std::complex<double> jump_cf(const JumpParams& j, std::complex<double> u, double r, double tau);
std::complex<double> heston_cf(const HestonParams& h, std::complex<double> u, double r, double tau);

struct PriceDelta {
  double price = 0.0, delta = 0.0;
};

// Merton (1976), "Option pricing when underlying stock returns are discontinuous", the series
//   C = sum_n e^{-lambda' tau} (lambda' tau)^n / n! BS(S, K, tau, sigma_n, r_n),
//   lambda' = lambda (1 + kappa), sigma_n^2 = sigma^2 + n d^2 / tau, r_n = r - lambda kappa + n log(1 + kappa) / tau,
// summed until the Poisson tail is below 1e-14; delta = sum_n w_n N(d1_n).
PriceDelta merton_price(bool is_call, double S, double K, double r, double tau, const JumpParams& j);

// Any jump model (and kNone = Black-Scholes) by Fourier inversion (Gil-Pelaez):
//   C = S P1 - K e^{-r tau} P2, delta_call = P1,
//   P1 = 1/2 + 1/pi int_0^inf Re[ e^{-i u k} phi(u - i) / (i u phi(-i)) ] du,
//   P2 = 1/2 + 1/pi int_0^inf Re[ e^{-i u k} phi(u) / (i u) ] du,  k = log(K / S).
PriceDelta fourier_price(bool is_call, double S, double K, double r, double tau, const JumpParams& j);

// merton -> merton_price, kou -> fourier_price, none -> Black-Scholes at sigma.
PriceDelta jump_price(bool is_call, double S, double K, double r, double tau, const JumpParams& j);

// Heston (1993) price by the same inversion, with the characteristic function in the form of Albrecher,
// Mayer, Schoutens & Tistaert (2007), "The little Heston trap", which has no branch-cut discontinuity.
double heston_price(bool is_call, double S, double K, double r, double tau, const HestonParams& h);

// The minimum-variance (local risk-minimising) hedge ratio under jumps, Cont & Tankov (2004),
// "Financial modelling with jump processes", sec. 10.4:
//   phi = [sigma^2 dC/dS + (1/S) int nu(dy) (e^y - 1)(C(S e^y) - C(S))] / [sigma^2 + int nu(dy) (e^y - 1)^2],
// C the model price (merton or kou). With no jumps it is the Black-Scholes delta.
double min_variance_ratio(bool is_call, double S, double K, double r, double tau, const JumpParams& j);

// The same quantities on a grid of log-moneyness x = log(S / K) at one time to maturity, much faster
// than point by point (the characteristic function is evaluated once per quadrature node). For a call
// (the put's ratio is the call's minus 1; its price follows by parity). Outputs have x.size() entries:
//   ratio = delta (what = kDelta) or the min-variance ratio (kMinVariance), dratio = d ratio / dx,
//   price = C / K, dprice = d(C / K) / dx = e^x delta.
enum class GridRatio { kDelta, kMinVariance };
void call_grid(const JumpParams& j, double r, double tau, GridRatio what, const std::vector<double>& x,
               std::vector<double>& ratio, std::vector<double>& dratio, std::vector<double>& price,
               std::vector<double>& dprice);

// The variance of the P&L at T of an option book hedged continuously with the model's own delta in a
// Merton market (drift = r), from the Ito isometry for the compensated jump measure:
//   Var = int_0^T e^{2 r (T - t)} E[ lambda int f(y) (V(t, S_t e^y) - V(t, S_t) - V_S(t, S_t) S_t (e^y - 1))^2 dy ] dt,
// V = sum_i q_i C_i the book's Merton value; the expectation over S_t under the Merton law.
double merton_hedge_variance(const std::vector<TheoryOption>& book, double S0, double r, const JumpParams& j);

}  // namespace hl
