#pragma once
// Four paths in lockstep on AVX2 (CPU only; compiled with -mavx2 -mfma). Math goes to glibc's libmvec,
// whose vector functions compute each lane on its own, so a path's P&L does not depend on which paths
// share its vector: any batch size and thread count give the same bits.
#include <immintrin.h>

#include "kernels/lanes.hpp"
#include "kernels/philox.hpp"

extern "C" {
__m256d _ZGVdN4v_exp(__m256d);
__m256d _ZGVdN4v_log(__m256d);
__m256d _ZGVdN4v_erfc(__m256d);
__m256d _ZGVdN4v_sin(__m256d);
__m256d _ZGVdN4v_cos(__m256d);
}

namespace hl {

typedef double d4 __attribute__((vector_size(32)));
typedef long long i4 __attribute__((vector_size(32)));

inline d4 vexp(d4 x) { return (d4)_ZGVdN4v_exp((__m256d)x); }
inline d4 vlog(d4 x) { return (d4)_ZGVdN4v_log((__m256d)x); }
inline d4 verfc(d4 x) { return (d4)_ZGVdN4v_erfc((__m256d)x); }
inline d4 vsqrt(d4 x) { return (d4)_mm256_sqrt_pd((__m256d)x); }
inline d4 vabs(d4 x) { return (d4)((i4)x & (i4){~(1LL << 63), ~(1LL << 63), ~(1LL << 63), ~(1LL << 63)}); }
inline d4 vpos(d4 x) { return (d4)_mm256_max_pd((__m256d)x, _mm256_setzero_pd()); }
inline d4 vnonzero(d4 x) { return (d4)((x != d4{}) & (i4)(d4{1.0, 1.0, 1.0, 1.0})); }
inline void vsincos_2pi(d4 u, d4& s, d4& c) {
  const d4 a = kTwoPi * u;
  s = (d4)_ZGVdN4v_sin((__m256d)a);
  c = (d4)_ZGVdN4v_cos((__m256d)a);
}
inline double lane(d4 x, int i) { return x[i]; }

// Philox4x32-10 for four counters at once: each 32-bit word sits in the low half of a 64-bit lane,
// so vpmuludq gives the full 32 x 32 -> 64 product of the round function.
struct U32x4x4 {
  __m256i w[4];
};

inline U32x4x4 philox4x32_10_x4(U32x4x4 c, std::uint32_t k0, std::uint32_t k1) {
  const __m256i m0 = _mm256_set1_epi64x(0xD2511F53u), m1 = _mm256_set1_epi64x(0xCD9E8D57u);
  const __m256i lo32 = _mm256_set1_epi64x(0xffffffffu);
  for (int round = 0; round < 10; ++round) {
    const __m256i p0 = _mm256_mul_epu32(m0, c.w[0]), p1 = _mm256_mul_epu32(m1, c.w[2]);
    const __m256i key0 = _mm256_set1_epi64x(k0), key1 = _mm256_set1_epi64x(k1);
    c = U32x4x4{{_mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c.w[1]), key0),
                 _mm256_and_si256(p1, lo32),
                 _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c.w[3]), key1),
                 _mm256_and_si256(p0, lo32)}};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return c;
}

// uniform_open() in lanes: (k + 0.5) 2^-52 with k = (hi:lo) >> 12 < 2^52, converted exactly through
// the 2^52 exponent trick (AVX2 has no 64-bit integer to double conversion).
inline d4 uniform_open_x4(__m256i hi, __m256i lo) {
  const __m256i k = _mm256_srli_epi64(_mm256_or_si256(_mm256_slli_epi64(hi, 32), lo), 12);
  const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);  // the double 2^52
  const d4 kd = (d4)_mm256_or_si256(k, magic) - 0x1.0p52;
  return (kd + 0.5) * 0x1.0p-52;
}

// PhiloxNormals for four consecutive paths: lane i is path path0 + i, with exactly the same counter,
// key and Box-Muller transform as the scalar PhiloxNormals (normal.hpp).
struct PhiloxNormalsX4 {
  std::uint64_t seed;
  std::uint64_t path0;
  d4 spare;
  d4 operator()(int j) {
    if (j & 1) {
      const std::uint32_t block = static_cast<std::uint32_t>((j - 1) >> 1);
      U32x4x4 c;
      c.w[0] = _mm256_set1_epi64x(block);
      c.w[1] = _mm256_set1_epi64x(kStreamDiffusion);
      const std::uint64_t p = path0;
      c.w[2] = _mm256_set_epi64x(static_cast<std::uint32_t>(p + 3), static_cast<std::uint32_t>(p + 2),
                                 static_cast<std::uint32_t>(p + 1), static_cast<std::uint32_t>(p));
      c.w[3] = _mm256_set_epi64x((p + 3) >> 32, (p + 2) >> 32, (p + 1) >> 32, p >> 32);
      const U32x4x4 r = philox4x32_10_x4(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
      const d4 u1 = uniform_open_x4(r.w[0], r.w[1]), u2 = uniform_open_x4(r.w[2], r.w[3]);
      const d4 rad = vsqrt(-2.0 * vlog(u1));
      d4 s, co;
      vsincos_2pi(u2, s, co);
      spare = rad * s;
      return rad * co;
    }
    return spare;
  }
};

}  // namespace hl
