#pragma once
// The AVX2 lane functions over arrays (tests/vmath_avx2_kernels.cpp, compiled with -mavx2 -mfma).
#include <cstdint>

namespace hl::test {
// exp (vmath::exp).
void avx2_exp(const double* x, double* y, long n);
// sin and cos of 2 pi u (vmath::sincos_2pi).
void avx2_sincos_2pi(const double* u, double* s, double* c, long n);
// philox4x32_10_words on the u4 counters (block, stream, path lo, path hi) of paths path0 .. path0 + 3:
// words[4 * lane + i].
void avx2_philox_words(std::uint64_t seed, std::uint64_t path0, std::uint32_t stream, std::uint32_t block,
                       std::uint32_t words[16]);
// The same from DiffusionPhiloxX4 (stream 0).
void avx2_diffusion_words(std::uint64_t seed, std::uint64_t path0, std::uint32_t block, std::uint32_t words[16]);
// uniform_open on four (hi, lo) pairs.
void avx2_uniform_open(const std::uint32_t hi[4], const std::uint32_t lo[4], double u[4]);
// uniform_open_f and uniform_radius_f (simd_avx2_f8.hpp) on eight words.
void avx2_uniforms_f(const std::uint32_t hi[8], float open[8], float radius[8]);
// The diffusion normals of paths path0 .. path0 + lanes - 1 (lanes 8 or 16) for steps 1 .. steps from
// LookaheadNormals<d8 or d16> (the AVX2 loop's source) and from PhiloxNormalsT<d4, u4> (the template), four
// paths at a time: the number of values whose bits differ, and the normals of path path0 in z0[0 .. steps).
long avx2_lookahead_mismatches(int lanes, std::uint64_t seed, std::uint64_t path0, int steps, double* z0);
}  // namespace hl::test
