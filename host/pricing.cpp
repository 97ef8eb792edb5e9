#include "host/pricing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "kernels/black_scholes.hpp"

namespace hl {
namespace {

using cplx = std::complex<double>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;
constexpr double kSeriesTail = 1e-14;  // Poisson mass left out of a jump-count series
constexpr int kSeriesCap = 200;        // most terms of a jump-count series
constexpr double kVarTail = 1e-10;     // the same in the hedge variance (aims at 1e-4 relative)

bool finite(double v) { return std::isfinite(v); }

// ------------------------------------------------------------------------------------------------
// Quadrature

using theory_detail::gauss_legendre;

// ------------------------------------------------------------------------------------------------
// Complex helpers accurate near 0 (the Heston exponent for small xi, short maturities).

// log(1 + z): |1 + z|^2 = 1 + (2 Re z + |z|^2), so the modulus goes through the real log1p.
cplx log1p_c(cplx z) {
  return {0.5 * std::log1p(2.0 * z.real() + std::norm(z)), std::atan2(z.imag(), 1.0 + z.real())};
}
// e^z - 1 = (e^a cos b - 1) + i e^a sin b with e^a cos b - 1 = expm1(a) cos b - 2 sin^2(b/2).
cplx expm1_c(cplx z) {
  const double a = z.real(), b = z.imag(), s = std::sin(0.5 * b);
  return {std::expm1(a) * std::cos(b) - 2.0 * s * s, std::exp(a) * std::sin(b)};
}

// N(num / sd), the step function when sd = 0 (a degenerate normal).
double cdf_ratio(double num, double sd) {
  if (sd > 0.0) return norm_cdf(num / sd);
  return num > 0.0 ? 1.0 : (num < 0.0 ? 0.0 : 0.5);
}

// ------------------------------------------------------------------------------------------------
// Jump laws

bool valid_law(const JumpParams& j) {
  switch (j.kind) {
    case JumpKind::kNone: return true;
    case JumpKind::kMerton:
      return j.lambda >= 0.0 && finite(j.lambda) && finite(j.jump_mean) && j.jump_std >= 0.0 && finite(j.jump_std);
    case JumpKind::kKou:
      return j.lambda >= 0.0 && finite(j.lambda) && j.p_up >= 0.0 && j.p_up <= 1.0 && j.eta_up > 1.0 &&
             finite(j.eta_up) && j.eta_down > 0.0 && finite(j.eta_down);
  }
  return false;
}
// A pricing model: a valid jump law and a diffusion part (the Fourier integrals decay through it).
bool valid_model(const JumpParams& j) { return valid_law(j) && j.sigma > 0.0 && finite(j.sigma); }
double intensity(const JumpParams& j) { return j.kind == JumpKind::kNone ? 0.0 : j.lambda; }

// M(z) = E[e^{zY}] for complex z where it is finite (kou: -eta_down < Re z < eta_up).
cplx jump_mgf(const JumpParams& j, cplx z) {
  switch (j.kind) {
    case JumpKind::kMerton: return std::exp(z * j.jump_mean + 0.5 * z * z * j.jump_std * j.jump_std);
    case JumpKind::kKou:
      return j.p_up * j.eta_up / (j.eta_up - z) + (1.0 - j.p_up) * j.eta_down / (j.eta_down + z);
    case JumpKind::kNone: break;
  }
  return 1.0;
}

// E[e^{aY}] for real a (kou: +infinity past eta_up).
double jump_mgf_real(const JumpParams& j, double a) {
  if (j.kind == JumpKind::kKou && a >= j.eta_up) return std::numeric_limits<double>::infinity();
  return jump_mgf(j, a).real();
}

// E[(e^Y - 1)^2] without the cancellation of E[e^{2Y}] - 2 E[e^Y] + 1 for small jumps.
double jump_sq(const JumpParams& j) {
  switch (j.kind) {
    case JumpKind::kMerton: {
      const double m = j.jump_mean, v = j.jump_std * j.jump_std;
      return std::expm1(2.0 * m + 2.0 * v) - 2.0 * std::expm1(m + 0.5 * v);
    }
    case JumpKind::kKou:
      // p eta1 / (eta1 - 2) - 2 p eta1 / (eta1 - 1) + p = 2p / ((eta1 - 1)(eta1 - 2)), likewise down.
      if (!(j.eta_up > 2.0)) return std::numeric_limits<double>::infinity();
      return 2.0 * j.p_up / ((j.eta_up - 1.0) * (j.eta_up - 2.0)) +
             2.0 * (1.0 - j.p_up) / ((j.eta_down + 1.0) * (j.eta_down + 2.0));
    case JumpKind::kNone: break;
  }
  return 0.0;
}

// E[e^{aY} 1{Y > c}] (a = 0, 1, 2): the expiry limits of the min-variance integrals.
double jump_partial_moment(const JumpParams& j, double a, double c) {
  if (j.kind == JumpKind::kMerton) {
    // Y ~ N(m, d^2): e^{am + a^2 d^2/2} P(Y' > c) with Y' ~ N(m + a d^2, d^2).
    const double m = j.jump_mean, v = j.jump_std * j.jump_std;
    return std::exp(a * m + 0.5 * a * a * v) * cdf_ratio(m + a * v - c, j.jump_std);
  }
  if (j.kind == JumpKind::kKou) {
    // p eta1 int_{max(c,0)}^inf e^{(a - eta1) y} dy + (1 - p) eta2 int_0^{-c} e^{-(a + eta2) z} dz (c < 0).
    const double e1 = j.eta_up, e2 = j.eta_down;
    double s = j.p_up * e1 / (e1 - a) * std::exp(-(e1 - a) * std::max(c, 0.0));
    if (c < 0.0) s += (1.0 - j.p_up) * e2 / (e2 + a) * -std::expm1((e2 + a) * c);
    return s;
  }
  return c < 0.0 ? 1.0 : 0.0;
}

// tau psi(z) = log E[e^{zX}], X = log(S_T / S_t): psi(z) = z (r - sigma^2/2 - lambda kappa) + sigma^2 z^2 / 2
// + lambda (M(z) - 1).
cplx log_mgf(const JumpParams& j, cplx z, double r, double tau) {
  const double lam = intensity(j), s2 = j.sigma * j.sigma;
  const double lk = lam > 0.0 ? lam * jump_kappa(j) : 0.0;
  cplx psi = z * (r - 0.5 * s2 - lk) + 0.5 * s2 * z * z;
  if (lam > 0.0) psi += lam * (jump_mgf(j, z) - 1.0);
  return tau * psi;
}

// ------------------------------------------------------------------------------------------------
// Per log-moneyness quantities of a call of strike 1 at x = log(S/K), from which every output follows:
//   delta = P1(x), ddelta = dP1/dx, price = e^x P1 - e^{-r tau} P2,
//   a1 = E[(e^{2Y} - e^Y) P1(x + Y)], a2 = E[(e^Y - 1) P2(x + Y)]
// (P1, P2 the exercise probabilities under the share and money measures). The jump integral of the
// min-variance ratio is J(x) = int nu(dy) (e^y - 1)(c(x + y) - c(x)) = lambda (e^x a1 - e^{-r tau} a2) -
// lambda kappa c(x), and J'(x) = lambda e^x a1 - lambda kappa e^x delta, because c'(x) = e^x P1(x).
struct CallAt {
  double delta = kNaN, ddelta = kNaN, price = kNaN, a1 = kNaN, a2 = kNaN;
  double p2 = kNaN;  // P2, where the inversion gives it (the put's price without the parity cancellation)
};

// The ratio (delta or min-variance, Cont & Tankov sec. 10.4) and its x-derivative from CallAt:
//   phi = (sigma^2 delta + e^{-x} J) / D, dphi/dx = (sigma^2 ddelta - e^{-x} J + lambda a1 - lambda kappa delta) / D,
//   D = sigma^2 + lambda E[(e^Y - 1)^2].
std::pair<double, double> ratio_of(const CallAt& c, double x, double r, double tau, const JumpParams& j, GridRatio what) {
  const double lam = intensity(j);
  if (what == GridRatio::kDelta || lam == 0.0) return {c.delta, c.ddelta};
  const double s2 = j.sigma * j.sigma, kap = jump_kappa(j);
  const double D = s2 + lam * jump_sq(j);
  if (!finite(D)) return {kNaN, kNaN};
  const double ex = std::exp(x), df = std::exp(-r * std::max(tau, 0.0));
  const double J = lam * (ex * c.a1 - df * c.a2) - lam * kap * c.price;
  const double ratio = (s2 * c.delta + J / ex) / D;
  const double dratio = (s2 * c.ddelta - J / ex + lam * c.a1 - lam * kap * c.delta) / D;
  return {ratio, dratio};
}

// At or after expiry: c = (e^x - 1)^+, delta = 1{x > 0}, ddelta = 0, and the moments over the payoff.
CallAt expiry_call(const JumpParams& j, double x) {
  CallAt c;
  c.delta = x > 0.0 ? 1.0 : 0.0;
  c.ddelta = 0.0;
  c.price = std::max(std::expm1(x), 0.0);
  const double e0 = jump_partial_moment(j, 0.0, -x), e1 = jump_partial_moment(j, 1.0, -x);
  const double e2 = j.kind == JumpKind::kKou && !(j.eta_up > 2.0) ? kNaN : jump_partial_moment(j, 2.0, -x);
  c.a1 = e2 - e1;
  c.a2 = e1 - e0;
  return c;
}

// Merton's series (tau > 0): conditional on n jumps, X ~ N(mu_n, v_n), mu_n = (r - sigma^2/2 - lambda kappa) tau
// + n m, v_n = sigma^2 tau + n d^2. With p_n the Poisson(lambda tau) weights, w_n = p_n e^{mu_n + v_n/2 - r tau}
// are Merton's Poisson(lambda' tau) weights, and the call is sum_n w_n BS(S, K, tau, sigma_n, r_n) (the header's
// formula). The moments a1, a2 are Gaussian integrals in closed form: for G ~ N(0, v) and Y ~ N(m, d^2),
// E[e^{bY} N((a + Y)/sqrt(v))] = e^{bm + b^2 d^2/2} N((a + m + b d^2) / sqrt(v + d^2)).
struct MertonSums {
  bool ok = false;
  double price = 0.0, delta = 0.0, sgamma = 0.0;  // sgamma = S Gamma = d delta / d log S
  double a1 = 0.0, a2 = 0.0;
};

MertonSums merton_sums(bool is_call, double S, double K, double r, double tau, const JumpParams& j, bool moments) {
  MertonSums out;
  const double lam = intensity(j);
  const bool jumps = lam > 0.0;
  const double m = jumps ? j.jump_mean : 0.0, d = jumps ? j.jump_std : 0.0, d2 = d * d;
  const double kap = jumps ? std::expm1(m + 0.5 * d2) : 0.0, log1k = m + 0.5 * d2;  // log(1 + kappa)
  const double s2 = j.sigma * j.sigma;
  const double a = lam * tau, ap = a * (1.0 + kap);  // Poisson means: lambda tau, lambda' tau
  double p = std::exp(-a), w = std::exp(-ap);
  if (!(p > 0.0) || !(w > 0.0)) return out;  // underflow: far more than kSeriesCap terms
  const double x = std::log(S / K), em1 = std::exp(m + 0.5 * d2), em2 = std::exp(2.0 * m + 2.0 * d2);
  const double drift = (r - 0.5 * s2 - lam * kap) * tau;
  for (int n = 0; n <= kSeriesCap; ++n) {
    if (n > 0) {
      p *= a / n;
      w *= ap / n;
    }
    const double v = s2 * tau + n * d2;
    const BsGreeks g = bs_greeks(is_call, S, K, r - lam * kap + n * log1k / tau, std::sqrt(v / tau), tau);
    out.price += w * g.price;
    out.delta += w * g.delta;
    out.sgamma += w * g.gamma * S;
    if (moments) {
      const double mu = drift + n * m, sd = std::sqrt(v + d2);
      out.a1 += w * (em2 * cdf_ratio(x + mu + v + m + 2.0 * d2, sd) - em1 * cdf_ratio(x + mu + v + m + d2, sd));
      out.a2 += p * (em1 * cdf_ratio(x + mu + m + d2, sd) - cdf_ratio(x + mu + m, sd));
    }
    // Poisson tails past n: sum_{k>n} p_k <= p_{n+1} / (1 - a / (n + 2)) once n + 2 > a.
    const auto tail = [n](double pn, double mean) {
      return n + 2.0 > mean ? pn * mean / (n + 1.0) / (1.0 - mean / (n + 2.0)) : 1.0;
    };
    if (tail(p, a) < kSeriesTail && tail(w, ap) < kSeriesTail) {
      out.ok = true;
      break;
    }
  }
  return out;
}

CallAt merton_call(const JumpParams& j, double r, double tau, double x, bool moments) {
  const MertonSums s = merton_sums(true, std::exp(x), 1.0, r, tau, j, moments);
  CallAt c;
  if (!s.ok) return c;
  c.delta = s.delta;
  c.ddelta = s.sgamma;
  c.price = s.price;
  c.a1 = s.a1;
  c.a2 = s.a2;
  return c;
}

// ------------------------------------------------------------------------------------------------
// Gil-Pelaez inversion for the jump models on a fixed composite Gauss-Legendre rule over [0, U]:
//   P1(x) = 1/2 + 1/pi int Im[e^{iux} g1(u)] / u du, g1(u) = phi(u - i) / phi(-i)   (share measure)
//   P2(x) = 1/2 + 1/pi int Im[e^{iux} g2(u)] / u du, g2(u) = phi(u)                 (money measure)
//   dP1/dx = 1/pi int Re[e^{iux} g1(u)] du,
//   a1 = (M(2) - M(1))/2 + 1/pi int Im[e^{iux} (M(2 + iu) - M(1 + iu)) g1(u)] / u du,
//   a2 = (M(1) - 1)/2 + 1/pi int Im[e^{iux} (M(1 + iu) - M(iu)) g2(u)] / u du
// (Re[e^{iux} g / (iu)] = Im[e^{iux} g] / u; the moment integrals are Gil-Pelaez applied under the
// expectation over Y, E[h(Y) e^{iuY}] being a combination of M at shifted arguments).
// Truncation: g1 and g2 are characteristic functions of sigma W_tau plus an independent compound
// Poisson part, so |g| <= exp(-sigma^2 tau u^2 / 2); U = sqrt(80) / (sigma sqrt(tau)) leaves
// int_U^inf |g| / u du < e^{-40} / 80. Panels: width at most 20 / omega, omega bounding the frequency of
// e^{iux} g(u) (20-point Gauss-Legendre integrates e^{i omega u} over such a panel to ~1e-20), and at most
// 3 / sd(X) (the scale of the Gaussian-like decay); for kou, graded towards u = 0 so that the poles of
// M at u = -i (eta1 - 1) or -i (eta1 - 2) and i eta2 stay several panel widths away.
class JumpFourier {
 public:
  JumpFourier(const JumpParams& j, double r, double tau, double xmax, bool moments) : moments_(moments) {
    const double lam = intensity(j), s2 = j.sigma * j.sigma;
    const double kap = lam > 0.0 ? jump_kappa(j) : 0.0;
    double ey2 = 0.0, ey_abs = 0.0, osc = 0.0, pole = std::numeric_limits<double>::infinity();
    if (j.kind == JumpKind::kMerton) {
      const double m = j.jump_mean, d = j.jump_std;
      ey2 = m * m + d * d;
      ey_abs = std::fabs(m) + d;
      osc = lam > 0.0 ? std::fabs(m) * (3.0 + 2.0 * lam * tau) : 0.0;  // harmonics of e^{ium} in exp(lambda tau M)
    } else if (j.kind == JumpKind::kKou) {
      ey2 = 2.0 * j.p_up / (j.eta_up * j.eta_up) + 2.0 * (1.0 - j.p_up) / (j.eta_down * j.eta_down);
      ey_abs = j.p_up / (j.eta_up - (moments ? 2.0 : 1.0)) + (1.0 - j.p_up) / j.eta_down;
      pole = std::min(j.eta_down, j.eta_up - (moments ? 2.0 : 1.0));
    }
    const double m1 = 1.0 + kap, m2 = moments && lam > 0.0 ? jump_mgf_real(j, 2.0) : 1.0;
    const double sd = std::sqrt(s2 * tau + lam * tau * ey2);
    const double omega = xmax + tau * (std::fabs(r) + s2 + lam * (std::fabs(kap) + ey_abs * (1.0 + m2))) + osc + 1e-3;
    double h = std::min(20.0 / omega, 3.0 / sd);
    if (j.kind == JumpKind::kMerton && lam > 0.0 && j.jump_std > 0.0) h = std::min(h, 3.0 / j.jump_std);
    const double U = std::sqrt(80.0) / (j.sigma * std::sqrt(tau));
    if (!(pole > 0.0) || !(h > 0.0) || !finite(U) || !finite(m2)) return;  // ok_ stays false (eta1 <= 2: no moments)
    const theory_detail::GaussLegendreRule& g = gauss_legendre(20);
    std::vector<double> u, w;
    // First panel pole / 8, then [a, 1.25 a] up to the width h (coarser grading lost 1e-9 of delta at
    // lambda tau = 20, eta1 = 1.2 against adaptive quadrature).
    double a = 0.0, width = std::min(h, 0.125 * pole);
    while (a < U) {
      const double b = std::min(a + width, U);
      g.append(a, b, u, w);
      a = b;
      width = std::min(h, 0.25 * a);
    }
    n_ = u.size();
    u_ = u;
    coef_.assign(n_ * (moments ? 10 : 6), 0.0);  // sum q: cos weights at 2q n_ + k, sin weights at (2q + 1) n_ + k
    const double r_tau = r * tau;  // log phi(-i)
    for (std::size_t k = 0; k < n_; ++k) {
      const cplx iu(0.0, u[k]);
      const cplx g2 = std::exp(log_mgf(j, iu, r, tau));
      const cplx g1 = std::exp(log_mgf(j, 1.0 + iu, r, tau) - r_tau);
      const double f = w[k] / kPi;
      const cplx p1 = g1 * (f / u[k]), p2 = g2 * (f / u[k]), q1 = g1 * f;
      cplx c[5] = {p1, p2, q1, 0.0, 0.0};
      if (moments) {
        c[3] = (jump_mgf(j, 2.0 + iu) - jump_mgf(j, 1.0 + iu)) * p1;
        c[4] = (jump_mgf(j, 1.0 + iu) - jump_mgf(j, iu)) * p2;
      }
      // Im(e^{iux} c) = cos(ux) Im c + sin(ux) Re c; Re(e^{iux} c) = cos(ux) Re c - sin(ux) Im c (q1 only).
      for (int q = 0; q < (moments ? 5 : 3); ++q) {
        coef_[(2 * q) * n_ + k] = q == 2 ? c[q].real() : c[q].imag();
        coef_[(2 * q + 1) * n_ + k] = q == 2 ? -c[q].imag() : c[q].real();
      }
    }
    a1_0_ = 0.5 * (m2 - m1);
    a2_0_ = 0.5 * kap;
    df_ = std::exp(-r_tau);
    ok_ = finite(U) && n_ > 0;
    for (double v : coef_) ok_ = ok_ && finite(v);
  }

  bool ok() const { return ok_; }

  // The quantities at every x. On a uniform grid e^{iux} is rotated from one x to the next (re-seeded
  // every 64 points) instead of calling sincos at every (node, x).
  void eval(const std::vector<double>& x, std::vector<CallAt>& out) const {
    const std::size_t nx = x.size(), nq = moments_ ? 5 : 3;
    bool uniform = nx >= 3;
    const double dx = nx >= 2 ? x[1] - x[0] : 0.0;
    double span = 0.0;
    for (double v : x) span = std::max(span, std::fabs(v));
    for (std::size_t i = 0; uniform && i < nx; ++i)
      uniform = std::fabs(x[i] - (x[0] + static_cast<double>(i) * dx)) <= 1e-13 * (1.0 + span);
    std::vector<double> ec(n_), es(n_), rc(n_), rs(n_);
    if (uniform)
      for (std::size_t k = 0; k < n_; ++k) {
        rc[k] = std::cos(u_[k] * dx);
        rs[k] = std::sin(u_[k] * dx);
      }
    out.assign(nx, CallAt{});
    for (std::size_t i = 0; i < nx; ++i) {
      if (!finite(x[i])) continue;
      if (!uniform || i % 64 == 0)
        for (std::size_t k = 0; k < n_; ++k) {
          ec[k] = std::cos(u_[k] * x[i]);
          es[k] = std::sin(u_[k] * x[i]);
        }
      // Every sum is sum_k cos(u_k x) A_k + sin(u_k x) B_k (coefficient layout above); four partial sums
      // each, so that the loop is not bound by the latency of one accumulator.
      double a[5][4] = {};
      const std::size_t n4 = n_ / 4 * 4;
      for (std::size_t q = 0; q < nq; ++q) {
        const double* A = &coef_[2 * q * n_];
        const double* B = A + n_;
        for (std::size_t k = 0; k < n4; k += 4)
          for (int l = 0; l < 4; ++l) a[q][l] += ec[k + l] * A[k + l] + es[k + l] * B[k + l];
        for (std::size_t k = n4; k < n_; ++k) a[q][0] += ec[k] * A[k] + es[k] * B[k];
      }
      double sum[5];
      for (int q = 0; q < 5; ++q) sum[q] = (a[q][0] + a[q][1]) + (a[q][2] + a[q][3]);
      CallAt& o = out[i];
      o.delta = 0.5 + sum[0];
      o.p2 = 0.5 + sum[1];
      o.ddelta = sum[2];
      o.price = std::exp(x[i]) * o.delta - df_ * o.p2;
      if (moments_) {
        o.a1 = a1_0_ + sum[3];
        o.a2 = a2_0_ + sum[4];
      }
      if (uniform)
        for (std::size_t k = 0; k < n_; ++k) {
          const double t = ec[k] * rc[k] - es[k] * rs[k];
          es[k] = es[k] * rc[k] + ec[k] * rs[k];
          ec[k] = t;
        }
    }
  }

 private:
  bool moments_, ok_ = false;
  std::size_t n_ = 0;
  std::vector<double> u_, coef_;
  double a1_0_ = 0.0, a2_0_ = 0.0, df_ = 1.0;
};

// Black-Scholes at sigma for a call of strike 1 (kNone).
CallAt bs_call(const JumpParams& j, double r, double tau, double x) {
  const BsGreeks g = bs_greeks(true, std::exp(x), 1.0, r, j.sigma, tau);
  CallAt c;
  c.delta = g.delta;
  c.ddelta = g.gamma * std::exp(x);
  c.price = g.price;
  c.a1 = c.a2 = 0.0;
  return c;
}

// CallAt for every x in the model (tau > 0 or expiry).
void calls_at(const JumpParams& j, double r, double tau, const std::vector<double>& x, bool moments,
              std::vector<CallAt>& out) {
  out.assign(x.size(), CallAt{});
  const bool jumps = intensity(j) > 0.0;
  if (!(tau > 0.0)) {
    for (std::size_t i = 0; i < x.size(); ++i)
      if (finite(x[i])) out[i] = expiry_call(j, x[i]);
    return;
  }
  if (j.kind == JumpKind::kKou && jumps) {
    double xmax = 0.0;
    for (double v : x)
      if (finite(v)) xmax = std::max(xmax, std::fabs(v));
    const JumpFourier f(j, r, tau, xmax, moments);
    if (f.ok()) f.eval(x, out);
    return;
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!finite(x[i])) continue;
    out[i] = j.kind == JumpKind::kMerton && jumps ? merton_call(j, r, tau, x[i], moments) : bs_call(j, r, tau, x[i]);
  }
}

bool valid_spot_strike(double S, double K, double r, double tau) {
  return S > 0.0 && finite(S) && K > 0.0 && finite(K) && finite(r) && !std::isnan(tau) && tau < HUGE_VAL;
}

PriceDelta nan_price() { return {kNaN, kNaN}; }

PriceDelta intrinsic(bool is_call, double S, double K) {
  const double call_delta = S > K ? 1.0 : 0.0;
  return {payoff(is_call, S, K), is_call ? call_delta : call_delta - 1.0};
}

// ------------------------------------------------------------------------------------------------
// Heston

bool valid_heston(const HestonParams& h) {
  return h.kappa > 0.0 && finite(h.kappa) && h.theta >= 0.0 && finite(h.theta) && h.xi >= 0.0 && finite(h.xi) &&
         h.rho >= -1.0 && h.rho <= 1.0 && h.v0 >= 0.0 && finite(h.v0);
}

// log E[e^{zX}] in the "little trap" form of Albrecher, Mayer, Schoutens & Tistaert (2007), z = iu:
//   beta = kappa - rho xi z, d = sqrt(beta^2 + xi^2 (z - z^2)), g = (beta - d) / (beta + d),
//   D = (beta - d)/xi^2 (1 - e^{-d tau}) / (1 - g e^{-d tau}),
//   C = z r tau + kappa theta [(beta - d)/xi^2 tau - 2/xi^2 log((1 - g e^{-d tau}) / (1 - g))],
//   log phi = C + D v0.
// Of beta + d and beta - d, the smaller in modulus comes from the larger through (beta + d)(beta - d) =
// xi^2 (z^2 - z), free of cancellation: beta - d -> 0 as xi -> 0 (then (beta - d)/xi^2 = (z^2 - z)/(beta + d)
// stays finite, and the form tends to Black-Scholes with the mean variance), and beta + d -> 0 near z = 1
// when rho xi > kappa (the share-measure integrand at small u, where a direct beta + d loses ~1e-16/u). The
// logarithm is log1p(g (1 - e^{-d tau}) / (1 - g)) / xi^2, accurate for small xi.
cplx heston_log_cf(const HestonParams& h, cplx z, double r, double tau) {
  const double xi2 = h.xi * h.xi;
  const cplx beta = h.kappa - h.rho * h.xi * z;
  const cplx d = std::sqrt(beta * beta + xi2 * (z - z * z));
  const cplx prod = xi2 * (z * z - z);  // (beta + d)(beta - d)
  cplx bp = beta + d, bm = beta - d;
  if (std::abs(bp) >= std::abs(bm)) {
    bm = prod / bp;
  } else {
    bp = prod / bm;  // xi > 0 here: with xi = 0, d = beta and Re beta = kappa > 0
  }
  const cplx q = std::abs(bm) > 0.0 && h.xi > 0.0 ? bm / xi2 : (z * z - z) / bp;  // (beta - d) / xi^2
  const cplx e = std::exp(-d * tau), one_minus_e = -expm1_c(-d * tau);
  cplx D, L;  // L = log((1 - g e) / (1 - g)) / xi^2
  if (bp == 0.0) {
    // g infinite (z (z - 1) = 0 with beta < 0): (1 - g e)/(1 - g) -> e and D -> 0.
    D = 0.0;
    L = -d * tau / xi2;
  } else {
    const cplx g = bm / bp;
    D = q * one_minus_e / (1.0 - g * e);
    const cplx wv = q * one_minus_e / (bp * (1.0 - g));  // g (1 - e) / (1 - g) / xi^2
    L = h.xi > 0.0 ? log1p_c(xi2 * wv) / xi2 : wv;
  }
  return z * r * tau + h.kappa * h.theta * (q * tau - 2.0 * L) + D * h.v0;
}

// ------------------------------------------------------------------------------------------------
// Hedge variance of a book in a Merton market (see merton_hedge_variance).

// One option of the book at one time: the value of a call or a put of strike K, maturity tau, and the
// conditional lognormal terms of Merton's series (Poisson(lambda tau) weight p, log-mean mu, variance v),
// together with the expectations over one more jump Y ~ N(m, d^2):
//   V(L) = sum_n p_n V_n(L), V_n the lognormal value at (mu_n, v_n),
//   E1(L) = E_Y[V(L + Y)] = sum p_n V_{n+1}(L)            ((mu_n + m, v_n + d^2) = (mu_{n+1}, v_{n+1})),
//   Ee(L) = E_Y[e^Y V(L + Y)] = e^{m + d^2/2} sum p_n V_lognormal(mu_n + m + d^2, v_n + d^2).
struct Leg {
  bool call;
  double K, log_k, q, disc, width;  // width: sigma sqrt(tau), where V bends around log K
  struct Term {
    double p, mu, v, sd, f;  // f = e^{mu + v/2}
  };
  std::vector<Term> base, tilt;  // base: n = 0..N+1 (the last only for E1); tilt's p carries e^{m + d^2/2}
};

// disc E[(S e^G - K)^+] or disc E[(K - S e^G)^+], G ~ N(mu, v), and its dollar delta S dV/dS.
inline void lognormal_option(bool call, double S, double lsk, double K, const Leg::Term& t, double& value,
                             double& dollar_delta) {
  const double d1 = (lsk + t.mu + t.v) / t.sd, d2 = d1 - t.sd;
  if (call) {
    const double a = S * t.f * norm_cdf(d1);
    value = a - K * norm_cdf(d2);
    dollar_delta = a;
  } else {
    const double a = S * t.f * norm_cdf(-d1);
    value = K * norm_cdf(-d2) - a;
    dollar_delta = -a;
  }
}

struct Normal {
  double p, mu, sd;  // weight, mean, standard deviation
};

class HedgeVariance {
 public:
  HedgeVariance(const std::vector<TheoryOption>& book, double S0, double r, const JumpParams& j)
      : book_(book), S0_(S0), r_(r), j_(j) {
    lam_ = j.lambda;
    m_ = j.jump_mean;
    d_ = j.jump_std;
    kap_ = jump_kappa(j);
    sq_ = jump_sq(j);
  }

  // The t-integrand e^{2r(T - t)} lambda E[int f(y) H^2 dy] at t, T the horizon; false if a series failed.
  bool at(double t, double T, double& out) {
    legs_.clear();
    for (const TheoryOption& o : book_) {
      if (!(o.maturity > t) || o.quantity == 0.0) continue;
      Leg l;
      // Adding a linear function of S to V leaves H unchanged, so each option is valued as the
      // flavour out of the money at S0 (smaller values, less cancellation in the moments below).
      l.call = o.strike >= S0_;
      l.K = o.strike;
      l.log_k = std::log(o.strike);
      l.q = o.quantity;
      const double tau = o.maturity - t;
      l.disc = std::exp(-r_ * tau);
      l.width = j_.sigma * std::sqrt(tau);
      if (!series(tau, l)) return false;
      legs_.push_back(std::move(l));
    }
    if (legs_.empty()) {
      out = 0.0;
      return true;
    }
    // Law of log S_t: Poisson(lambda t) mixture of N(mu_n, v_n); log S_t + Y has the terms of n + 1 jumps.
    const double s2 = j_.sigma * j_.sigma, d2 = d_ * d_;
    const double mu0 = std::log(S0_) + (r_ - 0.5 * s2 - lam_ * kap_) * t;
    const double a = lam_ * t;
    double p = std::exp(-a);
    law_.clear();
    shifted_.clear();
    for (int n = 0;; ++n) {
      if (n > 0) p *= a / n;
      const double mu = mu0 + n * m_, v = s2 * t + n * d2;
      law_.push_back({p, mu, std::sqrt(v)});
      shifted_.push_back({p, mu + m_, std::sqrt(v + d2)});
      if (n + 2.0 > a && p * a / (n + 1.0) / (1.0 - a / (n + 2.0)) < kVarTail) break;
      if (n == kSeriesCap) return false;
    }
    // E_L[F] + E_{L+Y}[V^2] (see merton_hedge_variance). The no-jump term of log S_t is narrower (sigma sqrt(t))
    // than the others (>= d), so it has its own nodes; the others share theirs.
    const double sum = expect(law_.data(), 1, false) + expect(law_.data() + 1, law_.size() - 1, false) +
                       expect(shifted_.data(), shifted_.size(), true);
    out = std::exp(2.0 * r_ * (T - t)) * lam_ * sum;
    return finite(out);
  }

 private:
  bool series(double tau, Leg& l) const {
    const double s2 = j_.sigma * j_.sigma, d2 = d_ * d_, a = lam_ * tau;
    const double drift = (r_ - 0.5 * s2 - lam_ * kap_) * tau, em = std::exp(m_ + 0.5 * d2);
    double p = std::exp(-a);
    for (int n = 0; n <= kSeriesCap; ++n) {
      if (n > 0) p *= a / n;
      const double mu = drift + n * m_, v = s2 * tau + n * d2, vs = v + d2;
      l.base.push_back({p, mu, v, std::sqrt(v), std::exp(mu + 0.5 * v)});
      l.tilt.push_back({p * em, mu + m_ + d2, vs, std::sqrt(vs), std::exp(mu + m_ + d2 + 0.5 * vs)});
      if (n + 2.0 > a && p * a / (n + 1.0) / (1.0 - a / (n + 2.0)) < kVarTail) {
        l.base.push_back({0.0, mu + m_, vs, std::sqrt(vs), std::exp(mu + m_ + 0.5 * vs)});  // V_{N+1}, for E1
        return true;
      }
    }
    return false;
  }

  // Book value and dollar delta at log-spot L; with moments, also E1 and Ee summed over the book.
  void values(double L, bool moments, double& V, double& dV, double& E1, double& Ee) const {
    const double S = std::exp(L);
    V = dV = E1 = Ee = 0.0;
    for (const Leg& l : legs_) {
      const double lsk = L - l.log_k;
      double v = 0.0, dv = 0.0, e1 = 0.0, ee = 0.0, a, b;
      const std::size_t N = l.base.size() - 1;  // V has terms 0..N-1; base[N] serves E1 only
      for (std::size_t n = 0; n < (moments ? N + 1 : N); ++n) {
        lognormal_option(l.call, S, lsk, l.K, l.base[n], a, b);
        if (moments && n > 0) e1 += l.base[n - 1].p * a;  // p_{n-1} V_n
        if (n == N) break;
        v += l.base[n].p * a;
        dv += l.base[n].p * b;
        if (!moments) continue;
        lognormal_option(l.call, S, lsk, l.K, l.tilt[n], a, b);
        ee += l.tilt[n].p * a;
      }
      V += l.q * l.disc * v;
      dV += l.q * l.disc * dv;
      E1 += l.q * l.disc * e1;
      Ee += l.q * l.disc * ee;
    }
  }

  // E[F(L)] (squares = false) or E[V(L)^2] (squares = true) for L a mixture of normals, with
  //   F = -2 V E1 - 2 dV (Ee - E1) + V^2 + 2 V dV kappa + dV^2 E[(e^Y - 1)^2],
  // by composite 12-point Gauss-Legendre over [min(mu - 9.5 sd), max(mu + 9.5 sd + 2 sd^2)] (V^2 grows like
  // e^{2L}), panels of width 2.5 min(sd), graded geometrically (ratio 3) down to the width sigma sqrt(tau) of
  // each strike's bend. (Halving every width with 16 points a panel moves the result by ~1e-10 relative.)
  double expect(const Normal* c, std::size_t count, bool squares) {
    if (count == 0) return 0.0;
    double lo = HUGE_VAL, hi = -HUGE_VAL, sd_min = HUGE_VAL;
    for (std::size_t k = 0; k < count; ++k) {
      lo = std::min(lo, c[k].mu - 9.5 * c[k].sd);
      hi = std::max(hi, c[k].mu + (9.5 + 2.0 * c[k].sd) * c[k].sd);
      sd_min = std::min(sd_min, c[k].sd);
    }
    if (!(sd_min > 0.0)) return kNaN;
    const double coarse = 2.5 * sd_min;
    cuts_.clear();
    for (double z = lo; z < hi; z += coarse) cuts_.push_back(z);
    cuts_.push_back(hi);
    for (const Leg& l : legs_) {
      const double b = l.log_k;
      if (!(b > lo && b < hi)) continue;
      cuts_.push_back(b);
      for (double e = l.width; e < coarse; e *= 3.0) {
        if (b - e > lo) cuts_.push_back(b - e);
        if (b + e < hi) cuts_.push_back(b + e);
      }
    }
    std::sort(cuts_.begin(), cuts_.end());
    nodes_.clear();
    weights_.clear();
    for (std::size_t i = 0; i + 1 < cuts_.size(); ++i)
      if (cuts_[i + 1] - cuts_[i] > 1e-12 * coarse) gauss_legendre(12).append(cuts_[i], cuts_[i + 1], nodes_, weights_);
    double s = 0.0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const double L = nodes_[i];
      double density = 0.0;
      for (std::size_t k = 0; k < count; ++k) density += c[k].p * norm_pdf((L - c[k].mu) / c[k].sd) / c[k].sd;
      if (density == 0.0) continue;
      double V, dV, E1, Ee;
      values(L, !squares, V, dV, E1, Ee);
      const double F = squares ? V * V
                               : -2.0 * V * E1 - 2.0 * dV * (Ee - E1) + V * V + 2.0 * V * dV * kap_ + dV * dV * sq_;
      s += weights_[i] * density * F;
    }
    return s;
  }

  const std::vector<TheoryOption>& book_;
  double S0_, r_;
  const JumpParams& j_;
  double lam_, m_, d_, kap_, sq_;
  std::vector<Leg> legs_;
  std::vector<Normal> law_, shifted_;
  std::vector<double> cuts_, nodes_, weights_;
};

}  // namespace

// ------------------------------------------------------------------------------------------------

double jump_kappa(const JumpParams& j) {
  if (!valid_law(j)) return kNaN;
  switch (j.kind) {
    case JumpKind::kMerton: return std::expm1(j.jump_mean + 0.5 * j.jump_std * j.jump_std);
    case JumpKind::kKou:
      // p eta1/(eta1 - 1) + (1 - p) eta2/(eta2 + 1) - 1 = p/(eta1 - 1) - (1 - p)/(eta2 + 1).
      return j.p_up / (j.eta_up - 1.0) - (1.0 - j.p_up) / (j.eta_down + 1.0);
    case JumpKind::kNone: break;
  }
  return 0.0;
}

double jump_second_moment(const JumpParams& j) {
  if (!valid_law(j)) return kNaN;
  const double lam = intensity(j);
  return lam > 0.0 ? lam * jump_sq(j) : 0.0;
}

std::complex<double> jump_cf(const JumpParams& j, std::complex<double> u, double r, double tau) {
  if (!valid_law(j) || !(j.sigma >= 0.0) || !finite(j.sigma) || !finite(r) || std::isnan(tau)) return {kNaN, kNaN};
  if (tau <= 0.0) return 1.0;
  return std::exp(log_mgf(j, cplx(0.0, 1.0) * u, r, tau));
}

std::complex<double> heston_cf(const HestonParams& h, std::complex<double> u, double r, double tau) {
  if (!valid_heston(h) || !finite(r) || std::isnan(tau)) return {kNaN, kNaN};
  if (tau <= 0.0) return 1.0;
  return std::exp(heston_log_cf(h, cplx(0.0, 1.0) * u, r, tau));
}

PriceDelta merton_price(bool is_call, double S, double K, double r, double tau, const JumpParams& j) {
  if (!valid_spot_strike(S, K, r, tau) || !valid_model(j) || j.kind == JumpKind::kKou) return nan_price();
  if (tau <= 0.0) return intrinsic(is_call, S, K);
  const MertonSums s = merton_sums(is_call, S, K, r, tau, j, false);
  if (!s.ok) return nan_price();
  return {s.price, s.delta};
}

PriceDelta fourier_price(bool is_call, double S, double K, double r, double tau, const JumpParams& j) {
  if (!valid_spot_strike(S, K, r, tau) || !valid_model(j)) return nan_price();
  if (tau <= 0.0) return intrinsic(is_call, S, K);
  const double x = std::log(S / K);
  const JumpFourier f(j, r, tau, std::fabs(x), false);
  if (!f.ok()) return nan_price();
  std::vector<CallAt> c;
  f.eval({x}, c);
  // C = S P1 - K e^{-r tau} P2; the put directly as K e^{-r tau} (1 - P2) - S (1 - P1).
  const double p1 = c[0].delta, p2 = c[0].p2;
  if (is_call) return {K * c[0].price, p1};
  return {K * std::exp(-r * tau) * (1.0 - p2) - S * (1.0 - p1), p1 - 1.0};
}

PriceDelta jump_price(bool is_call, double S, double K, double r, double tau, const JumpParams& j) {
  switch (j.kind) {
    case JumpKind::kMerton: return merton_price(is_call, S, K, r, tau, j);
    case JumpKind::kKou: return fourier_price(is_call, S, K, r, tau, j);
    case JumpKind::kNone: break;
  }
  if (!valid_spot_strike(S, K, r, tau) || !valid_model(j)) return nan_price();
  if (tau <= 0.0) return intrinsic(is_call, S, K);
  const BsGreeks g = bs_greeks(is_call, S, K, r, j.sigma, tau);
  return {g.price, g.delta};
}

double heston_price(bool is_call, double S, double K, double r, double tau, const HestonParams& h) {
  if (!valid_spot_strike(S, K, r, tau) || !valid_heston(h)) return kNaN;
  if (tau <= 0.0) return payoff(is_call, S, K);
  // c = C/K = (e^x - df)/2 + 1/pi int_0^inf Im[e^{iux} df (e^x phi(u - i) - phi(u))] / u du (the two
  // Gil-Pelaez probabilities of the header's formula under one integral); the put is c - e^x + df.
  const double x = std::log(S / K), ex = std::exp(x), df = std::exp(-r * tau);
  const cplx I(0.0, 1.0);
  const auto term = [&](double u) { return df * (ex * std::exp(heston_log_cf(h, I * u + 1.0, r, tau)) -
                                                 std::exp(heston_log_cf(h, I * u, r, tau))); };
  // Truncation: from the mean-variance scale sqrt(80 / (vbar tau)), grown by 1.5 until the integrand is
  // below 1e-17 (e^x + 1) at two successive points (the Heston characteristic function decays only
  // exponentially in u when xi tau u is large).
  const double kt = h.kappa * tau;
  const double vbar = h.theta + (h.v0 - h.theta) * (kt > 1e-8 ? -std::expm1(-kt) / kt : 1.0 - 0.5 * kt);
  if (!(vbar > 0.0)) return kNaN;
  double U = std::sqrt(80.0 / (vbar * tau));
  const double tol = 1e-17 * (ex + 1.0);
  int it = 0;
  for (; it < 120; ++it, U *= 1.5) {
    const double a = std::abs(term(U)), b = std::abs(term(1.5 * U));
    if (!finite(a) || !finite(b)) return kNaN;
    if (a < tol * U && b < tol * U) break;
  }
  if (it == 120) return kNaN;
  const double integral = theory_detail::integrate(
      [&](double u) { return u > 0.0 ? (std::exp(I * (u * x)) * term(u)).imag() / u : 0.0; }, 0.0, 1.5 * U);
  const double c = 0.5 * (ex - df) + integral / kPi;
  const double v = K * (is_call ? c : c - ex + df);
  return finite(v) ? v : kNaN;
}

double min_variance_ratio(bool is_call, double S, double K, double r, double tau, const JumpParams& j) {
  if (!valid_spot_strike(S, K, r, tau) || !valid_model(j)) return kNaN;
  std::vector<double> x{std::log(S / K)}, ratio, dratio, price, dprice;
  call_grid(j, r, tau, GridRatio::kMinVariance, x, ratio, dratio, price, dprice);
  return is_call ? ratio[0] : ratio[0] - 1.0;
}

void call_grid(const JumpParams& j, double r, double tau, GridRatio what, const std::vector<double>& x,
               std::vector<double>& ratio, std::vector<double>& dratio, std::vector<double>& price,
               std::vector<double>& dprice) {
  const std::size_t n = x.size();
  ratio.assign(n, kNaN);
  dratio.assign(n, kNaN);
  price.assign(n, kNaN);
  dprice.assign(n, kNaN);
  if (!valid_model(j) || !finite(r) || std::isnan(tau) || !(tau < HUGE_VAL)) return;
  const bool moments = what == GridRatio::kMinVariance && intensity(j) > 0.0;
  std::vector<CallAt> c;
  calls_at(j, r, tau, x, moments, c);
  for (std::size_t i = 0; i < n; ++i) {
    if (!finite(c[i].price)) continue;
    const std::pair<double, double> rd = ratio_of(c[i], x[i], r, tau, j, what);
    ratio[i] = rd.first;
    dratio[i] = rd.second;
    price[i] = c[i].price;
    dprice[i] = std::exp(x[i]) * c[i].delta;
  }
}

double merton_hedge_variance(const std::vector<TheoryOption>& book, double S0, double r, const JumpParams& j) {
  if (!(S0 > 0.0) || !finite(S0) || !finite(r) || !valid_model(j) || j.kind == JumpKind::kKou) return kNaN;
  double T = 0.0;
  std::vector<double> ends{0.0};
  for (const TheoryOption& o : book) {
    if (!(o.strike > 0.0) || !finite(o.strike) || !(o.maturity > 0.0) || !finite(o.maturity) || !finite(o.quantity))
      return kNaN;
    T = std::max(T, o.maturity);
    ends.push_back(o.maturity);
  }
  if (intensity(j) == 0.0 || book.empty()) return 0.0;
  // Var = int_0^T e^{2r(T-t)} lambda E[int f(y) H^2 dy] dt, H = V(S e^y) - V(S) - S V_S (e^y - 1). Expanding H^2,
  // the expectation over y of every term but V(S e^y)^2 is a Merton series with one jump more (Leg), and
  // E[V(S_t e^Y)^2] is one integral over log S_t + Y, whose law is log S_t's with one jump more:
  //   E[H^2] = E[V(S_t e^Y)^2] + E[-2 V E1 - 2 S V_S (Ee - E1) + V^2 + 2 V S V_S kappa + (S V_S)^2 E(e^Y - 1)^2].
  // Over t, each interval between maturities (a, b] is integrated in s = sqrt(b - t) (the integrand moves like
  // sqrt(b - t) near the maturity b), composite 16-point Gauss-Legendre on 2 panels. (Doubling every resolution
  // here and in expect(), with Poisson tails of 1e-14, moved the result by at most 1.2e-8 relative over books
  // with lambda T up to 50 and jump stds down to 0.01; the aim is 1e-4.)
  std::sort(ends.begin(), ends.end());
  ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
  HedgeVariance hv(book, S0, r, j);
  double var = 0.0;
  std::vector<double> s, w;
  for (std::size_t k = 0; k + 1 < ends.size(); ++k) {
    const double a = ends[k], b = ends[k + 1], sb = std::sqrt(b - a);
    s.clear();
    w.clear();
    constexpr int kPanels = 2;
    for (int p = 0; p < kPanels; ++p) gauss_legendre(16).append(sb * p / kPanels, sb * (p + 1) / kPanels, s, w);
    for (std::size_t i = 0; i < s.size(); ++i) {
      double f;
      if (!hv.at(b - s[i] * s[i], T, f)) return kNaN;
      var += w[i] * 2.0 * s[i] * f;
    }
  }
  return var;
}

}  // namespace hl
