#include "host/theory.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "kernels/black_scholes.hpp"

namespace hl {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

constexpr int kNodes = 20;

double panel(const std::function<double(double)>& f, double a, double b) {
  const auto& g = theory_detail::gauss_legendre(kNodes);
  const double mid = 0.5 * (a + b), half = 0.5 * (b - a);
  double s = 0.0;
  for (int i = 0; i < kNodes; ++i) s += g.w[i] * f(mid + half * g.x[i]);
  return s * half;
}

struct Adaptive {
  const std::function<double(double)>& f;
  double tol;
  long budget;  // panels left to evaluate: a bound on the work for a pathological integrand

  double run(double a, double b, double whole, int depth) {
    const double m = 0.5 * (a + b);
    const double left = panel(f, a, m), right = panel(f, m, b);
    budget -= 2;
    const double both = left + right;
    if (!std::isfinite(both)) return kNaN;
    if (std::fabs(both - whole) <= tol || depth >= 40 || budget <= 0) return both;
    return run(a, m, left, depth + 1) + run(m, b, right, depth + 1);
  }
};

bool valid_market(double S0, double sigma, double sigma_h) {
  return S0 > 0.0 && sigma > 0.0 && sigma_h > 0.0 && std::isfinite(S0) && std::isfinite(sigma) &&
         std::isfinite(sigma_h);
}

// Validates the book and returns the horizon max_i T_i (0 for an empty book, NaN for a bad option).
double horizon(const std::vector<TheoryOption>& book) {
  double T = 0.0;
  for (const TheoryOption& o : book) {
    if (!(o.strike > 0.0) || !(o.maturity > 0.0) || !std::isfinite(o.strike) || !std::isfinite(o.maturity) ||
        !std::isfinite(o.quantity))
      return kNaN;
    T = std::max(T, o.maturity);
  }
  return T;
}

}  // namespace

namespace theory_detail {

namespace {
// (P_n(x), P_n'(x)) by Bonnet's recurrence (k + 1) P_{k+1} = (2k + 1) x P_k - k P_{k-1} and
// P_n' = n (x P_n - P_{n-1}) / (x^2 - 1).
std::pair<double, double> legendre(int n, double x) {
  double prev = 1.0, cur = x;
  for (int k = 1; k < n; ++k) {
    const double next = ((2.0 * k + 1.0) * x * cur - k * prev) / (k + 1.0);
    prev = cur;
    cur = next;
  }
  return {cur, n * (x * cur - prev) / (x * x - 1.0)};
}

GaussLegendreRule make_rule(int n) {
  GaussLegendreRule r{std::vector<double>(n), std::vector<double>(n)};
  const double nn = n;
  for (int k = 1; k <= n; ++k) {
    double x = (1.0 - 1.0 / (8.0 * nn * nn) + 1.0 / (8.0 * nn * nn * nn)) *
               std::cos(kPi * (4.0 * k - 1.0) / (4.0 * nn + 2.0));
    for (int it = 0; it < 30; ++it) {
      const auto [p, dp] = legendre(n, x);
      const double step = p / dp;
      x -= step;
      if (std::fabs(step) < 1e-15) break;
    }
    const double dp = legendre(n, x).second;
    r.x[k - 1] = x;
    r.w[k - 1] = 2.0 / ((1.0 - x * x) * dp * dp);
  }
  return r;
}
}  // namespace

void GaussLegendreRule::append(double a, double b, std::vector<double>& nodes, std::vector<double>& weights) const {
  const double c = 0.5 * (a + b), h = 0.5 * (b - a);
  for (std::size_t i = 0; i < x.size(); ++i) {
    nodes.push_back(c + h * x[i]);
    weights.push_back(h * w[i]);
  }
}

const GaussLegendreRule& gauss_legendre(int n) {
  static const GaussLegendreRule r12 = make_rule(12), r16 = make_rule(16), r20 = make_rule(20);
  switch (n) {
    case 12: return r12;
    case 16: return r16;
    case 20: return r20;
    default: throw std::logic_error("gauss_legendre: no rule of " + std::to_string(n) + " nodes");
  }
}

double gaussian_moment(double c, double a1, double b1, double a2, double b2, double m, double v) {
  // X = m + sqrt(v) Z: the exponent is quadratic in Z, and E[exp(l Z - alpha Z^2 / 2)] =
  // exp(l^2 / (2 (1 + alpha))) / sqrt(1 + alpha) with alpha = v A, l = sqrt(v) (c - w).
  // c m - U/2 + v (c - w)^2 / (2 (1 + v A)) is rearranged with U A - w^2 = (u1 a2 - u2 a1)^2
  // (Lagrange's identity) and u1 a2 - u2 a1 = b1 a2 - b2 a1.
  const double u1 = a1 * m + b1, u2 = a2 * m + b2;
  const double A = a1 * a1 + a2 * a2, w = a1 * u1 + a2 * u2, U = u1 * u1 + u2 * u2;
  const double cross = b1 * a2 - b2 * a1;
  const double den = 1.0 + v * A;
  const double e = c * m + (v * c * c - 2.0 * v * c * w - U - v * cross * cross) / (2.0 * den);
  return std::exp(e) / std::sqrt(den);
}

// S^2 Gamma(S, tau) = S n(d1) / (sigma_h sqrt(tau)) = K e^{-r tau} n(d2) / (sigma_h sqrt(tau)) (the
// identity S n(d1) = K e^{-r tau} n(d2)), d2 = a ln S + b with a = 1 / (sigma_h sqrt(tau)),
// b = (-ln K + (r - sigma_h^2 / 2) tau) a, and ln S_t ~ N(ln S0 + (mu - sigma^2 / 2) t, sigma^2 t).
double expected_s2_gamma(double S0, double K, double tau, double r, double mu, double sigma, double sigma_h,
                         double t) {
  const double a = 1.0 / (sigma_h * std::sqrt(tau));
  const double b = (-std::log(K) + (r - 0.5 * sigma_h * sigma_h) * tau) * a;
  const double m = std::log(S0) + (mu - 0.5 * sigma * sigma) * t, v = sigma * sigma * t;
  return K * std::exp(-r * tau) * a * kInvSqrt2Pi * gaussian_moment(0.0, a, b, 0.0, 0.0, m, v);
}

double expected_s4_gamma_gamma(double S0, double K1, double tau1, double K2, double tau2, double r, double mu,
                               double sigma, double sigma_h, double t) {
  const double a1 = 1.0 / (sigma_h * std::sqrt(tau1)), a2 = 1.0 / (sigma_h * std::sqrt(tau2));
  const double b1 = (-std::log(K1) + (r - 0.5 * sigma_h * sigma_h) * tau1) * a1;
  const double b2 = (-std::log(K2) + (r - 0.5 * sigma_h * sigma_h) * tau2) * a2;
  const double m = std::log(S0) + (mu - 0.5 * sigma * sigma) * t, v = sigma * sigma * t;
  return K1 * K2 * std::exp(-r * (tau1 + tau2)) * a1 * a2 / kTwoPi * gaussian_moment(0.0, a1, b1, a2, b2, m, v);
}

double integrate(const std::function<double(double)>& f, double a, double b) {
  if (!(b > a)) return 0.0;
  // 16 equal panels first; their absolute sum sets the scale of the tolerance.
  constexpr int kPanels = 16;
  std::array<double, kPanels> est{};
  double scale = 0.0;
  const double h = (b - a) / kPanels;
  for (int k = 0; k < kPanels; ++k) {
    est[k] = panel(f, a + k * h, k + 1 == kPanels ? b : a + (k + 1) * h);
    if (!std::isfinite(est[k])) return kNaN;
    scale += std::fabs(est[k]);
  }
  Adaptive ad{f, 1e-14 * scale, 200000};
  double s = 0.0;
  for (int k = 0; k < kPanels; ++k) s += ad.run(a + k * h, k + 1 == kPanels ? b : a + (k + 1) * h, est[k], 0);
  return s;
}

}  // namespace theory_detail

double leland_volatility(double sigma, double lambda_one_way, double dt, bool short_gamma) {
  if (!(sigma > 0.0) || !(dt > 0.0) || !(lambda_one_way >= 0.0) || !std::isfinite(sigma) || !std::isfinite(dt) ||
      !std::isfinite(lambda_one_way))
    return kNaN;
  const double k = 2.0 * lambda_one_way;  // Leland's k is the round-trip cost
  const double le = std::sqrt(2.0 / kPi) * k / (sigma * std::sqrt(dt));
  const double var = sigma * sigma * (1.0 + (short_gamma ? le : -le));
  return var > 0.0 ? std::sqrt(var) : kNaN;
}

double bkl_std(const std::vector<TheoryOption>& book, double S0, double r, double mu, double sigma, double sigma_h,
               int N) {
  if (!valid_market(S0, sigma, sigma_h) || N < 1 || !std::isfinite(r) || !std::isfinite(mu)) return kNaN;
  const double T = horizon(book);
  if (std::isnan(T)) return kNaN;
  double sum = 0.0;
  for (std::size_t i = 0; i < book.size(); ++i)
    for (std::size_t j = i; j < book.size(); ++j) {
      const TheoryOption &oi = book[i], &oj = book[j];
      if (oi.quantity == 0.0 || oj.quantity == 0.0) continue;
      const double Tij = std::min(oi.maturity, oj.maturity);
      // t = Tij - u^2: dt = 2u du; the times to maturity are formed without cancellation.
      const double gi = oi.maturity - Tij, gj = oj.maturity - Tij;
      auto f = [&](double u) {
        const double u2 = u * u, t = std::max(Tij - u2, 0.0);
        return 2.0 * u * std::exp(2.0 * r * (T - t)) *
               theory_detail::expected_s4_gamma_gamma(S0, oi.strike, gi + u2, oj.strike, gj + u2, r, mu, sigma,
                                                      sigma_h, t);
      };
      sum += (i == j ? 1.0 : 2.0) * oi.quantity * oj.quantity * theory_detail::integrate(f, 0.0, std::sqrt(Tij));
    }
  const double var = T / (2.0 * N) * std::pow(sigma, 4) * sum;
  if (std::isnan(var)) return kNaN;
  return std::sqrt(std::max(var, 0.0));
}

double ahmad_wilmott_mean(const std::vector<TheoryOption>& book, double S0, double r, double mu, double sigma,
                          double sigma_h) {
  if (!valid_market(S0, sigma, sigma_h) || !std::isfinite(r) || !std::isfinite(mu)) return kNaN;
  const double T = horizon(book);
  if (std::isnan(T)) return kNaN;
  const double half_dvar = 0.5 * (sigma * sigma - sigma_h * sigma_h);
  if (half_dvar == 0.0) return 0.0;
  double pv = 0.0;
  for (const TheoryOption& o : book) {
    if (o.quantity == 0.0) continue;
    // t = T_i - u^2 (the integrand is smooth, the substitution only concentrates nodes near maturity).
    auto f = [&](double u) {
      const double tau = u * u, t = std::max(o.maturity - tau, 0.0);
      return 2.0 * u * std::exp(-r * t) * theory_detail::expected_s2_gamma(S0, o.strike, tau, r, mu, sigma, sigma_h, t);
    };
    pv += o.quantity * half_dvar * theory_detail::integrate(f, 0.0, std::sqrt(o.maturity));
  }
  return std::exp(r * T) * pv;
}

}  // namespace hl
