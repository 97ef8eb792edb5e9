#pragma once
// Host-side interface of the two backends. Both run hedge_path() for every path and cell, a chunk of
// paths at a time in increasing path order, and hand each chunk's per-path arrays (laid out
// [cell][path]) to a sink on the calling thread; a path's results do not depend on threads, batch or
// chunk size. Memory is bounded by the chunk, not by the run.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "kernels/params.hpp"

namespace hl {

// Cells that share a simulated path: the same market and book. Every group draws the same normals
// (seed, path, step), so cells of different groups still compare on common random numbers.
struct PathGroup {
  PathParams params;  // table pointers are set by the backend from the vectors below
  std::vector<double> discount, sqrt_tau, inv_sqrt_tau;
  std::vector<double> tables;  // hedge-ratio tables of the kou and min_variance hedgers (PathParams::tables)
  std::vector<float> tables_f;  // discount, sqrt_tau, inv_sqrt_tau rounded to float, one after the other
                                // (PathParams::discount_f ...; fill_float_tables)
  double short_gamma = 1.0;  // +1 when the book is short gamma at t0, -1 when long (Zakamouline's sign)
};

// Fills g.tables_f from g.discount, g.sqrt_tau and g.inv_sqrt_tau (the float loops read those).
inline void fill_float_tables(PathGroup& g) {
  g.tables_f.clear();
  for (const auto* v : {&g.discount, &g.sqrt_tau, &g.inv_sqrt_tau})
    for (double x : *v) g.tables_f.push_back(static_cast<float>(x));
}

// Points P's float tables into one array laid out as PathGroup::tables_f.
inline void set_float_tables(PathParams& P, const PathGroup& g, const float* f) {
  P.discount_f = f;
  P.sqrt_tau_f = f + g.discount.size();
  P.inv_sqrt_tau_f = P.sqrt_tau_f + g.sqrt_tau.size();
}

// The group's PathParams pointing at its host tables (the CPU backend, trace, tests).
inline PathParams host_params(const PathGroup& g) {
  PathParams P = g.params;
  P.discount = g.discount.data();
  P.sqrt_tau = g.sqrt_tau.data();
  P.inv_sqrt_tau = g.inv_sqrt_tau.data();
  set_float_tables(P, g, g.tables_f.data());
  P.tables = g.tables.empty() ? nullptr : g.tables.data();
  return P;
}

struct SimJob {
  std::vector<PathGroup> groups;
  std::vector<CellParams> cells;    // all cells, in output order
  std::vector<int> cell_group;      // path group of each cell
  std::vector<int> cell_vol_index;  // cells of one group with the same index share delta evaluations
  std::vector<int> cell_trade_index;  // cells of one group with the same index trade alike
  std::int64_t paths = 0;
  bool jumps = false;  // some path group jumps or gaps: SimOutput records jump_pnl and jumps
  int precision = kPrecisionFp64;  // Precision (study.precision)
};

// A pass: consecutive cells of one path group, at most max_cells (kMaxCellsPerPass on CUDA,
// kMaxCellsPerPassCpu on the CPU), hedged on one simulation of each path; vol_group renumbered within
// the pass.
struct Pass {
  int group = 0, first = 0, count = 0;
  std::vector<CellParams> cells;
};
std::vector<Pass> make_passes(const SimJob& job, int max_cells);

// An allocator that leaves new elements uninitialised: the per-path arrays are written in full by the
// backend, so zero-filling them first (gigabytes, on one thread) would only cost time.
template <class T>
struct NoInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = NoInitAllocator<U>;
  };
  NoInitAllocator() = default;
  template <class U>
  NoInitAllocator(const NoInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... A>
  void construct(U* p, A&&... a) {
    ::new (static_cast<void*>(p)) U(std::forward<A>(a)...);
  }
};
template <class T>
using PathArray = std::vector<T, NoInitAllocator<T>>;

struct SimOutput {
  PathArray<double> pnl, cost, turnover_shares, turnover_notional;  // [cells x paths]
  PathArray<std::uint32_t> trades;                                 // [cells x paths]
  PathArray<double> jump_pnl;        // [cells x paths] when SimJob::jumps, else empty
  PathArray<std::uint32_t> jumps;    // [cells x paths] when SimJob::jumps, else empty
  // Contents undefined until written; the jump arrays are sized only when `jumps`.
  void resize(std::size_t cells, std::int64_t paths, bool jumps = false);
};

// The statistics (host/stats.cpp) sum paths in blocks of kStatBlock, in path order. Every chunk starts
// at a multiple of it and, except the last, is a multiple of it: no block straddles two chunks, which
// is what makes the statistics the same bits for any chunk size.
constexpr std::int64_t kStatBlock = 4096;

// Bytes of SimOutput per path and cell: P&L, cost, two turnovers (8 each) and trades (4); plus the
// jump P&L (8) and jump count (4) in a run with jumps or gaps.
inline std::int64_t sim_bytes_per_path(bool jumps) { return jumps ? 48 : 36; }

struct BackendOptions {
  int threads = 0;          // CPU worker threads; 0 = all hardware threads
  std::int64_t batch = 0;   // paths per work item (CPU) or kernel launch (CUDA); 0 = backend default
  std::int64_t chunk = 0;   // paths per chunk handed to the sink; 0 = default_chunk(); see chunk_paths()
  int pass_cells = 0;       // cells hedged on one simulation of a path, 1 to kMaxCellsPerPassCpu; 0 = the
                            // backend's default (pass_cells()). Results do not depend on it.
  std::function<void(std::int64_t paths_done)> progress;  // called on the calling thread
  // When set (Ctrl-C), no further batch or chunk starts and the backend returns early, without handing
  // the unfinished chunk to the sink; its output is then incomplete and must be discarded
  // (execute_run throws Interrupted).
  const std::atomic<bool>* stop = nullptr;
};

// Cells per pass for a backend: opt.pass_cells, or kMaxCellsPerPass on CUDA (16: the kernel whose
// per-cell arrays are sized for 16; above 16 a kernel sized for kMaxCellsPerPassCpu runs) and
// kMaxCellsPerPassCpu on the CPU. std::invalid_argument outside 0 to kMaxCellsPerPassCpu.
int pass_cells(const BackendOptions& opt, bool cuda);

// The default chunk: about kChunkBytes of SimOutput (cells x sim_bytes_per_path per path), a multiple of
// kStatBlock, at least one block.
constexpr double kChunkBytes = 512e6;
std::int64_t default_chunk(std::size_t cells, bool jumps);
// The paths per chunk a run uses: requested (0 = default_chunk) rounded up to a multiple of kStatBlock,
// and at most the run (one chunk of job.paths when it holds them all).
std::int64_t chunk_paths(const SimJob& job, std::int64_t requested);

// Receives paths [p0, p1) of every cell: chunk's arrays are laid out [cell][p - p0], stride p1 - p0
// (SimOutput::resize(cells, p1 - p0)). Called on the calling thread, chunks in increasing path order;
// the arrays are reused for the next chunk once it returns.
using ChunkSink = std::function<void(std::int64_t p0, std::int64_t p1, const SimOutput& chunk)>;

void simulate_cpu(const SimJob& job, const BackendOptions& opt, const ChunkSink& sink);
void simulate_cuda(const SimJob& job, const BackendOptions& opt, const ChunkSink& sink);

// The whole run in one SimOutput ([cells x paths], memory proportional to the paths): for the tests
// that compare per-path arrays. Each backend writes the paths straight into out, without a chunk buffer.
void simulate_cpu(const SimJob& job, const BackendOptions& opt, SimOutput& out);
void simulate_cuda(const SimJob& job, const BackendOptions& opt, SimOutput& out);

int cpu_threads(int requested);
bool cuda_built();
int cuda_device_count();          // 0 when none, or no driver
std::string cuda_device_name(int device);
std::string cuda_runtime_version();

}  // namespace hl
