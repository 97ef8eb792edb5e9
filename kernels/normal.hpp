#pragma once
// Uniforms and standard normals from Philox output.
#include "kernels/lanes.hpp"
#include "kernels/philox.hpp"

namespace hl {

// Uniform in the open interval (0, 1) from two 32-bit words: (k + 0.5) 2^-52 with k in [0, 2^52).
// Every value is exact in double and lies in [2^-53, 1 - 2^-53]: never 0, never rounded up to 1.
HL_HD double uniform_open(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t k = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 12;
  return (static_cast<double>(k) + 0.5) * 0x1.0p-52;
}

// Box-Muller (1958): two independent N(0,1) from two uniforms. u1 > 0 always, so log is finite.
HL_HD void box_muller(double u1, double u2, double& z0, double& z1) {
  const double r = vsqrt(-2.0 * vlog(u1));
  double s, c;
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

}  // namespace hl
