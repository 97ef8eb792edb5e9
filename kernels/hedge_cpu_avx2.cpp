// AVX2 inner loop of the CPU backend: four paths per vector (compiled with -mavx2 -mfma).
// simd_avx2.hpp first: the d4 overloads must be declared where hedge_path's template is defined
// (vector types have no namespace for argument-dependent lookup to search).
#include "kernels/simd_avx2.hpp"
// clang-format off
#include "kernels/cpu_paths.hpp"
#include "kernels/hedge_path.hpp"
// clang-format on

namespace hl {

// flatten: everything the loop calls is inlined into it (libmvec's functions aside). GCC's own choice
// of what to inline varied with unrelated edits; left out of line, market_step cost some 10 %.
__attribute__((flatten)) void hedge_paths_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::int64_t p0,
                      std::int64_t p1, const CpuOut& out) {
  PathOutT<d4> po[kMaxCellsPerPassCpu];
  for (std::int64_t p = p0; p < p1; p += 4) {
    // A short last vector computes paths past p1 too; they are dropped (lanes never interact).
    LookaheadNormalsX4 z(P.seed, static_cast<std::uint64_t>(p), P.steps);
    hedge_path<d4, LookaheadNormalsX4, NoLedger, kMaxCellsPerPassCpu>(P, cells, ncells, z, po, NoLedger{}, short_gamma);
    const int lanes = static_cast<int>(p1 - p < 4 ? p1 - p : 4);
    for (int c = 0; c < ncells; ++c)
      for (int l = 0; l < lanes; ++l) {
        const PathOutT<d4>& o = po[c];
        store_path(out, c, p + l,
                   PathOut{o.pnl[l], o.cost[l], o.trades[l], o.turnover_shares[l], o.turnover_notional[l],
                           o.jump_pnl[l], o.jumps[l]});
      }
  }
}

namespace {
// Keeps lane 0 of one cell's ledger rows.
struct Lane0Ledger {
  static constexpr bool active = true;
  int cell;
  std::vector<LedgerLine>* lines;
  void operator()(const LedgerRow<d4>& r) const {
    if (r.cell == cell)
      lines->push_back({r.step, r.spot[0], r.position[0], r.trade[0], r.fee[0], r.cash[0], r.book_cash[0]});
  }
};
}  // namespace

void trace_path_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                     std::uint64_t path, int cell, std::vector<LedgerLine>& lines, double& pnl) {
  PathOutT<d4> po[kMaxCellsPerPassCpu];
  LookaheadNormalsX4 z(P.seed, path, P.steps);  // the path in lane 0; lanes never interact
  hedge_path<d4, LookaheadNormalsX4, Lane0Ledger, kMaxCellsPerPassCpu>(P, cells, ncells, z, po, Lane0Ledger{cell, &lines},
                                                                 short_gamma);
  pnl = po[cell].pnl[0];
}

}  // namespace hl
