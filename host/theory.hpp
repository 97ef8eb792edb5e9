#pragma once
// Closed forms from the hedging-error literature, for the theory columns of a cell: the Leland (1985)
// volatility, the Bertsimas-Kogan-Lo (2000) standard deviation of the discrete-hedging error, and the
// Ahmad-Wilmott (2005) expected P&L of hedging at a volatility other than the realised one.
//
// Conventions shared by every function here:
// - the book is held from t = 0 to the horizon T = max maturity; an option contributes nothing after
//   its own maturity (its payoff is settled then and the cash accrues at r to T);
// - the spot follows GBM with real-world drift mu and volatility sigma, cash earns r (continuous);
// - greeks and premiums are Black-Scholes at the hedge volatility sigma_h;
// - quantity > 0 is a bought option, < 0 a sold one; P&L is the hedger's, positive is profit, valued at T.
// Inputs outside the domain (sigma <= 0, spot <= 0, strike <= 0, maturity <= 0, N < 1, lambda < 0, ...)
// give NaN rather than an exception: a theory column is informative and never aborts a run.
#include <functional>
#include <vector>

namespace hl {

struct TheoryOption {
  bool is_call;
  double strike, maturity, quantity;  // quantity < 0 = sold
};

// Leland (1985), "Option pricing and replication with transactions costs", Journal of Finance 40,
// 1283-1301 (the modified volatility of his revision-interval replication strategy):
//   sigma_L^2 = sigma^2 (1 + sqrt(2/pi) k / (sigma sqrt(dt)))        (short option, i.e. short gamma)
//   sigma_L^2 = sigma^2 (1 - sqrt(2/pi) k / (sigma sqrt(dt)))        (long option, long gamma)
// with k the ROUND-TRIP proportional cost. With the one-way cost lambda (cost = lambda |traded notional|)
// k = 2 lambda, i.e. sqrt(2/pi) k = sqrt(8/pi) lambda (the form in Wilmott's books, with one-way kappa).
// The sign is the book's net gamma sign: short_gamma -> +. NaN if sigma_L^2 <= 0 (Leland's long-position
// formula has no solution then) or on invalid input (sigma <= 0, dt <= 0, lambda < 0).
double leland_volatility(double sigma, double lambda_one_way, double dt, bool short_gamma);

// Bertsimas, Kogan & Lo (2000), "When is time continuous?", J. Financial Economics 55, 173-204: for
// delta hedging at N equally spaced dates the replication error satisfies, as N -> infinity,
//   Var[e_N] ~ (T / (2N)) int_0^T E[ e^{2r(T-t)} (sigma^2 S_t^2 Gamma(S_t, t))^2 ] dt     (value at T)
// (the time step is dt = T/N; each step contributes Var[(Gamma/2) S^2 sigma^2 dt (Z^2 - 1)] =
// (sigma^2 S^2 Gamma)^2 dt^2 / 2). For a book, Gamma = sum_i q_i Gamma_i, so the integrand holds
// E[S^4 Gamma_i Gamma_j] for every pair, each over [0, min(T_i, T_j)]; T is the horizon max_i T_i.
// Gamma_i is at the hedge volatility sigma_h, the sigma^2 (increments) and the law of S_t (GBM(mu,
// sigma)) are the realised ones. With sigma_h != sigma this is the discretisation part of the spread
// only; the O(1) randomness of hedging at the wrong volatility (Ahmad & Wilmott) is not in it.
// E[S^4 Gamma_i Gamma_j] is in closed form (Gaussian integral of two normal densities against the
// normal law of log S_t); the time integral is adaptive composite Gauss-Legendre after the substitution
// t = min(T_i, T_j) - u^2, which removes the 1/sqrt(T_i - t) singularity of the i = j terms.
double bkl_std(const std::vector<TheoryOption>& book, double S0, double r, double mu, double sigma, double sigma_h,
               int N);

// Ahmad & Wilmott (2005), "Which free lunch would you like today, Sir?: Delta hedging, volatility
// arbitrage and optimal portfolios", Wilmott Magazine (2005), 64-79, expected profit when hedging with
// implied volatility: a book bought/sold at the hedge volatility sigma_h and hedged continuously with the
// sigma_h delta while the realised volatility is sigma has the expected present value
//   E[PV] = sum_i q_i (1/2)(sigma^2 - sigma_h^2) int_0^{T_i} e^{-rt} E_mu[S_t^2 Gamma_i(S_t, t; sigma_h)] dt,
//   E_mu[S_t^2 Gamma_i] = K e^{-r(T_i-t)} n(D) / sqrt(sigma^2 t + sigma_h^2 (T_i - t)),
//   D = [ln(S0/K) + (mu - sigma^2/2) t + (r - sigma_h^2/2)(T_i - t)] / sqrt(sigma^2 t + sigma_h^2 (T_i - t)).
// Returned valued at the horizon T = max maturity: e^{rT} E[PV]. With mu = r this equals
// e^{rT} sum_i q_i (V_i(sigma) - V_i(sigma_h)) exactly (Feynman-Kac), which is also the deterministic
// P&L of hedging at the realised volatility (Ahmad & Wilmott, "hedging with actual volatility").
double ahmad_wilmott_mean(const std::vector<TheoryOption>& book, double S0, double r, double mu, double sigma,
                          double sigma_h);

// Building blocks, exposed for the tests.
namespace theory_detail {

// E[exp(c X - (a1 X + b1)^2 / 2 - (a2 X + b2)^2 / 2)] for X ~ N(m, v), v >= 0 (a2 = b2 = 0: one factor).
// Closed form exp(E) / sqrt(1 + v A), A = a1^2 + a2^2, u_k = a_k m + b_k, w = a1 u1 + a2 u2,
// E = c m + [v c^2 - 2 v c w - (u1^2 + u2^2) - v (u1 a2 - u2 a1)^2] / (2 (1 + v A)),
// arranged so that no large terms cancel when the a_k are large (time to maturity -> 0).
double gaussian_moment(double c, double a1, double b1, double a2, double b2, double m, double v);

// E[S_t^2 Gamma(S_t, tau)] for one option (strike K, time to maturity tau > 0 at time t, BS gamma at
// sigma_h and rate r), S_t = S0 exp((mu - sigma^2/2) t + sigma W_t).
double expected_s2_gamma(double S0, double K, double tau, double r, double mu, double sigma, double sigma_h,
                         double t);

// E[S_t^4 Gamma_1(S_t, tau1) Gamma_2(S_t, tau2)] for two options (strikes K1, K2, times to maturity tau1,
// tau2 > 0 at time t), same law of S_t.
double expected_s4_gamma_gamma(double S0, double K1, double tau1, double K2, double tau2, double r, double mu,
                               double sigma, double sigma_h, double t);

// The n-point Gauss-Legendre rule on [-1, 1], for n = 12, 16 or 20 (built once): each root of P_n
// polished by Newton's method from Tricomi's estimate, w_k = 2 / ((1 - x_k^2) P_n'(x_k)^2) (Abramowitz &
// Stegun 22.16.6, 25.4.29).
struct GaussLegendreRule {
  std::vector<double> x, w;
  // Appends the nodes and weights of the rule mapped to [a, b].
  void append(double a, double b, std::vector<double>& nodes, std::vector<double>& weights) const;
};
const GaussLegendreRule& gauss_legendre(int n);

// int_a^b f by adaptive composite Gauss-Legendre (20 nodes a panel, a panel bisected until its two
// halves agree with it to 1e-14 of the whole integral's magnitude; at most 40 levels).
double integrate(const std::function<double(double)>& f, double a, double b);

}  // namespace theory_detail
}  // namespace hl
