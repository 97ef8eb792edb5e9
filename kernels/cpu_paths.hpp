#pragma once
// The CPU backend's inner loop: hedge paths [p0, p1) for one pass of cells and write each path's
// results to out arrays laid out [cell][path] (element (c, p) at c * stride + p).
#include <cstdint>

#include "kernels/params.hpp"

namespace hl {

struct CpuOut {
  double* pnl;
  double* cost;
  std::uint32_t* trades;
  std::int64_t stride;
};

void hedge_paths_scalar(const PathParams& P, const CellParams* cells, int ncells, std::int64_t p0,
                        std::int64_t p1, const CpuOut& out);
void hedge_paths_avx2(const PathParams& P, const CellParams* cells, int ncells, std::int64_t p0, std::int64_t p1,
                      const CpuOut& out);

// The loop this CPU runs: "avx2" (4 paths per vector, needs AVX2 and FMA) or "scalar".
// HEDGELAB_CPU_SIMD=scalar forces the scalar loop.
const char* cpu_simd();

}  // namespace hl
