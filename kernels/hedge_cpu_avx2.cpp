// AVX2 inner loop of the CPU backend: sixteen paths (four vectors of four) per pass of the hedging loop
// (compiled with -mavx2 -mfma). simd_avx2.hpp first: the d4 overloads must be declared where
// hedge_path's template is defined (vector types have no namespace for argument-dependent lookup to
// search).
#include "kernels/simd_avx2.hpp"
// clang-format off
#include "kernels/cpu_loop.hpp"
// clang-format on

namespace hl {

// The lane type: 16 paths per pass. One GBM path-step cost, single thread (TSC ticks per 4 path-steps):
// about 108 with d8 and 100 with d16, against 153 with d4 at the start; the jump models pay a
// little for it (each jump branch runs when any of the 16 paths jumps): 155 with d8, 163 with d16.
using LanesAvx2 = d16;

// flatten: everything the loop calls is inlined into it (libmvec's functions aside). GCC's own choice
// of what to inline varied with unrelated edits; left out of line, market_step cost some 10 %.
__attribute__((flatten)) void hedge_paths_avx2(const PathParams& P, const CellParams* cells, int ncells,
                                               double short_gamma, std::int64_t p0, std::int64_t p1,
                                               const CpuOut& out) {
  hedge_paths_lanes<LanesAvx2, LanesAvx2, kCellsPadded>(
      P, cells, ncells, short_gamma, p0, p1, out,
      [&](std::uint64_t p) { return LookaheadNormals<LanesAvx2>(P.seed, p, P.steps); });
}

void trace_path_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                     std::uint64_t path, int cell, std::vector<LedgerLine>& lines, double& pnl) {
  pnl = trace_path_lanes<LanesAvx2, LanesAvx2, kCellsPadded>(
      P, cells, ncells, short_gamma, path, cell, lines,
      [&](std::uint64_t p) { return LookaheadNormals<LanesAvx2>(P.seed, p, P.steps); });
}

}  // namespace hl
