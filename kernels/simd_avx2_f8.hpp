#pragma once
// Eight float paths in lockstep on AVX2 (CPU only; compiled with -mavx2 -mfma): the lane type f8 of the
// fp32 and mixed precision loops (hedge_cpu_avx2_f32.cpp), with its mask type m8 and word type w8
// (eight 32-bit words). Included by simd_avx2.hpp before normal.hpp, for the reason given there:
// vector types have no namespace, so these overloads must be declared where the templates are
// defined. exp, log, erfc, sin, cos, cbrt and pow go to glibc's libmvec (the single-precision vector
// variants, within 4 ulp), which computes each lane from its own input, so a path's P&L does not
// depend on which paths share its vector.
#include <immintrin.h>

#include <cstdint>

#include "kernels/lanes.hpp"

extern "C" {
__m256 _ZGVdN8v_expf(__m256);
__m256 _ZGVdN8v_logf(__m256);
__m256 _ZGVdN8v_erfcf(__m256);
__m256 _ZGVdN8v_sinf(__m256);
__m256 _ZGVdN8v_cosf(__m256);
__m256 _ZGVdN8v_cbrtf(__m256);
__m256 _ZGVdN8vv_powf(__m256, __m256);
}

namespace hl {

typedef float f8 __attribute__((vector_size(32)));          // eight paths' values
typedef int m8 __attribute__((vector_size(32)));            // comparison masks
typedef std::uint32_t w8 __attribute__((vector_size(32)));  // eight 32-bit Philox words

template <>
struct lane_traits<f8> {
  using scalar = float;
};

inline f8 vexp(f8 x) { return (f8)_ZGVdN8v_expf((__m256)x); }
inline f8 vlog(f8 x) { return (f8)_ZGVdN8v_logf((__m256)x); }
inline f8 verfc(f8 x) { return (f8)_ZGVdN8v_erfcf((__m256)x); }
inline f8 vsqrt(f8 x) { return (f8)_mm256_sqrt_ps((__m256)x); }
inline f8 vabs(f8 x) { return (f8)((m8)x & 0x7fffffff); }
inline f8 vpos(f8 x) { return (f8)_mm256_max_ps((__m256)x, _mm256_setzero_ps()); }
inline f8 vabove(f8 x, float eps) { return (f8)((x > eps) & (m8)(f8{} + 1.0f)); }
inline f8 vmin(f8 a, f8 b) { return (f8)_mm256_min_ps((__m256)a, (__m256)b); }
inline f8 vmax(f8 a, f8 b) { return (f8)_mm256_max_ps((__m256)a, (__m256)b); }
inline f8 vround(f8 x) { return (f8)_mm256_round_ps((__m256)x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline f8 vcbrt(f8 x) { return (f8)_ZGVdN8v_cbrtf((__m256)x); }
inline f8 vpow(f8 x, f8 y) { return (f8)_ZGVdN8vv_powf((__m256)x, (__m256)y); }
inline m8 vgt(f8 a, f8 b) { return a > b; }
inline f8 vselect(m8 m, f8 a, f8 b) { return (f8)_mm256_blendv_ps((__m256)b, (__m256)a, (__m256)m); }
inline bool vany(m8 m) { return _mm256_movemask_ps((__m256)m) != 0; }
inline f8 vfloor(f8 x) { return (f8)_mm256_floor_ps((__m256)x); }
inline f8 vgather(const double* p, f8 k) {
  f8 r;
  for (int i = 0; i < 8; ++i) r[i] = static_cast<float>(p[static_cast<long long>(k[i])]);
  return r;
}
// sin and cos of 2 pi u, as the scalar float loop computes them: of the float product 2 pi u.
inline void vsincos_2pi(f8 u, f8& s, f8& c) {
  const f8 x = static_cast<float>(kTwoPi) * u;
  s = (f8)_ZGVdN8v_sinf((__m256)x);
  c = (f8)_ZGVdN8v_cosf((__m256)x);
}

// uniform_open_f and uniform_radius_f (normal.hpp) in lanes, from the same words and to the same bits.
// hi >> 8 < 2^24 converts exactly as a signed integer. AVX2 converts no unsigned integer, so hi is
// split in two exact halves whose sum is rounded once: float(hi) exactly as the scalar cast rounds it.
inline f8 uniform_open_f(w8 hi) {
  return __builtin_convertvector((m8)(hi >> 8), f8) * 0x1.0p-24f + 0x1.0p-25f;
}
inline f8 uniform_radius_f(w8 hi) {
  const f8 h = __builtin_convertvector((m8)(hi >> 16), f8) * 65536.0f + __builtin_convertvector((m8)(hi & 0xffffu), f8);
  return h * 0x1.0p-32f + 0x1.0p-33f;
}

}  // namespace hl
