// CUDA backend: one thread per path runs the same hedge_path() as the CPU backend. Paths go in chunks
// bounded by device memory, every cell of a chunk in one device buffer; the chunk is copied to the host
// and handed to the sink while the kernels of the next chunk already run. A path's results do not
// depend on the batch or chunk size.
#include <cuda_runtime.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/backend.hpp"
#include "kernels/hedge_path.hpp"

namespace hl {
namespace {

void cuda_check(cudaError_t e, const char* what, const char* file, int line) {
  if (e != cudaSuccess)
    throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(e) + " in " + what + " at " +
                             file + ":" + std::to_string(line));
}
#define HL_CUDA(call) cuda_check((call), #call, __FILE__, __LINE__)

// The cells of a pass, by value in the kernel's parameters: 16 x 128 bytes, or 64 x 128 = 8 KiB for the
// wide kernel (kernel parameters may take up to 32 KiB since CUDA 12.1 on Volta and newer).
template <int MaxCells>
struct CellPass {
  CellParams c[MaxCells];
};
static_assert(sizeof(PathParams) + sizeof(CellPass<kMaxCellsPerPassCpu>) + sizeof(PathArrays) + 64 <= 32764,
              "the wide kernel's parameters exceed CUDA's 32764-byte limit");

// __grid_constant__: the parameters are read in place, not copied to each thread's stack.
// R: the path's lane (double, or float for fp32 and mixed); A: the accumulators' (double for mixed);
// MaxCells: the size of the per-cell arrays (kMaxCellsPerPass, or kMaxCellsPerPassCpu for passes of
// more cells: each path is then simulated once for up to 64 cells, at the price of larger per-thread
// arrays in local memory). Paths [path0, path0 + npaths) of one pass; out holds the pass' rows of the
// chunk buffer (out.first = the chunk's first path).
template <class R, class A, int MaxCells>
__global__ void hedge_kernel(const __grid_constant__ PathParams P, const __grid_constant__ CellPass<MaxCells> pass,
                             int ncells, double short_gamma, std::int64_t path0, std::int64_t npaths,
                             PathArrays out) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= npaths) return;
  const std::uint64_t path = static_cast<std::uint64_t>(path0 + i);
  PhiloxNormalsT<R, std::uint32_t> z{P.seed, static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(path >> 32),
                                     R(0)};
  PathOutT<A> po[MaxCells];
  hedge_path<R, PhiloxNormalsT<R, std::uint32_t>, NoLedger, MaxCells, A>(P, pass.c, ncells, z, po, NoLedger{},
                                                                         short_gamma);
  for (int c = 0; c < ncells; ++c) store_path(out, c, path0 + i, to_double(po[c]));
}

template <int MaxCells>
using KernelFn = void (*)(PathParams, CellPass<MaxCells>, int, double, std::int64_t, std::int64_t, PathArrays);
template <int MaxCells>
KernelFn<MaxCells> kernel_for(int precision) {
  if (precision == kPrecisionFp32) return hedge_kernel<float, float, MaxCells>;
  if (precision == kPrecisionMixed) return hedge_kernel<float, double, MaxCells>;
  return hedge_kernel<double, double, MaxCells>;
}

// Queues paths [q0, q0 + q) of one pass on the kernel whose per-cell arrays hold MaxCells cells.
template <int MaxCells>
void launch_pass(int precision, const PathParams& P, const Pass& pass, double short_gamma, std::int64_t q0,
                 std::int64_t q, const PathArrays& out) {
  CellPass<MaxCells> cells{};
  std::copy(pass.cells.begin(), pass.cells.end(), cells.c);
  const int threads = 128;
  const unsigned blocks = static_cast<unsigned>((q + threads - 1) / threads);
  kernel_for<MaxCells>(precision)<<<blocks, threads>>>(P, cells, pass.count, short_gamma, q0, q, out);
  HL_CUDA(cudaGetLastError());
}

template <class T>
struct DeviceBuffer {
  T* p = nullptr;
  explicit DeviceBuffer(std::size_t n) { HL_CUDA(cudaMalloc(&p, std::max<std::size_t>(n, 1) * sizeof(T))); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

template <class T>
void upload(DeviceBuffer<T>& d, const std::vector<T>& h) {
  HL_CUDA(cudaMemcpy(d.p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
}

}  // namespace

bool cuda_built() { return true; }

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device / no driver" error
    return 0;
  }
  return n;
}

std::string cuda_device_name(int device) {
  cudaDeviceProp prop{};
  HL_CUDA(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

std::string cuda_runtime_version() {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

namespace {

// Chunk by chunk: the kernels of every pass write the chunk's rows [cell][p - p0] of one device buffer;
// the buffer is copied to the host (a chunk buffer handed to the sink, or the rows of `whole`). The
// kernels of chunk k + 1 are queued before the sink reduces chunk k, so that the GPU simulates while
// the host reduces. One device and one host buffer suffice: the copy of chunk k has completed (a
// synchronous cudaMemcpy) before chunk k + 1's kernels overwrite the device buffer, and the sink has
// returned before chunk k + 1 is copied into the host buffer.
void run_cuda(const SimJob& job, const BackendOptions& opt, const ChunkSink* sink, SimOutput* whole) {
  if (cuda_device_count() == 0)
    throw std::runtime_error("--backend cuda: no CUDA device is available (use --backend cpu or auto)");
  HL_CUDA(cudaSetDevice(0));
  const std::size_t ncells = job.cells.size();
  const std::int64_t n = job.paths;
  if (whole) whole->resize(ncells, n, job.jumps);
  if (n <= 0) return;

  // Per path group: its tables on the device.
  std::vector<PathParams> params;
  std::vector<std::unique_ptr<DeviceBuffer<double>>> tables;
  std::vector<std::unique_ptr<DeviceBuffer<float>>> float_tables;
  auto on_device = [&](const std::vector<double>& h) {
    tables.push_back(std::make_unique<DeviceBuffer<double>>(h.size()));
    upload(*tables.back(), h);
    return tables.back()->p;
  };
  for (const PathGroup& g : job.groups) {
    PathParams P = g.params;
    P.discount = on_device(g.discount);
    P.sqrt_tau = on_device(g.sqrt_tau);
    P.inv_sqrt_tau = on_device(g.inv_sqrt_tau);
    P.tables = g.tables.empty() ? nullptr : on_device(g.tables);
    float_tables.push_back(std::make_unique<DeviceBuffer<float>>(g.tables_f.size()));
    upload(*float_tables.back(), g.tables_f);
    set_float_tables(P, g, float_tables.back()->p);
    params.push_back(P);
  }
  // Passes of up to 16 cells run the narrow kernel, wider ones the wide kernel (pass_cells()).
  const int width = pass_cells(opt, true);
  const bool wide = width > kMaxCellsPerPass;
  const std::vector<Pass> passes = make_passes(job, width);
  // Paths per chunk: the requested (or default) chunk, lowered to what half the free device memory holds
  // (sim_bytes_per_path per path and cell, every cell), in whole statistics blocks.
  std::size_t free_bytes = 0, total_bytes = 0;
  HL_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
  const std::size_t per_path = static_cast<std::size_t>(sim_bytes_per_path(job.jumps)) * ncells;
  const std::int64_t fit_blocks = static_cast<std::int64_t>(free_bytes / 2 / per_path) / kStatBlock;
  const std::int64_t chunk =
      std::min(chunk_paths(job, opt.chunk), std::max<std::int64_t>(fit_blocks, 1) * kStatBlock);
  const std::int64_t cap = std::min(chunk, n);
  const std::size_t elems = static_cast<std::size_t>(cap) * ncells;
  DeviceBuffer<double> d_pnl(elems), d_cost(elems), d_tsh(elems), d_tno(elems);
  DeviceBuffer<std::uint32_t> d_trades(elems);
  DeviceBuffer<double> d_jpnl(job.jumps ? elems : 0);
  DeviceBuffer<std::uint32_t> d_jumps(job.jumps ? elems : 0);
  const std::int64_t batch = opt.batch > 0 ? opt.batch : cap;  // paths per kernel launch
  auto stopped = [&] { return opt.stop && opt.stop->load(); };

  const auto launch_on = wide ? launch_pass<kMaxCellsPerPassCpu> : launch_pass<kMaxCellsPerPass>;
  // Queues the kernels of chunk [p0, p1): every pass, in launches of at most `batch` paths.
  auto launch = [&](std::int64_t p0, std::int64_t p1) {
    const std::int64_t m = p1 - p0;
    for (const Pass& pass : passes) {
      const std::size_t at = static_cast<std::size_t>(pass.first) * m;  // the pass' first row
      const PathArrays dout{d_pnl.p + at, d_cost.p + at, d_trades.p + at, d_tsh.p + at, d_tno.p + at,
                            job.jumps ? d_jpnl.p + at : nullptr, job.jumps ? d_jumps.p + at : nullptr, m, p0};
      for (std::int64_t q0 = p0; q0 < p1; q0 += batch) {
        const std::int64_t q = std::min(batch, p1 - q0);
        launch_on(job.precision, params[pass.group], pass, job.groups[pass.group].short_gamma, q0, q, dout);
      }
    }
  };
  // Copies chunk [p0, p1) from the device: m contiguous paths per cell.
  SimOutput buffer;
  auto fetch = [&](std::int64_t p0, std::int64_t p1) {
    const std::int64_t m = p1 - p0;
    auto get = [&](auto* host, const auto* dev) {
      using T = std::remove_pointer_t<decltype(host)>;
      if (!whole) {
        HL_CUDA(cudaMemcpy(host, dev, static_cast<std::size_t>(m) * ncells * sizeof(T), cudaMemcpyDeviceToHost));
        return;
      }
      // Row c of the chunk goes to row c of the whole run at column p0. One copy per row:
      // cudaMemcpy2D would need a host pitch of n x 8 bytes, over its limit past ~2.7e8 paths.
      for (std::size_t c = 0; c < ncells; ++c)
        HL_CUDA(cudaMemcpy(host + c * static_cast<std::size_t>(n), dev + c * static_cast<std::size_t>(m),
                           static_cast<std::size_t>(m) * sizeof(T), cudaMemcpyDeviceToHost));
    };
    SimOutput& dst = whole ? *whole : buffer;
    const std::size_t off = whole ? static_cast<std::size_t>(p0) : 0;  // column p0 of the whole run
    if (!whole) buffer.resize(ncells, m, job.jumps);
    get(dst.pnl.data() + off, d_pnl.p);
    get(dst.cost.data() + off, d_cost.p);
    get(dst.turnover_shares.data() + off, d_tsh.p);
    get(dst.turnover_notional.data() + off, d_tno.p);
    get(dst.trades.data() + off, d_trades.p);
    if (job.jumps) {
      get(dst.jump_pnl.data() + off, d_jpnl.p);
      get(dst.jumps.data() + off, d_jumps.p);
    }
  };

  if (stopped()) return;
  launch(0, std::min(n, chunk));
  for (std::int64_t p0 = 0; p0 < n; p0 += chunk) {
    const std::int64_t p1 = std::min(n, p0 + chunk);
    fetch(p0, p1);  // waits for this chunk's kernels; reports their errors
    if (stopped()) return;  // Ctrl-C: the caller discards the partial output
    if (p1 < n) launch(p1, std::min(n, p1 + chunk));  // runs on the GPU during the sink below
    if (sink) (*sink)(p0, p1, buffer);
    if (opt.progress) opt.progress(p1);
  }
}

}  // namespace

void simulate_cuda(const SimJob& job, const BackendOptions& opt, const ChunkSink& sink) {
  run_cuda(job, opt, &sink, nullptr);
}

void simulate_cuda(const SimJob& job, const BackendOptions& opt, SimOutput& out) { run_cuda(job, opt, nullptr, &out); }

}  // namespace hl
