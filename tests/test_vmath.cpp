#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <iterator>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu_paths.hpp"
#include "kernels/normal.hpp"
#include "vmath_avx2_kernels.hpp"

using namespace hl;

// The AVX2 loop's own lane code (kernels/vmath_avx2.hpp, kernels/simd_avx2.hpp): sin and cos of 2 pi u
// against long double, and the random numbers bit for bit against the scalar templates.
namespace {

bool have_avx2() {
  if (std::strcmp(cpu_simd(), "avx2") == 0) return true;
  MESSAGE("this CPU has no AVX2: the AVX2 lane functions are not run here");
  return false;
}

double ulp_of(long double ref) {
  const double r = std::fabs(static_cast<double>(ref));
  if (r == 0.0) return std::numeric_limits<double>::denorm_min();
  return std::nextafter(r, std::numeric_limits<double>::infinity()) - r;
}

// sin and cos of 2 pi u in long double, through the reduction u = n + q/4 + r (n, q integers), exact
// in long double for every double u.
void sincos_2pi_ref(double u, long double& s, long double& c) {
  const long double two_pi = 6.283185307179586476925286766559L;
  const long double f = static_cast<long double>(u) - std::floor(static_cast<long double>(u));
  const long double q = std::nearbyint(4.0L * f);
  const long double r = f - q * 0.25L;
  const long double sr = std::sin(two_pi * r), cr = std::cos(two_pi * r);
  switch (static_cast<int>(q) & 3) {
    case 0: s = sr, c = cr; break;
    case 1: s = cr, c = -sr; break;
    case 2: s = -sr, c = -cr; break;
    default: s = -cr, c = sr; break;
  }
}

}  // namespace

TEST_CASE("vmath: AVX2 exp within 1 ulp of long double, libm's values outside its fast range") {
  if (!have_avx2()) return;
  std::vector<double> x;
  for (long i = 0; i <= 3'000'000; ++i) x.push_back(-745.0 + 1455.0 * static_cast<double>(i) / 3'000'000.0);
  for (long i = 0; i <= 400'000; ++i) x.push_back(-1.0 + 2.0 * static_cast<double>(i) / 400'000.0);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-708.0, 708.0);
  for (int i = 0; i < 1'000'000; ++i) x.push_back(dist(rng));
  std::vector<double> y(x.size());
  test::avx2_exp(x.data(), y.data(), static_cast<long>(x.size()));
  double worst = 0.0, at = 0.0, worst_libm = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double ref = std::exp(static_cast<long double>(x[i]));
    if (ref < 0x1.0p-1021L) continue;  // subnormal results and their edge: checked below, and against libm
    const double e = static_cast<double>(std::fabs(y[i] - ref)) / ulp_of(ref);
    if (e > worst) worst = e, at = x[i];
    worst_libm = std::max(worst_libm, static_cast<double>(std::fabs(std::exp(x[i]) - ref)) / ulp_of(ref));
  }
  MESSAGE("exp: max " << std::setprecision(4) << worst << " ulp at x = " << std::setprecision(17) << at
                      << " (libm exp, the scalar loop: " << std::setprecision(4) << worst_libm << " ulp)");
  CHECK(worst <= 1.01);
  // Down to underflow (subnormal results, the slow path): within one subnormal spacing of libm's.
  double sub = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] < -708.4)
      sub = std::max(sub, std::fabs(y[i] - std::exp(x[i])) / std::numeric_limits<double>::denorm_min());
  CHECK(sub <= 1.0);
  // Outside |x| <= 708 lane by lane: subnormal results, underflow to 0, overflow, infinities, NaN.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> s = {708.5, 709.7, 709.79, 710.0, 1e6, -708.5, -709.0, -730.0, -744.0, -745.1, -746.0, -1e6,
                           inf,   -inf,  0.0,    -0.0,  1e-300, 4.6, -4.6, std::nan("")};
  std::vector<double> t(s.size());
  test::avx2_exp(s.data(), t.data(), static_cast<long>(s.size()));
  for (std::size_t i = 0; i < s.size(); ++i) {
    INFO("x = " << s[i]);
    if (std::isnan(s[i]))
      CHECK(std::isnan(t[i]));
    else
      CHECK(t[i] == std::exp(s[i]));
  }
}

TEST_CASE("vmath: AVX2 sin and cos of 2 pi u within 2.5 ulp and 2.5e-16 of long double") {
  if (!have_avx2()) return;
  std::vector<double> u;
  for (long i = 0; i <= 2'000'000; ++i) u.push_back(static_cast<double>(i) / 2'000'000.0);  // dense, the edges
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2'000'000; ++i)  // uniform_open's values
    u.push_back((static_cast<double>(rng() >> 12) + 0.5) * 0x1.0p-52);
  for (double v : {0x1.0p-53, 1.0 - 0x1.0p-53, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1e-300, 1e-9})
    u.push_back(v);
  for (double v : {-0.3, -7.25, 3.7, 1e6 + 0.1, 0x1.0p50 + 0.25, 0x1.0p52 + 1.0, 1e300}) u.push_back(v);  // any u
  std::vector<double> s(u.size()), c(u.size());
  test::avx2_sincos_2pi(u.data(), s.data(), c.data(), static_cast<long>(u.size()));
  double ulp_s = 0.0, ulp_c = 0.0, abs_err = 0.0, abs_libm = 0.0, at_s = 0.0, at_c = 0.0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    long double rs, rc;
    sincos_2pi_ref(u[i], rs, rc);
    const double es = static_cast<double>(std::fabs(s[i] - rs)), ec = static_cast<double>(std::fabs(c[i] - rc));
    if (es / ulp_of(rs) > ulp_s) ulp_s = es / ulp_of(rs), at_s = u[i];
    if (ec / ulp_of(rc) > ulp_c) ulp_c = ec / ulp_of(rc), at_c = u[i];
    abs_err = std::max(abs_err, std::max(es, ec));
    if (u[i] > 0.0 && u[i] < 1.0)  // the scalar loop's sin(2 pi u): the rounded product costs up to 7e-16
      abs_libm = std::max(abs_libm, static_cast<double>(std::fabs(std::sin(kTwoPi * u[i]) - rs)));
  }
  MESSAGE("sin(2 pi u): max " << ulp_s << " ulp at u = " << at_s << "; cos: " << ulp_c << " ulp at u = " << at_c
                              << "; max abs error " << abs_err << " (libm on 2 pi u, the scalar loop: " << abs_libm
                              << ")");
  CHECK(ulp_s <= 2.5);
  CHECK(ulp_c <= 2.5);
  CHECK(abs_err <= 2.5e-16);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> bad = {inf, -inf, std::nan("")}, bs(3), bc(3);
  test::avx2_sincos_2pi(bad.data(), bs.data(), bc.data(), 3);
  for (int i = 0; i < 3; ++i) CHECK((std::isnan(bs[i]) && std::isnan(bc[i])));
}

TEST_CASE("vmath: the AVX2 Philox words and uniforms are the scalar ones, bit for bit") {
  if (!have_avx2()) return;
  std::mt19937_64 rng(17);
  for (int t = 0; t < 2000; ++t) {
    const std::uint64_t seed = rng(), path0 = t < 1000 ? rng() >> (t % 64) : static_cast<std::uint64_t>(t) * 4;
    const std::uint32_t block = static_cast<std::uint32_t>(rng() >> (t % 33)), stream = t % 5;
    std::uint32_t w[16], d[16];
    test::avx2_philox_words(seed, path0, stream, block, w);
    test::avx2_diffusion_words(seed, path0, block, d);
    for (int l = 0; l < 4; ++l) {
      const U32x4 ref = philox_draw(seed, path0 + l, stream, block), ref0 = philox_draw(seed, path0 + l, 0, block);
      for (int i = 0; i < 4; ++i) {
        REQUIRE(w[4 * l + i] == ref.v[i]);
        REQUIRE(d[4 * l + i] == ref0.v[i]);
      }
    }
    std::uint32_t hi[4], lo[4];
    for (int l = 0; l < 4; ++l) hi[l] = static_cast<std::uint32_t>(rng()), lo[l] = static_cast<std::uint32_t>(rng());
    if (t == 0) hi[0] = lo[0] = 0, hi[1] = lo[1] = 0xffffffffu;
    double u[4];
    test::avx2_uniform_open(hi, lo, u);
    for (int l = 0; l < 4; ++l) REQUIRE(u[l] == uniform_open(hi[l], lo[l]));
  }
}

TEST_CASE("vmath: the AVX2 float uniforms are the scalar ones, bit for bit, rounding ties included") {
  if (!have_avx2()) return;
  // uniform_radius_f converts all 32 bits to float (rounded to nearest, ties to even); the AVX2 version
  // builds the conversion from two exact halves. Edge words: 0, all ones, ties (2^24 + 1, 2^25 + 2,
  // 2^31 + 2^7, 2^32 - 2^7 - 1), the largest 24-bit value and random words.
  const std::uint32_t edges[] = {0u,          0xffffffffu, 0x01000001u, 0x02000002u, 0x80000080u,
                                 0xffffff7fu, 0x00ffffffu, 0x80000000u, 0x7fffffffu, 0x01000003u};
  std::mt19937_64 rng(23);
  std::size_t checked = 0;
  for (int t = 0; t < 20000; ++t) {
    std::uint32_t hi[8];
    for (int l = 0; l < 8; ++l) {
      const std::size_t e = static_cast<std::size_t>(t) * 8 + static_cast<std::size_t>(l);
      hi[l] = e < std::size(edges) ? edges[e] : static_cast<std::uint32_t>(rng() >> (t % 3 == 0 ? 0 : t % 29));
    }
    float open[8], radius[8];
    test::avx2_uniforms_f(hi, open, radius);
    for (int l = 0; l < 8; ++l, ++checked) {
      const float o = uniform_open_f(hi[l]), r = uniform_radius_f(hi[l]);
      REQUIRE(std::memcmp(&open[l], &o, sizeof(float)) == 0);
      REQUIRE(std::memcmp(&radius[l], &r, sizeof(float)) == 0);
      REQUIRE(radius[l] > 0.0f);
      REQUIRE(radius[l] <= 1.0f);
    }
  }
  CHECK(checked == 160000);
}

TEST_CASE("vmath: LookaheadNormals gives PhiloxNormalsT's normals, bit for bit, for odd and even step counts") {
  if (!have_avx2()) return;
  for (int lanes : {8, 16})
    for (int steps : {1, 2, 3, 4, 5, 84, 85, 252}) {
      CAPTURE(lanes);
      CAPTURE(steps);
      std::vector<double> z(steps);
      CHECK(test::avx2_lookahead_mismatches(lanes, 0x1234567890abcdefULL, 16 * 1000003ULL, steps, z.data()) == 0);
      // And they are the scalar loop's normals, up to the last bits of log, sin and cos.
      PhiloxNormals ref = philox_normals(0x1234567890abcdefULL, 16 * 1000003ULL);
      for (int j = 1; j <= steps; ++j) {
        const double r = ref(j);
        CHECK(std::fabs(z[j - 1] - r) <= 1e-14 * (1.0 + std::fabs(r)));
      }
    }
}
