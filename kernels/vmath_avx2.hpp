#pragma once
// Vector math on four doubles for the AVX2 loop (compiled with -mavx2 -mfma), where glibc's libmvec is
// not the fastest: sin and cos of 2 pi u for Box-Muller, as polynomials on an exactly reduced argument.
// Each lane is computed from its own input only, so a path's result does not depend on which paths
// share its vector. Accuracy against long double references: tests/test_vmath.cpp.
//
// (exp, log and erfc were written the same way, within 1, 1 and 6 ulp, and measured in the hedging
// loop: each was slower there than libmvec's, inline or out of line; see docs/performance.md.)
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
// p(x) = c[0] + c[1] x + ... as two Horner chains in x^2 (even and odd coefficients), side by side:
// half the latency of one chain.
template <int N>
inline d4 poly2(d4 x, const VTable<N>& table) {
  const d4* c = opaque(table);
  const d4 x2 = x * x;
  constexpr int top_even = ((N - 1) / 2) * 2, top_odd = ((N - 2) / 2) * 2 + 1;
  d4 e = c[top_even], o = c[top_odd];
#pragma GCC unroll 16
  for (int i = top_even - 2; i >= 0; i -= 2) e = fma(e, x2, c[i]);
#pragma GCC unroll 16
  for (int i = top_odd - 2; i >= 1; i -= 2) o = fma(o, x2, c[i]);
  return fma(x, o, e);
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
