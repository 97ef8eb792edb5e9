// Array entry points to the AVX2 lane functions, for tests/test_vmath.cpp. Compiled with -mavx2 -mfma
// like kernels/hedge_cpu_avx2.cpp; call only where cpu_simd() is "avx2".
#include "kernels/simd_avx2.hpp"

#include <cstring>
#include <vector>

#include "vmath_avx2_kernels.hpp"

namespace hl::test {

void avx2_exp(const double* x, double* y, long n) {
  for (long i = 0; i < n; i += 4) {
    d4 v{};
    for (long l = 0; l < 4 && i + l < n; ++l) v[l] = x[i + l];
    const d4 r = vmath::exp(v);
    for (long l = 0; l < 4 && i + l < n; ++l) y[i + l] = r[l];
  }
}

void avx2_sincos_2pi(const double* u, double* s, double* c, long n) {
  for (long i = 0; i < n; i += 4) {
    d4 v{};
    for (long l = 0; l < 4 && i + l < n; ++l) v[l] = u[i + l];
    d4 vs, vc;
    vmath::sincos_2pi(v, vs, vc);
    for (long l = 0; l < 4 && i + l < n; ++l) s[i + l] = vs[l], c[i + l] = vc[l];
  }
}

void avx2_philox_words(std::uint64_t seed, std::uint64_t path0, std::uint32_t stream, std::uint32_t block,
                       std::uint32_t words[16]) {
  const PhiloxNormalsT<d4, u4> z = philox_normals_x4(seed, path0);
  u4 c[4] = {u4{} + block, u4{} + stream, z.path_lo, z.path_hi};
  philox4x32_10_words(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
  for (int l = 0; l < 4; ++l)
    for (int i = 0; i < 4; ++i) words[4 * l + i] = static_cast<std::uint32_t>(c[i][l]);
}

void avx2_diffusion_words(std::uint64_t seed, std::uint64_t path0, std::uint32_t block, std::uint32_t words[16]) {
  const PhiloxNormalsT<d4, u4> z = philox_normals_x4(seed, path0);
  const DiffusionPhiloxX4 d(seed, z.path_lo, z.path_hi);
  __m256i w[4];
  d.words(block, w);
  for (int l = 0; l < 4; ++l)
    for (int i = 0; i < 4; ++i) words[4 * l + i] = static_cast<std::uint32_t>(((u4)w[i])[l]);
}

void avx2_uniform_open(const std::uint32_t hi[4], const std::uint32_t lo[4], double u[4]) {
  const d4 v = uniform_open(u4{hi[0], hi[1], hi[2], hi[3]}, u4{lo[0], lo[1], lo[2], lo[3]});
  for (int l = 0; l < 4; ++l) u[l] = v[l];
}

namespace {
template <class R>
long lookahead_mismatches(std::uint64_t seed, std::uint64_t path0, int steps, double* z0) {
  LookaheadNormals<R> a(seed, path0, steps);
  std::vector<PhiloxNormalsT<d4, u4>> b;
  for (int q = 0; q < R::kLanes / 4; ++q) b.push_back(philox_normals_x4(seed, path0 + 4 * q));
  long bad = 0;
  for (int j = 1; j <= steps; ++j) {
    R x = a(j);
    for (int q = 0; q < R::kLanes / 4; ++q) {
      const d4 y = b[q](j), xq = quad(x, q);
      for (int l = 0; l < 4; ++l) {
        const double xl = xq[l], yl = y[l];
        bad += std::memcmp(&xl, &yl, sizeof xl) != 0;
      }
    }
    z0[j - 1] = x[0];
  }
  return bad;
}
}  // namespace

long avx2_lookahead_mismatches(int lanes, std::uint64_t seed, std::uint64_t path0, int steps, double* z0) {
  return lanes == 8 ? lookahead_mismatches<d8>(seed, path0, steps, z0)
                    : lookahead_mismatches<d16>(seed, path0, steps, z0);
}

void avx2_uniforms_f(const std::uint32_t hi[8], float open[8], float radius[8]) {
  w8 w;
  for (int l = 0; l < 8; ++l) w[l] = hi[l];
  const f8 o = uniform_open_f(w), r = uniform_radius_f(w);
  for (int l = 0; l < 8; ++l) open[l] = o[l], radius[l] = r[l];
}

}  // namespace hl::test
