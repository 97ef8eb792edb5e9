#pragma once
// The one shape of every CPU loop (scalar and AVX2, every precision): paths [p0, p1) a lane at a time
// through hedge_path(), each path's results stored in double; and the trace of one path through the
// same loop. Where the lane is a vector type, include simd_avx2.hpp before this header (its overloads
// must be declared where hedge_path's template is defined).
#include <type_traits>

#include "kernels/cpu_paths.hpp"
#include "kernels/hedge_path.hpp"

namespace hl {

// Paths per pass of a lane type: 1 for a scalar lane, R::kLanes for a vector of paths.
template <class R>
constexpr int lanes_of() {
  if constexpr (std::is_arithmetic_v<R>)
    return 1;
  else
    return R::kLanes;
}

// hedge_path's per-cell arrays (pos, cash, lin, ...: a dozen) hold MaxCells lane values: with 64 cells
// of 64 or 128 bytes each array is a multiple of 4 KiB, so the entries of cell 0, the only ones a
// one-cell pass touches, all map to one set of the 8-way L1 data cache and evict each other (the AVX2
// d8 pass ran 10-25 % slower, and erratically). Three more cells, never used, break the power of two.
constexpr int kCellsPadded = kMaxCellsPerPassCpu + 3;

// Hedges paths [p0, p1) of one pass, lanes_of<R>() at a time; make(path0) gives the normal source of
// paths path0, path0 + 1, ... A short last vector computes paths past p1 too; they are dropped (lanes
// never interact).
template <class R, class A, int MaxCells, class MakeNormals>
inline void hedge_paths_lanes(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                              std::int64_t p0, std::int64_t p1, const CpuOut& out, MakeNormals make) {
  constexpr int kLanes = lanes_of<R>();
  PathOutT<A> po[kMaxCellsPerPassCpu];
  for (std::int64_t p = p0; p < p1; p += kLanes) {
    auto z = make(static_cast<std::uint64_t>(p));
    hedge_path<R, decltype(z), NoLedger, MaxCells, A>(P, cells, ncells, z, po, NoLedger{}, short_gamma);
    const int lanes = static_cast<int>(p1 - p < kLanes ? p1 - p : kLanes);
    for (int c = 0; c < ncells; ++c)
      for (int l = 0; l < lanes; ++l) {
        const PathOutT<A>& o = po[c];
        store_path(out, c, p + l,
                   PathOut{lane(o.pnl, l), lane(o.cost, l), lane(o.trades, l), lane(o.turnover_shares, l),
                           lane(o.turnover_notional, l), lane(o.jump_pnl, l), lane(o.jumps, l)});
      }
  }
}

// The ledger of path `path` in cell `cell` through the same loop (the path in lane 0: the same bits as
// in a full run); returns the path's final P&L in that cell.
template <class R, class A, int MaxCells, class MakeNormals>
inline double trace_path_lanes(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                               std::uint64_t path, int cell, std::vector<LedgerLine>& lines, MakeNormals make) {
  PathOutT<A> po[kMaxCellsPerPassCpu];
  auto z = make(path);
  hedge_path<R, decltype(z), KeepCellLedger, MaxCells, A>(P, cells, ncells, z, po, KeepCellLedger{cell, &lines},
                                                          short_gamma);
  return lane(po[cell].pnl, 0);
}

}  // namespace hl
