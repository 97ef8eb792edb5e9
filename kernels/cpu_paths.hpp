#pragma once
// The CPU backend's inner loops: hedge paths [p0, p1) for one pass of cells and write each path's
// results to out arrays laid out [cell][path] (element (c, p) at c * stride + (p - first)).
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/params.hpp"

namespace hl {

using CpuOut = PathArrays;

void hedge_paths_scalar(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                        std::int64_t p0, std::int64_t p1, const CpuOut& out);
void hedge_paths_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::int64_t p0,
                      std::int64_t p1, const CpuOut& out);
// Single precision (hedge_cpu_f32.cpp): fp32 (float throughout) and mixed (float path and deltas,
// double cash and P&L), one path at a time.
void hedge_paths_fp32(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::int64_t p0,
                      std::int64_t p1, const CpuOut& out);
void hedge_paths_mixed(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                       std::int64_t p0, std::int64_t p1, const CpuOut& out);
// The same on AVX2 (hedge_cpu_avx2_f32.cpp): sixteen paths per pass in float lanes.
void hedge_paths_fp32_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                           std::int64_t p0, std::int64_t p1, const CpuOut& out);
void hedge_paths_mixed_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                            std::int64_t p0, std::int64_t p1, const CpuOut& out);
// The CPU loop of a precision (Precision): AVX2 or scalar (cpu_simd()); cpu_loop_name() names it.
using HedgePathsFn = void (*)(const PathParams&, const CellParams*, int, double, std::int64_t, std::int64_t,
                              const CpuOut&);
HedgePathsFn cpu_paths_fn(int precision);
// "avx2" or "scalar" for fp64; "avx2-f32" or "scalar-f32" for fp32 and mixed.
const char* cpu_loop_name(int precision);

// One path's ledger for cell `cell` of a pass, every grid step, with the loop this CPU runs (so that
// the final P&L is the same bits as in a full run). Columns: step, spot, position, trade, fee, cash
// and book_cash in t0 money; pnl receives the path's final P&L for that cell.
struct LedgerLine {
  int step;
  double spot, position, trade, fee, cash, book_cash;
};
// Path l of a lane value, in double: the value itself for a scalar lane (double, float), lane l of a
// vector of paths (the AVX2 loops trace their path in lane 0).
template <class V>
double lane(const V& v, int l) {
  if constexpr (std::is_arithmetic_v<V>)
    return static_cast<double>(v);
  else
    return static_cast<double>(v[l]);
}
// Keeps one cell's rows of a loop's ledger (LedgerRow of any lane type: lane 0), in double.
struct KeepCellLedger {
  static constexpr bool active = true;
  int cell;
  std::vector<LedgerLine>* lines;
  template <class Row>
  void operator()(const Row& r) const {
    if (r.cell == cell)
      lines->push_back({r.step, lane(r.spot, 0), lane(r.position, 0), lane(r.trade, 0), lane(r.fee, 0),
                        lane(r.cash, 0), lane(r.book_cash, 0)});
  }
};
void trace_path_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                     std::uint64_t path, int cell, std::vector<LedgerLine>& lines, double& pnl);
void trace_path_cpu(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::uint64_t path,
                    int cell, std::vector<LedgerLine>& lines, double& pnl, int precision = kPrecisionFp64);
void trace_path_f32(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::uint64_t path,
                    int cell, std::vector<LedgerLine>& lines, double& pnl, int precision);
void trace_path_f32_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                         std::uint64_t path, int cell, std::vector<LedgerLine>& lines, double& pnl, int precision);

// The loop this CPU runs: "avx2" (4 paths per vector, needs AVX2 and FMA) or "scalar".
// HEDGELAB_CPU_SIMD=scalar forces the scalar loop.
const char* cpu_simd();

}  // namespace hl
