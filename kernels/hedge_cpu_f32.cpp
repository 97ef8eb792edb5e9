// Single-precision CPU loops (study.precision = fp32 or mixed), one path at a time: the same
// hedge_path() as every backend, instantiated with float lanes. Compiled with -Werror=double-promotion
// (CMakeLists.txt), so that no float operand is silently computed in double; the double arithmetic
// of mixed precision is explicit (widen, scalar_t).
#include "kernels/cpu_loop.hpp"

namespace hl {

namespace {
template <class A>
void paths_f32(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::int64_t p0,
               std::int64_t p1, const CpuOut& out) {
  hedge_paths_lanes<float, A, kMaxCellsPerPassCpu>(P, cells, ncells, short_gamma, p0, p1, out,
                                                   [&](std::uint64_t p) { return philox_normals_f(P.seed, p); });
}

template <class A>
double trace_f32(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::uint64_t path,
                 int cell, std::vector<LedgerLine>& lines) {
  return trace_path_lanes<float, A, kMaxCellsPerPassCpu>(P, cells, ncells, short_gamma, path, cell, lines,
                                                         [&](std::uint64_t p) { return philox_normals_f(P.seed, p); });
}
}  // namespace

void hedge_paths_fp32(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::int64_t p0,
                      std::int64_t p1, const CpuOut& out) {
  paths_f32<float>(P, cells, ncells, short_gamma, p0, p1, out);
}

void hedge_paths_mixed(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                       std::int64_t p0, std::int64_t p1, const CpuOut& out) {
  paths_f32<double>(P, cells, ncells, short_gamma, p0, p1, out);
}

void trace_path_f32(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::uint64_t path,
                    int cell, std::vector<LedgerLine>& lines, double& pnl, int precision) {
  pnl = precision == kPrecisionMixed ? trace_f32<double>(P, cells, ncells, short_gamma, path, cell, lines)
                                     : trace_f32<float>(P, cells, ncells, short_gamma, path, cell, lines);
}

}  // namespace hl
