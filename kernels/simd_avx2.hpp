#pragma once
// Four paths in lockstep on AVX2 (CPU only; compiled with -mavx2 -mfma): the lane type d4 and the
// word type u4 for the templates of normal.hpp, philox.hpp and hedge_path.hpp. Include this header
// before those: vector types have no namespace, so their overloads must be declared where the
// templates are defined. exp, log, erfc, cbrt and pow go to glibc's libmvec; sin and cos of 2 pi u to
// vmath_avx2.hpp. Both compute each lane on its own, so a path's P&L does not depend on which paths
// share its vector.
#include <immintrin.h>

#include "kernels/hl_hd.hpp"
#include "kernels/vmath_avx2.hpp"

extern "C" {
__m256d _ZGVdN4v_exp(__m256d);
__m256d _ZGVdN4v_log(__m256d);
__m256d _ZGVdN4v_erfc(__m256d);
__m256d _ZGVdN4v_cbrt(__m256d);
__m256d _ZGVdN4vv_pow(__m256d, __m256d);
}

namespace hl {

// d4, i4 and u4 (four doubles, masks, words) are declared in vmath_avx2.hpp.
inline d4 vexp(d4 x) { return (d4)_ZGVdN4v_exp((__m256d)x); }
inline d4 vlog(d4 x) { return (d4)_ZGVdN4v_log((__m256d)x); }
inline d4 verfc(d4 x) { return (d4)_ZGVdN4v_erfc((__m256d)x); }
inline d4 vsqrt(d4 x) { return (d4)_mm256_sqrt_pd((__m256d)x); }
inline d4 vabs(d4 x) { return (d4)((i4)x & ~(i4)(d4{-0.0, -0.0, -0.0, -0.0})); }
inline d4 vpos(d4 x) { return (d4)_mm256_max_pd((__m256d)x, _mm256_setzero_pd()); }
inline d4 vabove(d4 x, double eps) { return (d4)((x > eps) & (i4)(d4{1.0, 1.0, 1.0, 1.0})); }
inline d4 vmin(d4 a, d4 b) { return (d4)_mm256_min_pd((__m256d)a, (__m256d)b); }
inline d4 vmax(d4 a, d4 b) { return (d4)_mm256_max_pd((__m256d)a, (__m256d)b); }
inline d4 vround(d4 x) { return (d4)_mm256_round_pd((__m256d)x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline d4 vcbrt(d4 x) { return (d4)_ZGVdN4v_cbrt((__m256d)x); }
inline d4 vpow(d4 x, d4 y) { return (d4)_ZGVdN4vv_pow((__m256d)x, (__m256d)y); }
inline i4 vgt(d4 a, d4 b) { return a > b; }
inline d4 vselect(i4 m, d4 a, d4 b) { return (d4)_mm256_blendv_pd((__m256d)b, (__m256d)a, (__m256d)m); }
inline bool vany(i4 m) { return _mm256_movemask_pd((__m256d)m) != 0; }
inline d4 vfloor(d4 x) { return (d4)_mm256_floor_pd((__m256d)x); }
inline d4 vgather(const double* p, d4 k) {
  return d4{p[static_cast<long long>(k[0])], p[static_cast<long long>(k[1])], p[static_cast<long long>(k[2])],
            p[static_cast<long long>(k[3])]};
}
inline void vsincos_2pi(d4 u, d4& s, d4& c) { vmath::sincos_2pi(u, s, c); }

// vpmuludq multiplies the low 32 bits of each 64-bit lane: the full product of the Philox round.
inline void mulhilo32(std::uint32_t m, u4 x, u4& hi, u4& lo) {
  const u4 p = (u4)_mm256_mul_epu32((__m256i)x, _mm256_set1_epi64x(m));
  hi = p >> 32;
  lo = p & 0xffffffffULL;
}

// uniform_open() in lanes: k < 2^52 converts exactly through the 2^52 exponent trick (AVX2 has no
// 64-bit integer to double conversion).
inline d4 uniform_open(u4 hi, u4 lo) {
  const u4 k = ((hi << 32) | lo) >> 12;
  const d4 kd = (d4)(k | 0x4330000000000000ULL) - 0x1.0p52;
  return (kd + 0.5) * 0x1.0p-52;
}

}  // namespace hl

#include "kernels/normal.hpp"

namespace hl {

// Normals for paths path0 .. path0 + 3, lane i being path path0 + i.
inline PhiloxNormalsT<d4, u4> philox_normals_x4(std::uint64_t seed, std::uint64_t path0) {
  const u4 p = u4{path0, path0 + 1, path0 + 2, path0 + 3};
  return PhiloxNormalsT<d4, u4>{seed, p & 0xffffffffULL, p >> 32, d4{}};
}

}  // namespace hl
