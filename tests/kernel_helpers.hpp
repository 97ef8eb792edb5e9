#pragma once
// Runs the per-path kernel on injected normals, for hand-checked tests.
#include <vector>

#include "host/plan.hpp"
#include "kernels/hedge_path.hpp"

namespace hl::test {

// The diffusion normals injected; the models' other draws (jumps, variance, regime) from Philox with
// seed `seed` and path 0.
struct ArrayNormals {
  const double* z;
  std::uint64_t seed = 0;
  double operator()(int j) const { return z[j - 1]; }
  void uniform_pair(std::uint32_t stream, std::uint32_t block, double& u0, double& u1) const {
    philox_normals(seed, 0).uniform_pair(stream, block, u0, u1);
  }
  void normal_pair(std::uint32_t stream, std::uint32_t block, double& z0, double& z1) const {
    philox_normals(seed, 0).normal_pair(stream, block, z0, z1);
  }
};

// Every cell of a plan on one path with normals z[0..steps), passes in order.
inline std::vector<PathOut> kernel_path(const Plan& plan, const std::vector<double>& z) {
  std::vector<PathOut> out;
  for (const Pass& pass : make_passes(plan.job, kMaxCellsPerPassCpu)) {
    const PathGroup& g = plan.job.groups[pass.group];
    const PathParams P = host_params(g);
    std::vector<PathOut> po(pass.count);
    ArrayNormals normals{z.data(), 0};
    hedge_path<double, ArrayNormals, NoLedger, kMaxCellsPerPassCpu>(P, pass.cells.data(), pass.count, normals, po.data(),
                                                                        NoLedger{}, g.short_gamma);
    out.insert(out.end(), po.begin(), po.end());
  }
  return out;
}

}  // namespace hl::test
