#pragma once
// Uniforms and standard normals from Philox output, written once over the word type W and the lane
// type R (std::uint32_t and double for one path; vectors of paths in simd_avx2.hpp).
#include <type_traits>

#include "kernels/lanes.hpp"
#include "kernels/philox.hpp"

namespace hl {

// Uniform in the open interval (0, 1) from two 32-bit words: (k + 0.5) 2^-52 with k = (hi:lo) >> 12.
// Every value is exact in double and lies in [2^-53, 1 - 2^-53]: never 0, never rounded up to 1.
HL_HD double uniform_open(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t k = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 12;
  return (static_cast<double>(k) + 0.5) * 0x1.0p-52;
}

// Single-precision uniforms (fp32 and mixed precision) from the same words, so that a float path
// follows its double twin to float rounding. uniform_open_f: (k + 0.5) 2^-24 with k the top 24 bits of
// hi, exact in float, in [2^-25, 1 - 2^-25]: never 0 or 1 (jump counts, regime switches, Kou sizes,
// the Box-Muller angle). uniform_radius_f: hi 2^-32 + 2^-33, for the Box-Muller radius, so that the
// normals' tails reach |z| = sqrt(66 ln 2) = 6.77 (P(|Z| > 6.77) = 1.3e-11) instead of the 5.9 of 24
// bits; it is in (0, 1], and 1 (r = 0) is harmless there.
HL_HD float uniform_open_f(std::uint32_t hi) { return static_cast<float>(hi >> 8) * 0x1.0p-24f + 0x1.0p-25f; }
HL_HD float uniform_radius_f(std::uint32_t hi) { return static_cast<float>(hi) * 0x1.0p-32f + 0x1.0p-33f; }

// The uniform of a lane type from two words: double lanes use all 52 bits (uniform_open), float lanes
// the high word (uniform_radius_f for the Box-Muller radius when Radius, else uniform_open_f).
template <class R, bool Radius = false, class W>
HL_HD R lane_uniform(W hi, W lo) {
  if constexpr (std::is_same_v<R, float>) {
    (void)lo;
    return Radius ? uniform_radius_f(hi) : uniform_open_f(hi);
  } else {
    return uniform_open(hi, lo);
  }
}

// Box-Muller (1958): two independent N(0,1) from two uniforms. u1 > 0 always, so log is finite.
template <class R>
HL_HD void box_muller(R u1, R u2, R& z0, R& z1) {
  using T = scalar_t<R>;
  const R r = vsqrt(T(-2.0) * vlog(u1));
  R s, c;
  vsincos_2pi(u2, s, c);
  z0 = r * c;
  z1 = r * s;
}

// The pair of normals for steps 2*block+1 and 2*block+2 of a path (steps counted from 1).
HL_HD void normal_pair(std::uint64_t seed, std::uint64_t path, std::uint32_t stream, std::uint32_t block,
                       double& z0, double& z1) {
  const U32x4 r = philox_draw(seed, path, stream, block);
  box_muller(uniform_open(r.v[0], r.v[1]), uniform_open(r.v[2], r.v[3]), z0, z1);
}

// The normal source of the hedging loop: Philox normals keyed by (seed, path, step), for one path
// (W = std::uint32_t, R = double) or a vector of paths. operator()(j) is called for j = 1, 2, ...,
// steps in order; odd steps draw a Box-Muller pair, even steps use its second half.
template <class R, class W>
struct PhiloxNormalsT {
  std::uint64_t seed;
  W path_lo, path_hi;  // counter words 2 and 3
  R spare;
  HL_HD R operator()(int j) {
    if (j & 1) {
      W c[4] = {W{} + static_cast<std::uint32_t>((j - 1) >> 1), W{} + static_cast<std::uint32_t>(kStreamDiffusion), path_lo, path_hi};
      philox4x32_10_words(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
      R z0;
      box_muller(lane_uniform<R, true>(c[0], c[1]), lane_uniform<R>(c[2], c[3]), z0, spare);
      return z0;
    }
    return spare;
  }
  // Two uniforms, or two normals, from counter (block, stream) of this path: the models' other draws.
  HL_HD void uniform_pair(std::uint32_t stream, std::uint32_t block, R& u0, R& u1) const {
    W c[4] = {W{} + block, W{} + stream, path_lo, path_hi};
    philox4x32_10_words(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
    u0 = lane_uniform<R>(c[0], c[1]);
    u1 = lane_uniform<R>(c[2], c[3]);
  }
  HL_HD void normal_pair(std::uint32_t stream, std::uint32_t block, R& z0, R& z1) const {
    W c[4] = {W{} + block, W{} + stream, path_lo, path_hi};
    philox4x32_10_words(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
    box_muller(lane_uniform<R, true>(c[0], c[1]), lane_uniform<R>(c[2], c[3]), z0, z1);
  }
};

using PhiloxNormals = PhiloxNormalsT<double, std::uint32_t>;

HL_HD PhiloxNormals philox_normals(std::uint64_t seed, std::uint64_t path) {
  return PhiloxNormals{seed, static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(path >> 32), 0.0};
}

// One path's normals in float lanes (fp32 and mixed precision).
using PhiloxNormalsF = PhiloxNormalsT<float, std::uint32_t>;
HL_HD PhiloxNormalsF philox_normals_f(std::uint64_t seed, std::uint64_t path) {
  return PhiloxNormalsF{seed, static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(path >> 32), 0.0f};
}

}  // namespace hl
