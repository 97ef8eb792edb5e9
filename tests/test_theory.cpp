#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <random>
#include <vector>

#include "host/theory.hpp"
#include "kernels/black_scholes.hpp"

using namespace hl;

namespace {

constexpr double kPi = 3.14159265358979323846;

double rel_err(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-300); }

// Composite Simpson on [a, b] with n (even) intervals: an independent quadrature for the checks.
double simpson(const std::function<double(double)>& f, double a, double b, int n) {
  const double h = (b - a) / n;
  double s = f(a) + f(b);
  for (int i = 1; i < n; ++i) s += (i % 2 ? 4.0 : 2.0) * f(a + i * h);
  return s * h / 3.0;
}

// E[g(S_t)] for S_t = S0 exp((mu - sigma^2/2) t + sigma sqrt(t) Z) by Simpson over z in [-12, 12].
double lognormal_expectation(const std::function<double(double)>& g, double S0, double mu, double sigma, double t,
                             int n = 40000) {
  const double m = std::log(S0) + (mu - 0.5 * sigma * sigma) * t, s = sigma * std::sqrt(t);
  return simpson([&](double z) { return g(std::exp(m + s * z)) * norm_pdf(z); }, -12.0, 12.0, n);
}

double gamma_at(double S, double K, double tau, double r, double sigma_h) {
  return bs_greeks(true, S, K, r, sigma_h, tau).gamma;
}

// Ahmad & Wilmott's published closed form of E_mu[S_t^2 Gamma(S_t, t; sigma_h)] for an option maturing
// at t + tau: K e^{-r tau} n(D) / sqrt(sigma^2 t + sigma_h^2 tau).
double aw_published(double S0, double K, double tau, double r, double mu, double sigma, double sigma_h, double t) {
  const double s2 = sigma * sigma * t + sigma_h * sigma_h * tau;
  const double D =
      (std::log(S0 / K) + (mu - 0.5 * sigma * sigma) * t + (r - 0.5 * sigma_h * sigma_h) * tau) / std::sqrt(s2);
  return K * std::exp(-r * tau) * norm_pdf(D) / std::sqrt(s2);
}

// Standard normals from mt19937_64 (bit-exact on every platform) by Box-Muller.
struct Normals {
  std::mt19937_64 g;
  double spare = 0.0;
  bool have = false;
  explicit Normals(std::uint64_t seed) : g(seed) {}
  double uniform() { return (static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53; }
  double operator()() {
    if (have) {
      have = false;
      return spare;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform())), a = 2.0 * kPi * uniform();
    spare = r * std::sin(a);
    have = true;
    return r * std::cos(a);
  }
};

struct McResult {
  double mean, std;
};

// The book traded at sigma_h (q > 0 pays the premium), delta-hedged with the sigma_h delta at t_k = kT/N,
// k = 0..N-1, cash at r, spot GBM(mu, sigma); P&L valued at T (single maturity T).
McResult mc_hedge(const std::vector<TheoryOption>& book, double S0, double r, double mu, double sigma,
                  double sigma_h, int N, int paths, std::uint64_t seed) {
  const double T = book.front().maturity, dt = T / N, growth = std::exp(r * dt);
  const double drift = (mu - 0.5 * sigma * sigma) * dt, vol = sigma * std::sqrt(dt);
  double premium = 0.0;
  for (const TheoryOption& o : book) premium += o.quantity * bs_price(o.is_call, S0, o.strike, r, sigma_h, T);
  Normals z(seed);
  double s1 = 0.0, s2 = 0.0;
  for (int p = 0; p < paths; ++p) {
    double S = S0, cash = -premium, shares = 0.0;
    for (int k = 0; k < N; ++k) {
      double book_delta = 0.0;
      for (const TheoryOption& o : book)
        book_delta += o.quantity * bs_greeks(o.is_call, S, o.strike, r, sigma_h, T - k * dt).delta;
      cash -= (-book_delta - shares) * S;
      shares = -book_delta;
      S *= std::exp(drift + vol * z());
      cash *= growth;
    }
    double pnl = cash + shares * S;
    for (const TheoryOption& o : book) pnl += o.quantity * payoff(o.is_call, S, o.strike);
    s1 += pnl;
    s2 += pnl * pnl;
  }
  const double mean = s1 / paths;
  return {mean, std::sqrt((s2 / paths - mean * mean) * paths / (paths - 1.0))};
}

}  // namespace

TEST_CASE("theory: leland volatility against a hand computation") {
  // sigma = 0.2, one-way lambda = 0.001 (round trip k = 0.002), daily revision dt = 1/252:
  // Le = sqrt(2/pi) k / (sigma sqrt(dt)) = 0.7978845608 * 0.002 / (0.2 * 0.0629940788) = 0.1266602474,
  // sigma_L = 0.2 sqrt(1.1266602474) = 0.2122885063 (short), 0.2 sqrt(0.8733397526) = 0.1869052972 (long).
  CHECK(leland_volatility(0.2, 0.001, 1.0 / 252, true) == doctest::Approx(0.2122885063).epsilon(1e-9));
  CHECK(leland_volatility(0.2, 0.001, 1.0 / 252, false) == doctest::Approx(0.1869052972).epsilon(1e-9));
  // sigma_L^2 - sigma^2 is linear in lambda and in 1/sqrt(dt), with opposite signs for the two positions.
  const double up = std::pow(leland_volatility(0.3, 0.002, 0.01, true), 2) - 0.09;
  const double dn = std::pow(leland_volatility(0.3, 0.002, 0.01, false), 2) - 0.09;
  CHECK(up == doctest::Approx(-dn).epsilon(1e-12));
  CHECK(std::pow(leland_volatility(0.3, 0.004, 0.01, true), 2) - 0.09 == doctest::Approx(2 * up).epsilon(1e-12));
  CHECK(std::pow(leland_volatility(0.3, 0.002, 0.0025, true), 2) - 0.09 == doctest::Approx(2 * up).epsilon(1e-12));
  CHECK(leland_volatility(0.25, 0.0, 0.01, false) == doctest::Approx(0.25).epsilon(1e-15));
  // NaN where sigma_L^2 <= 0: long gamma with Le >= 1 (here Le = 1.0053 and 1.596).
  const double lambda_one = 0.2 * std::sqrt(0.01) / std::sqrt(8.0 / kPi);  // Le = 1 exactly
  CHECK(std::isnan(leland_volatility(0.2, 1.0053 * lambda_one, 0.01, false)));
  CHECK(std::isnan(leland_volatility(0.2, 1.596 * lambda_one, 0.01, false)));
  CHECK(std::isfinite(leland_volatility(0.2, 0.99 * lambda_one, 0.01, false)));
  CHECK(std::isfinite(leland_volatility(0.2, 1.596 * lambda_one, 0.01, true)));
  // Invalid input.
  CHECK(std::isnan(leland_volatility(0.0, 0.001, 0.01, true)));
  CHECK(std::isnan(leland_volatility(0.2, -0.001, 0.01, true)));
  CHECK(std::isnan(leland_volatility(0.2, 0.001, 0.0, true)));
}

TEST_CASE("theory: leland volatility on the Wilmott forum example (one-way vs round-trip cost)") {
  // forum.wilmott.com, t=95276 (2013): sigma = 20%, dt = 1/365, k = 1%. With Wilmott's sqrt(8/pi) form
  // (k one-way) the long-position variance is negative ("infeasible"); Leland's original sqrt(2/pi) form
  // (k round trip) is not: Le = 0.7621781565, sigma_L = 0.2 sqrt(1 - Le) = 0.0975339620.
  CHECK(std::isnan(leland_volatility(0.2, 0.01, 1.0 / 365, false)));  // one-way 1%: Le = 1.524
  CHECK(leland_volatility(0.2, 0.005, 1.0 / 365, false) == doctest::Approx(0.0975339620).epsilon(1e-9));
}

TEST_CASE("theory: gaussian moment against brute-force integration") {
  struct P {
    double c, a1, b1, a2, b2, m, v;
  };
  for (const P& p : {P{0.0, 1.3, -0.4, 0.0, 0.0, 0.2, 0.09}, P{1.0, 2.0, -9.0, 0.0, 0.0, 4.6, 0.04},
                     P{2.0, 3.0, -13.5, 5.0, -23.1, 4.6, 0.02}, P{1.0, 30.0, -138.0, 0.0, 0.0, 4.6, 0.05},
                     P{0.5, -0.7, 0.3, 1.1, 0.2, -0.3, 0.5}, P{2.0, 1.0, -4.0, 2.0, -9.0, 4.5, 0.0}}) {
    const double brute =
        p.v == 0.0
            ? std::exp(p.c * p.m - 0.5 * std::pow(p.a1 * p.m + p.b1, 2) - 0.5 * std::pow(p.a2 * p.m + p.b2, 2))
            : simpson(
                  [&](double z) {
                    const double x = p.m + std::sqrt(p.v) * z;
                    return std::exp(p.c * x - 0.5 * std::pow(p.a1 * x + p.b1, 2) - 0.5 * std::pow(p.a2 * x + p.b2, 2)) *
                           norm_pdf(z);
                  },
                  -14.0, 14.0, 200000);
    CHECK(rel_err(theory_detail::gaussian_moment(p.c, p.a1, p.b1, p.a2, p.b2, p.m, p.v), brute) < 1e-9);
  }
}

TEST_CASE("theory: E[S^2 Gamma] closed form against the lognormal integral and Ahmad-Wilmott's form") {
  const double S0 = 100, r = 0.04, sigma = 0.3, sigma_h = 0.2;
  struct P {
    double K, tau, mu, t;
  };
  for (const P& p : {P{100, 0.5, 0.04, 0.25}, P{90, 0.1, 0.15, 0.8}, P{120, 1.0, -0.05, 0.5},
                     P{100, 0.02, 0.1, 0.3}, P{80, 0.25, 0.0, 0.0}}) {
    const double closed = theory_detail::expected_s2_gamma(S0, p.K, p.tau, r, p.mu, sigma, sigma_h, p.t);
    const double brute =
        p.t == 0.0 ? S0 * S0 * gamma_at(S0, p.K, p.tau, r, sigma_h)
                   : lognormal_expectation([&](double S) { return S * S * gamma_at(S, p.K, p.tau, r, sigma_h); }, S0,
                                           p.mu, sigma, p.t);
    CHECK(rel_err(closed, brute) < 1e-8);
    CHECK(rel_err(closed, aw_published(S0, p.K, p.tau, r, p.mu, sigma, sigma_h, p.t)) < 1e-12);
    // The same expectation through S n(d1), i.e. E[e^X n(aX + b)] with c = 1 in the Gaussian moment.
    const double a = 1.0 / (sigma_h * std::sqrt(p.tau));
    const double b = (-std::log(p.K) + (r + 0.5 * sigma_h * sigma_h) * p.tau) * a;
    const double m = std::log(S0) + (p.mu - 0.5 * sigma * sigma) * p.t;
    const double via_d1 =
        a * kInvSqrt2Pi * theory_detail::gaussian_moment(1.0, a, b, 0.0, 0.0, m, sigma * sigma * p.t);
    CHECK(rel_err(via_d1, closed) < 1e-12);
  }
}

TEST_CASE("theory: E[S^4 Gamma_i Gamma_j] closed form against brute-force integration") {
  const double S0 = 100, r = 0.03;
  struct P {
    double K1, tau1, K2, tau2, mu, sigma, sigma_h, t;
  };
  for (const P& p : {P{100, 0.5, 100, 0.5, 0.03, 0.2, 0.2, 0.25}, P{95, 0.05, 95, 0.05, 0.1, 0.25, 0.3, 0.4},
                     P{90, 0.3, 115, 0.8, -0.02, 0.3, 0.2, 0.6}, P{100, 0.02, 110, 1.5, 0.2, 0.15, 0.25, 1.0},
                     P{105, 0.4, 85, 0.1, 0.05, 0.2, 0.2, 0.0}}) {
    const double closed = theory_detail::expected_s4_gamma_gamma(S0, p.K1, p.tau1, p.K2, p.tau2, r, p.mu, p.sigma,
                                                                 p.sigma_h, p.t);
    auto g = [&](double S) {
      return std::pow(S, 4) * gamma_at(S, p.K1, p.tau1, r, p.sigma_h) * gamma_at(S, p.K2, p.tau2, r, p.sigma_h);
    };
    const double brute = p.t == 0.0 ? g(S0) : lognormal_expectation(g, S0, p.mu, p.sigma, p.t, 200000);
    CHECK(rel_err(closed, brute) < 1e-8);
  }
}

TEST_CASE("theory: ahmad-wilmott mean with mu = r is the Black-Scholes price difference (Feynman-Kac)") {
  const double S0 = 100;
  for (double r : {0.0, 0.05})
    for (bool call : {true, false})
      for (double K : {80.0, 100.0, 125.0})
        for (double sigma : {0.1, 0.3})
          for (double sigma_h : {0.15, 0.45}) {
            const std::vector<TheoryOption> book{{call, K, 0.75, -2.0}};
            const double expected = std::exp(r * 0.75) * -2.0 *
                                    (bs_price(call, S0, K, r, sigma, 0.75) - bs_price(call, S0, K, r, sigma_h, 0.75));
            CHECK(rel_err(ahmad_wilmott_mean(book, S0, r, r, sigma, sigma_h), expected) < 1e-8);
          }
  // A book of several maturities, valued at the horizon 2.0.
  const std::vector<TheoryOption> book{{true, 100, 0.25, 1.0}, {false, 90, 2.0, -3.0}, {true, 130, 1.0, 2.0}};
  const double r = 0.03, sigma = 0.25, sigma_h = 0.18;
  double expected = 0.0;
  for (const TheoryOption& o : book)
    expected += o.quantity * (bs_price(o.is_call, S0, o.strike, r, sigma, o.maturity) -
                              bs_price(o.is_call, S0, o.strike, r, sigma_h, o.maturity));
  expected *= std::exp(r * 2.0);
  CHECK(rel_err(ahmad_wilmott_mean(book, S0, r, r, sigma, sigma_h), expected) < 1e-8);
  // No misspecification, no expected P&L; an empty book has none either.
  CHECK(ahmad_wilmott_mean(book, S0, r, 0.1, 0.2, 0.2) == 0.0);
  CHECK(ahmad_wilmott_mean({}, S0, r, 0.1, 0.3, 0.2) == 0.0);
  CHECK(std::isnan(ahmad_wilmott_mean(book, S0, r, r, 0.0, 0.2)));
  CHECK(std::isnan(ahmad_wilmott_mean({{true, 100, 0.0, 1.0}}, S0, r, r, 0.3, 0.2)));
}

TEST_CASE("theory: ahmad-wilmott mean with drift against an independent quadrature of the published form") {
  const double S0 = 100, r = 0.02, sigma = 0.35, sigma_h = 0.2;
  const std::vector<TheoryOption> book{{true, 110, 1.0, 1.0}, {false, 95, 0.5, -1.5}};
  for (double mu : {-0.1, 0.02, 0.15, 0.4}) {
    double pv = 0.0;
    for (const TheoryOption& o : book)
      pv += o.quantity * 0.5 * (sigma * sigma - sigma_h * sigma_h) *
            simpson(
                [&](double t) {
                  return std::exp(-r * t) * aw_published(S0, o.strike, o.maturity - t, r, mu, sigma, sigma_h, t);
                },
                0.0, o.maturity, 4000);
    CHECK(rel_err(ahmad_wilmott_mean(book, S0, r, mu, sigma, sigma_h), std::exp(r * 1.0) * pv) < 1e-10);
  }
  // The drift matters: an out-of-the-money call earns its gamma P&L where its gamma is, so a spot that
  // drifts up towards the strike earns more than one that drifts at r.
  const std::vector<TheoryOption> call{{true, 120, 1.0, 1.0}};
  CHECK(ahmad_wilmott_mean(call, S0, r, 0.3, sigma, sigma_h) >
        1.2 * ahmad_wilmott_mean(call, S0, r, r, sigma, sigma_h));
}

TEST_CASE("theory: ahmad-wilmott mean against a Monte Carlo of finely hedged paths") {
  // Long OTM call bought at sigma_h = 0.2 while sigma = 0.35, strong drift mu = 0.3: E[P&L] at T.
  const std::vector<TheoryOption> book{{true, 115, 0.5, 1.0}};
  const double S0 = 100, r = 0.01, mu = 0.3, sigma = 0.35, sigma_h = 0.2;
  const int paths = 6000;
  const McResult mc = mc_hedge(book, S0, r, mu, sigma, sigma_h, 250, paths, 20240611);
  const double aw = ahmad_wilmott_mean(book, S0, r, mu, sigma, sigma_h);
  const double aw_r = ahmad_wilmott_mean(book, S0, r, r, sigma, sigma_h);
  const double se = mc.std / std::sqrt(paths);
  MESSAGE("AW mean ", aw, " (", aw_r, " at mu = r), MC mean ", mc.mean, " +- ", se);
  CHECK(std::fabs(mc.mean - aw) < 4.0 * se + 0.01 * std::fabs(aw));
  CHECK(std::fabs(aw - aw_r) > 8.0 * se);  // the test can tell the drift's effect apart
}

TEST_CASE("theory: bkl std against Derman-Kamal for the at-the-money one-month call") {
  // S = K = 100, r = 0.05, sigma = 0.2, T = 1/12 (QuantLib's DiscreteHedging example): Derman & Kamal's
  // sqrt(pi/4) vega sigma / sqrt(N) is the small-T limit of the BKL integral; BKL / DK = 1.0045 here.
  const double S0 = 100, K = 100, r = 0.05, sigma = 0.2, T = 1.0 / 12;
  const std::vector<TheoryOption> book{{true, K, T, -1.0}};
  const double vega = bs_greeks(true, S0, K, r, sigma, T).vega;
  for (int N : {21, 84, 336}) {
    const double dk = std::sqrt(kPi / 4.0) * vega * sigma / std::sqrt(N);
    const double bkl = bkl_std(book, S0, r, r, sigma, sigma, N);
    MESSAGE("N = ", N, ": BKL ", bkl, ", Derman-Kamal ", dk, ", ratio ", bkl / dk);
    CHECK(bkl / dk > 1.0);
    CHECK(bkl / dk < 1.01);
  }
  // Exactly proportional to 1/sqrt(N).
  const double s1 = bkl_std(book, S0, r, r, sigma, sigma, 1);
  for (int N : {2, 7, 21, 1000})
    CHECK(bkl_std(book, S0, r, r, sigma, sigma, N) * std::sqrt(N) == doctest::Approx(s1).epsilon(1e-13));
  // Sold or bought, the spread is the same; twice the book, twice the spread.
  CHECK(bkl_std({{true, K, T, 1.0}}, S0, r, r, sigma, sigma, 21) ==
        doctest::Approx(s1 / std::sqrt(21)).epsilon(1e-13));
  CHECK(bkl_std({{true, K, T, -2.0}}, S0, r, r, sigma, sigma, 21) ==
        doctest::Approx(2 * s1 / std::sqrt(21)).epsilon(1e-13));
}

TEST_CASE("theory: bkl std reproduces QuantLib's DiscreteHedging standard deviation at 84 rebalances") {
  // QuantLib's DiscreteHedging example (the Derman-Kamal setting above, drift = r) prints a P&L standard
  // deviation of 0.22 for 84 rebalances. (At 21 it prints 0.43, where the asymptotic formula, 0.445, is
  // still 4% high: the O(N^-1/2) correction of the last steps before expiry.)
  const std::vector<TheoryOption> book{{true, 100, 1.0 / 12, -1.0}};
  const double bkl = bkl_std(book, 100, 0.05, 0.05, 0.2, 0.2, 84);
  CHECK(std::fabs(bkl - 0.22) < 0.005);
}

TEST_CASE("theory: bkl std book assembly and time integral") {
  const double S0 = 100, r = 0.04, mu = 0.09, sigma = 0.25, sigma_h = 0.3;
  // A call and a put of the same strike and maturity have the same gamma: bought one, sold the other,
  // the book has no gamma and no discretisation error; both bought, twice one's.
  const double one = bkl_std({{true, 105, 0.6, 1.0}}, S0, r, mu, sigma, sigma_h, 50);
  CHECK(bkl_std({{true, 105, 0.6, 1.0}, {false, 105, 0.6, -1.0}}, S0, r, mu, sigma, sigma_h, 50) < 1e-6 * one);
  CHECK(bkl_std({{true, 105, 0.6, 1.0}, {false, 105, 0.6, 1.0}}, S0, r, mu, sigma, sigma_h, 50) ==
        doctest::Approx(2 * one).epsilon(1e-12));
  CHECK(bkl_std({}, S0, r, mu, sigma, sigma_h, 50) == 0.0);
  CHECK(std::isnan(bkl_std({{true, 105, 0.6, 1.0}}, S0, r, mu, sigma, sigma_h, 0)));
  CHECK(std::isnan(bkl_std({{true, -1.0, 0.6, 1.0}}, S0, r, mu, sigma, sigma_h, 10)));

  // Two maturities: the variance rebuilt with Simpson over t = T_ij - u^2 for each pair, horizon T = 1.2.
  const std::vector<TheoryOption> book{{true, 100, 0.4, -1.0}, {false, 90, 1.2, 2.0}, {true, 120, 1.2, 1.0}};
  const double T = 1.2;
  const int N = 60;
  double sum = 0.0;
  for (const TheoryOption& a : book)
    for (const TheoryOption& b : book) {
      const double Tab = std::min(a.maturity, b.maturity);
      sum += a.quantity * b.quantity *
             simpson(
                 [&](double u) {
                   if (u == 0.0) u = 1e-9;  // the integrand has a finite limit there
                   const double t = Tab - u * u;
                   return 2 * u * std::exp(2 * r * (T - t)) *
                          theory_detail::expected_s4_gamma_gamma(S0, a.strike, a.maturity - Tab + u * u, b.strike,
                                                                 b.maturity - Tab + u * u, r, mu, sigma, sigma_h, t);
                 },
                 0.0, std::sqrt(Tab), 20000);
    }
  const double expected = std::sqrt(T / (2.0 * N) * std::pow(sigma, 4) * sum);
  CHECK(rel_err(bkl_std(book, S0, r, mu, sigma, sigma_h, N), expected) < 1e-7);
}

TEST_CASE("theory: bkl std against a Monte Carlo of discrete delta hedging") {
  // One sold OTM call and one bought put, hedged 256 times, real-world drift 0.12 != r: the simulated
  // standard deviation is within a few percent of BKL (it converges to it as N grows; about 0.99 here).
  const std::vector<TheoryOption> book{{true, 105, 0.25, -1.0}, {false, 92, 0.25, 0.5}};
  const double S0 = 100, r = 0.03, mu = 0.12, sigma = 0.25;
  const int paths = 12000;
  const McResult mc = mc_hedge(book, S0, r, mu, sigma, sigma, 256, paths, 77);
  const double bkl = bkl_std(book, S0, r, mu, sigma, sigma, 256);
  MESSAGE("BKL ", bkl, ", MC ", mc.std, " (ratio ", mc.std / bkl, "), MC mean ", mc.mean);
  CHECK(mc.std / bkl > 0.95);
  CHECK(mc.std / bkl < 1.03);
}
