#pragma once
// Black-Scholes (1973) / Merton (1973) European option values and Greeks, no dividends.
#include "kernels/hl_hd.hpp"

namespace hl {

HL_HD double norm_cdf(double x) { return 0.5 * erfc(-x * kSqrt1_2); }
HL_HD double norm_pdf(double x) { return kInvSqrt2Pi * exp(-0.5 * x * x); }

struct BsGreeks {
  double price, delta, gamma, vega;
};

// is_call: call or put; tau: time to maturity (> 0); sigma > 0.
HL_HD BsGreeks bs_greeks(bool is_call, double spot, double strike, double rate, double sigma, double tau) {
  const double sd = sigma * sqrt(tau);
  const double d1 = (log(spot / strike) + (rate + 0.5 * sigma * sigma) * tau) / sd;
  const double d2 = d1 - sd;
  const double df = exp(-rate * tau);
  const double pdf1 = norm_pdf(d1);
  BsGreeks g;
  if (is_call) {
    g.price = spot * norm_cdf(d1) - strike * df * norm_cdf(d2);
    g.delta = norm_cdf(d1);
  } else {
    g.price = strike * df * norm_cdf(-d2) - spot * norm_cdf(-d1);
    g.delta = norm_cdf(d1) - 1.0;
  }
  g.gamma = pdf1 / (spot * sd);
  g.vega = spot * pdf1 * sqrt(tau);
  return g;
}

HL_HD double bs_price(bool is_call, double spot, double strike, double rate, double sigma, double tau) {
  return bs_greeks(is_call, spot, strike, rate, sigma, tau).price;
}

HL_HD double payoff(bool is_call, double spot, double strike) {
  return is_call ? fmax(spot - strike, 0.0) : fmax(strike - spot, 0.0);
}

}  // namespace hl
