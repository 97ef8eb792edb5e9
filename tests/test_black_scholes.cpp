#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>

#include "kernels/black_scholes.hpp"

using namespace hl;

TEST_CASE("bs: normal cdf at known points") {
  CHECK(norm_cdf(0.0) == 0.5);
  CHECK(norm_cdf(1.96) == doctest::Approx(0.9750021048517795).epsilon(1e-15));
  CHECK(norm_cdf(-1.0) == doctest::Approx(0.15865525393145707).epsilon(1e-15));
  CHECK(norm_cdf(-40.0) >= 0.0);
}

TEST_CASE("bs: published prices") {
  // Hull, Options, Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, sigma=20%, T=0.5.
  CHECK(std::fabs(bs_price(true, 42, 40, 0.10, 0.20, 0.5) - 4.76) < 0.005);
  CHECK(std::fabs(bs_price(false, 42, 40, 0.10, 0.20, 0.5) - 0.81) < 0.005);
  // Haug, The Complete Guide to Option Pricing Formulas, 2nd ed., p. 3: 2.1334.
  CHECK(std::fabs(bs_price(true, 60, 65, 0.08, 0.30, 0.25) - 2.1334) < 5e-5);
  // QuantLib's DiscreteHedging example prints "Option value: 2.51207".
  CHECK(std::fabs(bs_price(true, 100, 100, 0.05, 0.20, 1.0 / 12) - 2.51207) < 5e-6);
}

TEST_CASE("bs: put-call parity c - p = S - K exp(-rT)") {
  for (double S : {50.0, 90.0, 100.0, 130.0})
    for (double T : {0.01, 0.5, 3.0})
      for (double sigma : {0.05, 0.2, 0.8}) {
        const double c = bs_price(true, S, 100, 0.03, sigma, T), p = bs_price(false, S, 100, 0.03, sigma, T);
        CHECK(std::fabs((c - p) - (S - 100 * std::exp(-0.03 * T))) < 1e-11 * S);
      }
}

TEST_CASE("bs: greeks against finite differences") {
  for (bool call : {true, false})
    for (double S : {80.0, 100.0, 125.0}) {
      const double K = 100, r = 0.04, sig = 0.25, T = 0.75, h = 1e-3;
      const BsGreeks g = bs_greeks(call, S, K, r, sig, T);
      const double up = bs_price(call, S + h, K, r, sig, T), dn = bs_price(call, S - h, K, r, sig, T);
      CHECK(g.delta == doctest::Approx((up - dn) / (2 * h)).epsilon(1e-7));
      CHECK(g.gamma == doctest::Approx((up - 2 * g.price + dn) / (h * h)).epsilon(1e-4));
      const double vu = bs_price(call, S, K, r, sig + 1e-5, T), vd = bs_price(call, S, K, r, sig - 1e-5, T);
      CHECK(g.vega == doctest::Approx((vu - vd) / 2e-5).epsilon(1e-6));
    }
}

TEST_CASE("bs: payoffs") {
  CHECK(payoff(true, 110, 100) == 10.0);
  CHECK(payoff(true, 90, 100) == 0.0);
  CHECK(payoff(false, 90, 100) == 10.0);
  CHECK(payoff(false, 110, 100) == 0.0);
}
