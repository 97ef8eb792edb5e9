#pragma once
// Paths in lockstep on AVX2 (CPU only; compiled with -mavx2 -mfma): the lane types d4 (four paths), d8
// and d16 (two d4, two d8) and the word type u4 for the templates of normal.hpp, philox.hpp and
// hedge_path.hpp. Include this header before those: vector types have no namespace, so their overloads
// must be declared where the templates are defined. log, erfc, cbrt and pow go to glibc's libmvec;
// exp, and sin and cos of 2 pi u, to vmath_avx2.hpp. Both compute each lane on its own, so a path's
// P&L does not depend on which paths share its vector.
#include <immintrin.h>

#include <utility>

#include "kernels/lanes.hpp"
#include "kernels/simd_avx2_f8.hpp"
#include "kernels/vmath_avx2.hpp"

extern "C" {
__m256d _ZGVdN4v_log(__m256d);
__m256d _ZGVdN4v_erfc(__m256d);
__m256d _ZGVdN4v_cbrt(__m256d);
__m256d _ZGVdN4vv_pow(__m256d, __m256d);
}

namespace hl {

// d4, i4 and u4 (four doubles, masks, words) are declared in vmath_avx2.hpp.
template <>
struct lane_traits<d4> {
  using scalar = double;
};

inline d4 vexp(d4 x) { return vmath::exp(x); }
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

// uniform_open() in lanes: k < 2^52 as the mantissa of 1 + k 2^-52 (AVX2 has no 64-bit integer to
// double conversion); subtracting 1 - 2^-53 leaves (k + 1/2) 2^-52 exactly, as the scalar version.
inline d4 uniform_open(u4 hi, u4 lo) {
  const u4 k = ((hi << 32) | lo) >> 12;
  return (d4)(k | 0x3ff0000000000000ULL) - (1.0 - 0x1.0p-53);
}

// Philox4x32-10 on four counters (philox.hpp's rounds, bit for bit; this overload replaces the template
// for u4). vpmuludq multiplies the low 32 bits of each 64-bit lane, so between rounds the words may
// carry garbage above bit 32 (masked once, at the end), and the round keys stay in vectors.
inline void philox4x32_10_words(u4 c[4], std::uint32_t k0, std::uint32_t k1) {
  __m256i c0 = (__m256i)c[0], c1 = (__m256i)c[1], c2 = (__m256i)c[2], c3 = (__m256i)c[3];
  __m256i key0 = _mm256_set1_epi64x(k0), key1 = _mm256_set1_epi64x(k1);
  const __m256i m0 = _mm256_set1_epi64x(0xD2511F53), m1 = _mm256_set1_epi64x(0xCD9E8D57);
  const __m256i w0 = _mm256_set1_epi64x(0x9E3779B9), w1 = _mm256_set1_epi64x(0xBB67AE85);
  for (int round = 0; round < 10; ++round) {
    const __m256i p0 = _mm256_mul_epu32(c0, m0), p1 = _mm256_mul_epu32(c2, m1);  // hi:lo of each product
    const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1), key0);
    const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), key1);
    c0 = n0;
    c1 = p1;
    c2 = n2;
    c3 = p0;
    key0 = _mm256_add_epi32(key0, w0);  // 32-bit adds: the high halves stay 0
    key1 = _mm256_add_epi32(key1, w1);
  }
  const __m256i low = _mm256_set1_epi64x(0xffffffff);
  c[0] = (u4)_mm256_and_si256(c0, low);
  c[1] = (u4)_mm256_and_si256(c1, low);
  c[2] = (u4)_mm256_and_si256(c2, low);
  c[3] = (u4)_mm256_and_si256(c3, low);
}

// More paths in lockstep: two lane vectors side by side, every operation done on each half (down to
// the d4 code above, so a lane's result is the same bits as in a d4). d8 = two d4, d16 = two d8. With
// more paths per pass of the hedging loop, its scalar bookkeeping (policies, groups, the book, loop
// control: about half of its instructions with four paths) and the latency of each step's chain are
// shared by more paths.
template <class H>
struct LanePair {
  H a, b;
  static constexpr int kLanes = 2 * H::kLanes;
  double operator[](int i) const { return i < H::kLanes ? a[i] : b[i - H::kLanes]; }
};
template <>
struct LanePair<d4> {  // d8
  d4 a, b;
  static constexpr int kLanes = 8;
  double operator[](int i) const { return i < 4 ? a[i] : b[i - 4]; }
};
template <>
struct LanePair<f8> {  // f16: sixteen float paths
  f8 a, b;
  static constexpr int kLanes = 16;
  float operator[](int i) const { return i < 8 ? a[i] : b[i - 8]; }
};
template <class M>
struct MaskPair {  // comparison masks
  M a, b;
};
using d8 = LanePair<d4>;
using d16 = LanePair<d8>;
using f16 = LanePair<f8>;
template <class H>
struct lane_traits<LanePair<H>> {
  using scalar = scalar_t<H>;
};

#define HL_PAIR_OP(OP)                                                                                              \
  template <class H>                                                                                                \
  inline LanePair<H> operator OP(LanePair<H> x, LanePair<H> y) { return {x.a OP y.a, x.b OP y.b}; }                 \
  template <class H>                                                                                                \
  inline LanePair<H> operator OP(LanePair<H> x, scalar_t<H> y) { return {x.a OP y, x.b OP y}; }                     \
  template <class H>                                                                                                \
  inline LanePair<H> operator OP(scalar_t<H> x, LanePair<H> y) { return {x OP y.a, x OP y.b}; }                     \
  template <class H>                                                                                                \
  inline LanePair<H>& operator OP##=(LanePair<H>& x, LanePair<H> y) { return x = x OP y; }                          \
  template <class H>                                                                                                \
  inline LanePair<H>& operator OP##=(LanePair<H>& x, scalar_t<H> y) { return x = x OP y; }
HL_PAIR_OP(+)
HL_PAIR_OP(-)
HL_PAIR_OP(*)
HL_PAIR_OP(/)
#undef HL_PAIR_OP
template <class H>
inline LanePair<H> operator-(LanePair<H> x) { return {-x.a, -x.b}; }

#define HL_PAIR_F1(F)                                                         \
  template <class H>                                                          \
  inline LanePair<H> F(LanePair<H> x) { return {F(x.a), F(x.b)}; }
#define HL_PAIR_F2(F)                                                         \
  template <class H>                                                          \
  inline LanePair<H> F(LanePair<H> x, LanePair<H> y) { return {F(x.a, y.a), F(x.b, y.b)}; }
HL_PAIR_F1(vexp)
HL_PAIR_F1(vlog)
HL_PAIR_F1(verfc)
HL_PAIR_F1(vsqrt)
HL_PAIR_F1(vabs)
HL_PAIR_F1(vpos)
HL_PAIR_F1(vround)
HL_PAIR_F1(vcbrt)
HL_PAIR_F1(vfloor)
HL_PAIR_F2(vmin)
HL_PAIR_F2(vmax)
HL_PAIR_F2(vpow)
#undef HL_PAIR_F1
#undef HL_PAIR_F2
template <class H>
inline LanePair<H> vabove(LanePair<H> x, scalar_t<H> eps) { return {vabove(x.a, eps), vabove(x.b, eps)}; }
template <class H>
inline auto vgt(LanePair<H> x, LanePair<H> y) {
  return MaskPair<decltype(vgt(x.a, y.a))>{vgt(x.a, y.a), vgt(x.b, y.b)};
}
template <class H, class M>
inline LanePair<H> vselect(MaskPair<M> m, LanePair<H> x, LanePair<H> y) {
  return {vselect(m.a, x.a, y.a), vselect(m.b, x.b, y.b)};
}
inline i4 mask_or(i4 m) { return m; }
inline m8 mask_or(m8 m) { return m; }
template <class M>
inline auto mask_or(MaskPair<M> m) {
  return mask_or(m.a) | mask_or(m.b);
}
template <class M>
inline bool vany(MaskPair<M> m) {
  return vany(mask_or(m));  // one branch for all lanes
}
template <class H>
inline LanePair<H> vgather(const double* p, LanePair<H> k) { return {vgather(p, k.a), vgather(p, k.b)}; }
template <class H>
inline void vsincos_2pi(LanePair<H> u, LanePair<H>& s, LanePair<H>& c) {
  vsincos_2pi(u.a, s.a, c.a);
  vsincos_2pi(u.b, s.b, c.b);
}
// The i-th vector of four lanes of a lane type (i from 0).
inline d4& quad(d4& x, int) { return x; }
template <class H>
inline d4& quad(LanePair<H>& x, int i) {
  constexpr int half = LanePair<H>::kLanes / 8;
  return i < half ? quad(x.a, i) : quad(x.b, i - half);
}

// Mixed precision on eight paths: float lanes (f8) widened to the double accumulators (d8).
template <>
inline d8 widen<d8, f8>(f8 x) {
  const __m256 v = (__m256)x;
  return d8{(d4)_mm256_cvtps_pd(_mm256_castps256_ps128(v)), (d4)_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))};
}
template <>
inline d16 widen<d16, f16>(f16 x) {
  return d16{widen<d8>(x.a), widen<d8>(x.b)};
}

}  // namespace hl

#include "kernels/normal.hpp"

namespace hl {

// Normals for paths path0 .. path0 + 3, lane i being path path0 + i.
inline PhiloxNormalsT<d4, u4> philox_normals_x4(std::uint64_t seed, std::uint64_t path0) {
  const u4 p = u4{path0, path0 + 1, path0 + 2, path0 + 3};
  return PhiloxNormalsT<d4, u4>{seed, p & 0xffffffffULL, p >> 32, d4{}};
}

// Philox4x32-10 for the diffusion normals of four paths (stream 0), with what does not change from one
// block to the next done once per vector of paths: the round keys (vectors, read as memory operands),
// and the first two rounds' products that involve only the path words. The same words as philox_draw.
struct DiffusionPhiloxX4 {
  __m256i key0[10], key1[10];  // the round keys
  __m256i a, b, c;             // after round 1: c0 = a, c1 = b, c2 = c ^ hi(block M0), c3 = lo(block M0)
  __m256i e, f, dlo;           // round 2: c0 = hi(c2 M1) ^ e, c2 = f ^ lo(block M0), c3 = dlo
  DiffusionPhiloxX4(std::uint64_t seed, u4 path_lo, u4 path_hi) {
    std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int r = 0; r < 10; ++r, k0 += 0x9E3779B9u, k1 += 0xBB67AE85u) {
      key0[r] = _mm256_set1_epi64x(k0);
      key1[r] = _mm256_set1_epi64x(k1);
    }
    const __m256i m0 = _mm256_set1_epi64x(0xD2511F53), m1 = _mm256_set1_epi64x(0xCD9E8D57);
    const __m256i p1 = _mm256_mul_epu32((__m256i)path_lo, m1);  // round 1: c2 M1, the same for every block
    a = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), key0[0]);  // c1 = stream 0
    b = p1;
    c = _mm256_xor_si256((__m256i)path_hi, key1[0]);
    const __m256i p0 = _mm256_mul_epu32(a, m0);  // round 2: c0 M0, the same for every block
    dlo = p0;
    e = _mm256_xor_si256(b, key0[1]);
    f = _mm256_xor_si256(_mm256_srli_epi64(p0, 32), key1[1]);
  }
  // The four words of block `block`, in the low halves of the 64-bit lanes; the high halves carry
  // garbage (uniform() and the tests read the low halves only).
  void words(std::uint32_t block, __m256i w[4]) const {
    const __m256i m0 = _mm256_set1_epi64x(0xD2511F53), m1 = _mm256_set1_epi64x(0xCD9E8D57);
    const std::uint64_t q = static_cast<std::uint64_t>(block) * 0xD2511F53u;  // round 1: c0 M0
    const __m256i qhi = _mm256_set1_epi64x(static_cast<long long>(q >> 32));
    const __m256i qlo = _mm256_set1_epi64x(static_cast<long long>(q & 0xffffffffu));
    // After round 1: c0 = a, c1 = b, c2 = c ^ hi(q), c3 = lo(q).
    const __m256i p1 = _mm256_mul_epu32(_mm256_xor_si256(c, qhi), m1);  // round 2
    __m256i c0 = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), e);
    __m256i c1 = p1;
    __m256i c2 = _mm256_xor_si256(f, qlo);
    __m256i c3 = dlo;
    for (int r = 2; r < 10; ++r) {
      const __m256i p0 = _mm256_mul_epu32(c0, m0), q1 = _mm256_mul_epu32(c2, m1);
      c0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(q1, 32), c1), key0[r]);
      c2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), key1[r]);
      c1 = q1;
      c3 = p0;
    }
    w[0] = c0;
    w[1] = c1;
    w[2] = c2;
    w[3] = c3;
  }
  // uniform_open(hi, lo) of two such words: lo's low half under hi's, with no masking.
  static d4 uniform(__m256i hi, __m256i lo) {
    const u4 k = (u4)_mm256_blend_epi32(lo, _mm256_slli_epi64(hi, 32), 0xaa) >> 12;
    return (d4)(k | 0x3ff0000000000000ULL) - (1.0 - 0x1.0p-53);
  }
  void normal_pair(std::uint32_t block, d4& z0, d4& z1) const {
    __m256i w[4];
    words(block, w);
    box_muller(uniform(w[0], w[1]), uniform(w[2], w[3]), z0, z1);
  }
};

// The diffusion normals of R::kLanes paths (R = d8, d16; philox_normals_x4's for each four, bit for
// bit), drawn one pair ahead: at the odd step j the pair of steps j, j+1 is already there, and the pair
// of steps j+2, j+3 is drawn. Drawn when asked for, a normal (Philox, log, sqrt, sin, cos: a dependency
// chain of some 150 cycles) led the step's whole chain (log S, exp, N(d1), the trade), which the
// out-of-order window, less than a step wide, could not hide; drawn ahead, it overlaps the step before.
// (Drawn further ahead, in batches of 2 to 42 pairs, or split over two steps, it overlapped less:
// slower.) The other streams (jumps, Heston's variance, regime switches) are drawn on demand.
// The diffusion normal of step j (j = 1, 2, ... in order) from a source that draws Box-Muller pairs by
// block (pair(b, x, y): the normals of steps 2b + 1 and 2b + 2), one pair ahead: at the odd step j the
// pair of steps j, j+1 is already in (n0, n1) and moves to (z0, z1), and the pair of steps j+2, j+3 is
// drawn where it lies within steps.
template <class R, class Pair>
inline R normal_ahead(int j, int steps, int& block, R& z0, R& z1, R& n0, R& n1, Pair pair) {
  if (j & 1) {
    const int b = (j - 1) >> 1;
    if (b == block + 1 && block >= 0) {
      z0 = n0;
      z1 = n1;
    } else {
      pair(static_cast<std::uint32_t>(b), z0, z1);
    }
    block = b;
    if (2 * b + 3 <= steps) pair(static_cast<std::uint32_t>(b + 1), n0, n1);
    return z0;
  }
  return z1;
}

template <class R>
struct LookaheadNormals {
  static constexpr int kQuads = R::kLanes / 4;
  PhiloxNormalsT<d4, u4> p[kQuads];  // the other streams, four paths each
  DiffusionPhiloxX4 d[kQuads];
  int steps;          // the last step asked for
  int block = -1;     // the pair in z0, z1
  R z0, z1, n0, n1;   // this pair; the next pair (block + 1), drawn where it lies within steps
  LookaheadNormals(std::uint64_t seed, std::uint64_t path0, int steps_)
      : LookaheadNormals(seed, path0, steps_, std::make_integer_sequence<int, kQuads>{}) {}
  template <int... Q>
  LookaheadNormals(std::uint64_t seed, std::uint64_t path0, int steps_, std::integer_sequence<int, Q...>)
      : p{philox_normals_x4(seed, path0 + 4 * Q)...}, d{DiffusionPhiloxX4(seed, p[Q].path_lo, p[Q].path_hi)...},
        steps(steps_) {}
  void pair(std::uint32_t b, R& x, R& y) const {
#pragma GCC unroll 8
    for (int q = 0; q < kQuads; ++q) d[q].normal_pair(b, quad(x, q), quad(y, q));
  }
  R operator()(int j) {
    return normal_ahead(j, steps, block, z0, z1, n0, n1,
                        [this](std::uint32_t b, R& x, R& y) { pair(b, x, y); });
  }
  void uniform_pair(std::uint32_t stream, std::uint32_t blk, R& u0, R& u1) const {
#pragma GCC unroll 8
    for (int q = 0; q < kQuads; ++q) p[q].uniform_pair(stream, blk, quad(u0, q), quad(u1, q));
  }
  void normal_pair(std::uint32_t stream, std::uint32_t blk, R& z0_, R& z1_) const {
#pragma GCC unroll 8
    for (int q = 0; q < kQuads; ++q) p[q].normal_pair(stream, blk, quad(z0_, q), quad(z1_, q));
  }
};

}  // namespace hl
