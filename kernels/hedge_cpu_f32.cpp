// Single-precision CPU loops (study.precision = fp32 or mixed), one path at a time: the same
// hedge_path() as every backend, instantiated with float lanes. Compiled with -Werror=double-promotion
// (CMakeLists.txt), so that no float operand is silently computed in double; the double arithmetic
// of mixed precision is explicit (widen, scalar_t).
#include "kernels/cpu_paths.hpp"
#include "kernels/hedge_path.hpp"

namespace hl {

namespace {
template <class A>
void paths_f32(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::int64_t p0,
               std::int64_t p1, const CpuOut& out) {
  PathOutT<A> po[kMaxCellsPerPassCpu];
  for (std::int64_t p = p0; p < p1; ++p) {
    PhiloxNormalsF z = philox_normals_f(P.seed, static_cast<std::uint64_t>(p));
    hedge_path<float, PhiloxNormalsF, NoLedger, kMaxCellsPerPassCpu, A>(P, cells, ncells, z, po, NoLedger{},
                                                                        short_gamma);
    for (int c = 0; c < ncells; ++c) store_path(out, c, p, to_double(po[c]));
  }
}

template <class A>
void trace_f32(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::uint64_t path,
               int cell, std::vector<LedgerLine>& lines, double& pnl) {
  PathOutT<A> po[kMaxCellsPerPassCpu];
  PhiloxNormalsF z = philox_normals_f(P.seed, path);
  hedge_path<float, PhiloxNormalsF, KeepCellLedger, kMaxCellsPerPassCpu, A>(P, cells, ncells, z, po,
                                                                            KeepCellLedger{cell, &lines}, short_gamma);
  pnl = static_cast<double>(po[cell].pnl);
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
  if (precision == kPrecisionMixed)
    trace_f32<double>(P, cells, ncells, short_gamma, path, cell, lines, pnl);
  else
    trace_f32<float>(P, cells, ncells, short_gamma, path, cell, lines, pnl);
}

}  // namespace hl
