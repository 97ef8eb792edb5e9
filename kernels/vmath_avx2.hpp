#pragma once
// Vector math on four doubles for the AVX2 loop (compiled with -mavx2 -mfma), where it beats glibc's
// libmvec in the hedging loop: sin and cos of 2 pi u for Box-Muller, as polynomials on an exactly
// reduced argument, and exp. Each lane is computed from its own input only, so a path's result does
// not depend on which paths share its vector. Accuracy against long double references:
// tests/test_vmath.cpp.
//
// (log and erfc were written the same way, within 1 and 6 ulp, and measured in the hedging loop: both
// were slower there than libmvec's, inline or out of line; see docs/performance.md.)
#include <immintrin.h>

#include <cstdint>

namespace hl {

typedef double d4 __attribute__((vector_size(32)));              // four paths' values
typedef long long i4 __attribute__((vector_size(32)));           // comparison masks
typedef unsigned long long u4 __attribute__((vector_size(32)));  // four 32-bit words in 64-bit lanes

namespace vmath {

inline d4 fma(d4 a, d4 b, d4 c) { return (d4)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c); }
inline d4 fnma(d4 a, d4 b, d4 c) { return (d4)_mm256_fnmadd_pd((__m256d)a, (__m256d)b, (__m256d)c); }  // c - a b
inline d4 splat(double v) { return d4{v, v, v, v}; }
inline d4 blend(d4 take, d4 a, d4 b) {  // a where the sign bit of take is set, else b
  return (d4)_mm256_blendv_pd((__m256d)b, (__m256d)a, (__m256d)take);
}

// Polynomial coefficients (ascending) as tables of splats, read as full vectors: each FMA then takes its
// coefficient as a memory operand, where a broadcast per coefficient would cost as many instructions
// as the FMAs. The table's address passes through an empty asm, or the compiler, seeing uniform
// constants, turns the loads back into broadcasts.
template <int N>
struct VTable {
  d4 v[N];
};
template <int N>
constexpr VTable<N> vtable(const double (&c)[N]) {
  VTable<N> t{};
  for (int i = 0; i < N; ++i) t.v[i] = d4{c[i], c[i], c[i], c[i]};
  return t;
}
template <int N>
inline const d4* opaque(const VTable<N>& c) {
  const d4* v = c.v;
  asm("" : "+r"(v));
  return v;
}
// p(x) = c[0] + c[1] x + ... : c[K], c[K+1], ... as two Horner chains in x^2 (even and odd offsets),
// side by side, which halves the latency of one chain, then c[K-1] .. c[0] by Horner's rule, which
// keeps Horner's accuracy where the low coefficients dominate (the split part's rounding errors are
// scaled down by x^K).
template <int K = 0, int N>
inline d4 poly2(d4 x, const VTable<N>& table) {
  const d4* c = opaque(table);
  const d4 x2 = x * x;
  constexpr int top_even = K + ((N - 1 - K) / 2) * 2, top_odd = K + 1 + ((N - 2 - K) / 2) * 2;
  d4 e = c[top_even], o = c[top_odd];
#pragma GCC unroll 16
  for (int i = top_even - 2; i >= K; i -= 2) e = fma(e, x2, c[i]);
#pragma GCC unroll 16
  for (int i = top_odd - 2; i >= K + 1; i -= 2) o = fma(o, x2, c[i]);
  d4 p = fma(x, o, e);
#pragma GCC unroll 16
  for (int i = K - 1; i >= 0; --i) p = fma(p, x, c[i]);
  return p;
}

// exp(r) on |r| <= 0.3475 (ln2 / 2 and room for k's rounding): Chebyshev fit (mpmath) of degree 11,
// error 3.3e-18.
constexpr double kExpPoly[12] = {1.0,
                                 1.0,
                                 0.5000000000000019,
                                 0.16666666666666682,
                                 0.04166666666648424,
                                 0.008333333333319305,
                                 0.0013888888953339472,
                                 0.00019841269890835087,
                                 2.4801484388380035e-05,
                                 2.755724007735639e-06,
                                 2.763304334996162e-07,
                                 2.5110348050125477e-08};
alignas(32) inline constexpr VTable<12> kExpPolyV = vtable(kExpPoly);

// exp(x) = 2^k exp(r), x = k ln2 + r: k rounded by the 1.5 2^52 shifter, whose low bits then hold k;
// ln2 split (fdlibm's ln2_hi has 32 significant bits, so x - k ln2_hi is exact; r is rounded once).
// With Full, x is first clamped to [-746, 710] (a NaN passes through) and 2^k applied as 2^k1 2^(k - k1),
// both normal, so that a subnormal result is rounded once and an overflow gives inf; without, |x| <= 708
// only.
template <bool Full>
inline d4 exp_eval(d4 x) {
  if (Full) x = (d4)_mm256_min_pd(_mm256_set1_pd(710.0), _mm256_max_pd(_mm256_set1_pd(-746.0), (__m256d)x));
  const d4 shifter = splat(0x1.8p52);
  const d4 t = fma(x, splat(0x1.71547652b82fep0), shifter);  // x / ln2
  const d4 k = t - shifter;
  const d4 r = fnma(k, splat(1.90821492927058770002e-10), fnma(k, splat(6.93147180369123816490e-01), x));
  const d4 q = poly2<2>(r, kExpPolyV);
  if (!Full) return q * (d4)(((i4)t + 1023) << 52);  // 2^k: the low 12 bits of t's pattern are k mod 4096
  const d4 t1 = fma(k, splat(0.5), shifter);          // k1 = round(k / 2)
  const d4 t2 = (k - (t1 - shifter)) + shifter;       // k - k1
  return q * (d4)(((i4)t1 + 1023) << 52) * (d4)(((i4)t2 + 1023) << 52);
}

// exp for any x, within 1 ulp (0.94 measured; libmvec's is within 3): the |x| <= 708 path, and where a
// lane is outside (or NaN) the full one, inline rather than a call to libmvec, because a call clobbers
// every vector register of the hedging loop around it.
inline d4 exp(d4 x) {
  d4 y = exp_eval<false>(x);
  const __m256d out = _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), (__m256d)x), _mm256_set1_pd(708.0),
                                    _CMP_NLE_UQ);
  if (__builtin_expect(_mm256_movemask_pd(out), 0)) y = blend((d4)out, exp_eval<true>(x), y);
  return y;
}

// sin(2 pi r) = r S(r^2) and cos(2 pi r) = C(r^2) on |r| <= 1/8 (+0.1 %): Chebyshev fits in mpmath,
// errors 3e-18 relative and 3e-20.
constexpr double kSin2pi[7] = {6.283185307179586,  -41.341702240399634, 81.60524927594676, -76.70585970388363,
                               42.05868496660676,  -15.09380086224663,  3.7807911301426427};
constexpr double kCos2pi[8] = {1.0,
                               -19.739208802178716,
                               64.93939402266795,
                               -85.456817206521,
                               60.24464132852267,
                               -26.426250873369565,
                               7.903089912025346,
                               -1.6968145384497098};
alignas(32) inline constexpr VTable<7> kSin2piV = vtable(kSin2pi);
alignas(32) inline constexpr VTable<8> kCos2piV = vtable(kCos2pi);

// sin(2 pi u) and cos(2 pi u) for any finite u: f = u - round(u) in [-1/2, 1/2], q = round(4f),
// r = f - q/4 in [-1/8, 1/8] (all three exact, by Sterbenz's lemma: no range reduction error at all,
// unlike sin(2 pi u) evaluated on the rounded product 2 pi u), then the quadrant q mod 4 (the low bits
// of q, two's complement): q odd swaps sin and cos, and the signs are those of sin and cos of q pi/2.
// Infinities and NaN give NaN. Within 2.1 ulp; 2.2e-16 absolute.
inline void sincos_2pi(d4 u, d4& s, d4& c) {
  const d4 f = u - (d4)_mm256_round_pd((__m256d)u, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const d4 shifter = splat(0x1.8p52);
  const d4 t = fma(f, splat(4.0), shifter);  // q in the low bits of the pattern
  const d4 r = fnma(t - shifter, splat(0.25), f);
  const d4 z = r * r;
  const d4 sr = r * poly2(z, kSin2piV), cr = poly2(z, kCos2piV);
  const u4 q = (u4)t;
  const d4 swap = (d4)(q << 63);  // blendv reads the sign bit
  s = (d4)((u4)blend(swap, cr, sr) ^ ((q >> 1) << 63));
  c = (d4)((u4)blend(swap, sr, cr) ^ (((q + 1) >> 1) << 63));
}

}  // namespace vmath
}  // namespace hl
