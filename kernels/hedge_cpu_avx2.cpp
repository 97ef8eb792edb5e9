// AVX2 inner loop of the CPU backend: sixteen paths (four vectors of four) per pass of the hedging loop
// (compiled with -mavx2 -mfma). simd_avx2.hpp first: the d4 overloads must be declared where
// hedge_path's template is defined (vector types have no namespace for argument-dependent lookup to
// search).
#include "kernels/simd_avx2.hpp"
// clang-format off
#include "kernels/cpu_paths.hpp"
#include "kernels/hedge_path.hpp"
// clang-format on

namespace hl {

// The lane type: 16 paths per pass. One GBM path-step cost, single thread (TSC ticks per 4 path-steps):
// about 108 with d8 and 100 with d16, against 153 with d4 at the start; the jump models pay a
// little for it (each jump branch runs when any of the 16 paths jumps): 155 with d8, 163 with d16.
using LanesAvx2 = d16;
constexpr int kLanesAvx2 = LanesAvx2::kLanes;

// hedge_path's per-cell arrays (pos, cash, lin, ...: a dozen) hold MaxCells lane values: with 64 cells
// of 64 or 128 bytes each array is a multiple of 4 KiB, so the entries of cell 0, the only ones a
// one-cell pass touches, all map to one set of the 8-way L1 data cache and evict each other (the d8
// pass ran 10-25 % slower, and erratically). Three more cells, never used, break the power of two.
constexpr int kCellsAvx2 = kMaxCellsPerPassCpu + 3;

// flatten: everything the loop calls is inlined into it (libmvec's functions aside). GCC's own choice
// of what to inline varied with unrelated edits; left out of line, market_step cost some 10 %.
__attribute__((flatten)) void hedge_paths_avx2(const PathParams& P, const CellParams* cells, int ncells,
                                               double short_gamma, std::int64_t p0, std::int64_t p1,
                                               const CpuOut& out) {
  PathOutT<LanesAvx2> po[kMaxCellsPerPassCpu];
  for (std::int64_t p = p0; p < p1; p += kLanesAvx2) {
    // A short last vector computes paths past p1 too; they are dropped (lanes never interact).
    LookaheadNormals<LanesAvx2> z(P.seed, static_cast<std::uint64_t>(p), P.steps);
    hedge_path<LanesAvx2, LookaheadNormals<LanesAvx2>, NoLedger, kCellsAvx2>(P, cells, ncells, z, po, NoLedger{},
                                                                            short_gamma);
    const int lanes = static_cast<int>(p1 - p < kLanesAvx2 ? p1 - p : kLanesAvx2);
    for (int c = 0; c < ncells; ++c)
      for (int l = 0; l < lanes; ++l) {
        const PathOutT<LanesAvx2>& o = po[c];
        store_path(out, c, p + l,
                   PathOut{o.pnl[l], o.cost[l], o.trades[l], o.turnover_shares[l], o.turnover_notional[l],
                           o.jump_pnl[l], o.jumps[l]});
      }
  }
}

void trace_path_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                     std::uint64_t path, int cell, std::vector<LedgerLine>& lines, double& pnl) {
  PathOutT<LanesAvx2> po[kMaxCellsPerPassCpu];
  // The path in lane 0, through the loop of a full run (the same bits); lanes never interact.
  LookaheadNormals<LanesAvx2> z(P.seed, path, P.steps);
  hedge_path<LanesAvx2, LookaheadNormals<LanesAvx2>, KeepCellLedger, kCellsAvx2>(
      P, cells, ncells, z, po, KeepCellLedger{cell, &lines}, short_gamma);
  pnl = po[cell].pnl[0];
}

}  // namespace hl
