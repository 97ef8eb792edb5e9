#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels/hedge_path.hpp"
#include "kernels/normal.hpp"

using namespace hl;

TEST_CASE("rng: Philox4x32-10 known-answer vectors (Random123 kat_vectors)") {
  struct Kat {
    U32x4 ctr;
    std::uint32_t k0, k1;
    U32x4 expect;
  };
  const Kat kats[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, 0xffffffff, 0xffffffff,
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, 0xa4093822, 0x299f31d0,
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const Kat& k : kats) {
    const U32x4 out = philox4x32_10(k.ctr, k.k0, k.k1);
    for (int i = 0; i < 4; ++i) CHECK(out.v[i] == k.expect.v[i]);
  }
}

TEST_CASE("rng: counter layout is (block, stream, path lo, path hi) with the seed as key") {
  const std::uint64_t seed = 0x0123456789abcdefULL, path = 0x0000000500000007ULL;
  const U32x4 a = philox_draw(seed, path, 3, 11);
  const U32x4 b = philox4x32_10(U32x4{{11, 3, 7, 5}}, 0x89abcdefu, 0x01234567u);
  for (int i = 0; i < 4; ++i) CHECK(a.v[i] == b.v[i]);
}

TEST_CASE("rng: uniforms lie strictly inside (0, 1)") {
  CHECK(uniform_open(0, 0) == 0x1.0p-53);
  CHECK(uniform_open(0xffffffff, 0xffffffff) == 1.0 - 0x1.0p-53);
  CHECK(uniform_open(0x80000000, 0) == 0.5 + 0x1.0p-53);
}

TEST_CASE("rng: normal moments within 3 standard errors") {
  const int n = 1 << 20;
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  for (int i = 0; i < n / 2; ++i) {
    double z[2];
    normal_pair(2024, static_cast<std::uint64_t>(i / 64), kStreamDiffusion, i % 64, z[0], z[1]);
    for (double x : z) {
      s1 += x;
      s2 += x * x;
      s3 += x * x * x;
      s4 += x * x * x * x;
    }
  }
  const double m = s1 / n, v = s2 / n, sk = s3 / n, ku = s4 / n;
  CHECK(std::fabs(m) < 3.0 / std::sqrt(n));
  CHECK(std::fabs(v - 1.0) < 3.0 * std::sqrt(2.0 / n));
  CHECK(std::fabs(sk) < 3.0 * std::sqrt(15.0 / n));        // Var(z^3) = 15
  CHECK(std::fabs(ku - 3.0) < 3.0 * std::sqrt(96.0 / n));  // Var(z^4) = 105 - 9
}

TEST_CASE("rng: GBM moments E[S_T] = S0 exp(mu T) and Var[log S_T] = sigma^2 T") {
  PathParams P{};
  const double S0 = 100, mu = 0.08, sigma = 0.3, T = 2.0;
  const int steps = 16, n = 200000;
  const double dt = T / steps;
  P.seed = 7;
  P.steps = steps;
  P.drift_dt = (mu - 0.5 * sigma * sigma) * dt;
  P.vol_sqrt_dt = sigma * std::sqrt(dt);
  P.model = kModelGbm;
  P.gap_step = P.shift_step = -1;
  double s1 = 0, s2 = 0, l1 = 0, l2 = 0;
  for (int p = 0; p < n; ++p) {
    PhiloxNormals z = philox_normals(P.seed, static_cast<std::uint64_t>(p));
    MarketState<double> m;
    market_init(P, m);
    double x = std::log(S0), jump_log;
    for (int j = 1; j <= steps; ++j) x = market_step(P, m, z, j, x, jump_log) + jump_log;
    const double s = std::exp(x);
    s1 += s;
    s2 += s * s;
    l1 += x;
    l2 += x * x;
  }
  const double mean = s1 / n, sd = std::sqrt(s2 / n - mean * mean);
  CHECK(std::fabs(mean - S0 * std::exp(mu * T)) < 3.0 * sd / std::sqrt(n));
  const double lm = l1 / n, lv = l2 / n - lm * lm;
  CHECK(std::fabs(lm - (std::log(S0) + (mu - 0.5 * sigma * sigma) * T)) < 3.0 * std::sqrt(lv / n));
  CHECK(std::fabs(lv - sigma * sigma * T) < 3.0 * sigma * sigma * T * std::sqrt(2.0 / n));
}
