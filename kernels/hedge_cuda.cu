// CUDA backend: one thread per path runs the same hedge_path() as the CPU backend. Paths go in
// batches bounded by device memory; each batch's per-path results are copied into the host arrays at
// their path offsets, so results do not depend on the batch size.
#include <cuda_runtime.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

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

struct CellPass {
  CellParams c[kMaxCellsPerPass];
};

// __grid_constant__: the parameters are read in place, not copied to each thread's stack.
// R: the path's lane (double, or float for fp32 and mixed); A: the accumulators' (double for mixed).
template <class R, class A>
__global__ void hedge_kernel(const __grid_constant__ PathParams P, const __grid_constant__ CellPass pass, int ncells,
                             double short_gamma, std::int64_t path0, std::int64_t npaths, PathArrays out) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= npaths) return;
  const std::uint64_t path = static_cast<std::uint64_t>(path0 + i);
  PhiloxNormalsT<R, std::uint32_t> z{P.seed, static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(path >> 32),
                                     R(0)};
  PathOutT<A> po[kMaxCellsPerPass];
  hedge_path<R, PhiloxNormalsT<R, std::uint32_t>, NoLedger, kMaxCellsPerPass, A>(P, pass.c, ncells, z, po, NoLedger{},
                                                                                 short_gamma);
  for (int c = 0; c < ncells; ++c) store_path(out, c, i, to_double(po[c]));  // out.stride = npaths
}

using KernelFn = void (*)(PathParams, CellPass, int, double, std::int64_t, std::int64_t, PathArrays);
KernelFn kernel_for(int precision) {
  if (precision == kPrecisionFp32) return hedge_kernel<float, float>;
  if (precision == kPrecisionMixed) return hedge_kernel<float, double>;
  return hedge_kernel<double, double>;
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

void simulate_cuda(const SimJob& job, const BackendOptions& opt, SimOutput& out) {
  if (cuda_device_count() == 0)
    throw std::runtime_error("--backend cuda: no CUDA device is available (use --backend cpu or auto)");
  HL_CUDA(cudaSetDevice(0));
  const int ncells = static_cast<int>(job.cells.size());
  const std::int64_t n = job.paths;
  out.resize(job.cells.size(), n, job.jumps);

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
  std::vector<CellPass> cell_passes;
  const std::vector<Pass> passes = make_passes(job, kMaxCellsPerPass);
  for (const Pass& p : passes) {
    CellPass cp{};
    std::copy(p.cells.begin(), p.cells.end(), cp.c);
    cell_passes.push_back(cp);
  }
  // Paths per batch: bounded by half the free device memory (36 bytes per path and cell of a pass, 48
  // with jumps)
  // and by 2^22 unless --batch-size says otherwise.
  const int pass_cells = std::min(kMaxCellsPerPass, ncells);
  std::size_t free_bytes = 0, total_bytes = 0;
  HL_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
  const std::size_t per_path = (job.jumps ? 48 : 36) * static_cast<std::size_t>(pass_cells);
  const std::int64_t fit = static_cast<std::int64_t>(free_bytes / 2 / per_path);
  const std::int64_t wanted = opt.batch > 0 ? opt.batch : (std::int64_t{1} << 22);
  const std::int64_t cap = std::max<std::int64_t>(1, std::min({wanted, n, fit}));
  DeviceBuffer<double> d_pnl(cap * pass_cells), d_cost(cap * pass_cells), d_tsh(cap * pass_cells),
      d_tno(cap * pass_cells);
  DeviceBuffer<std::uint32_t> d_trades(cap * pass_cells);
  DeviceBuffer<double> d_jpnl(job.jumps ? cap * pass_cells : 0);
  DeviceBuffer<std::uint32_t> d_jumps(job.jumps ? cap * pass_cells : 0);
  PathArrays dout{d_pnl.p, d_cost.p, d_trades.p, d_tsh.p, d_tno.p, job.jumps ? d_jpnl.p : nullptr,
                  job.jumps ? d_jumps.p : nullptr, 0};

  const KernelFn kernel = kernel_for(job.precision);
  std::int64_t done = 0;
  for (std::int64_t p0 = 0; p0 < n; p0 += cap) {
    if (opt.stop && opt.stop->load()) return;  // Ctrl-C: the caller discards the partial output
    const std::int64_t m = std::min(cap, n - p0);
    dout.stride = m;  // device row c holds this batch's m paths
    for (std::size_t k = 0; k < passes.size(); ++k) {
      if (opt.stop && opt.stop->load()) return;
      const Pass& pass = passes[k];
      const int threads = 128;
      const unsigned blocks = static_cast<unsigned>((m + threads - 1) / threads);
      kernel<<<blocks, threads>>>(params[pass.group], cell_passes[k], pass.count, job.groups[pass.group].short_gamma,
                                  p0, m, dout);
      HL_CUDA(cudaGetLastError());
      HL_CUDA(cudaDeviceSynchronize());
      // Device row c holds m paths; it goes to host row first + c at column p0. One copy per row:
      // cudaMemcpy2D would need a host pitch of n x 8 bytes, over its limit past ~2.7e8 paths.
      for (int c = 0; c < pass.count; ++c) {
        const std::size_t at = static_cast<std::size_t>(pass.first + c) * n + p0;
        const std::size_t from = static_cast<std::size_t>(c) * m;
        HL_CUDA(cudaMemcpy(out.pnl.data() + at, d_pnl.p + from, m * sizeof(double), cudaMemcpyDeviceToHost));
        HL_CUDA(cudaMemcpy(out.cost.data() + at, d_cost.p + from, m * sizeof(double), cudaMemcpyDeviceToHost));
        HL_CUDA(cudaMemcpy(out.turnover_shares.data() + at, d_tsh.p + from, m * sizeof(double),
                           cudaMemcpyDeviceToHost));
        HL_CUDA(cudaMemcpy(out.turnover_notional.data() + at, d_tno.p + from, m * sizeof(double),
                           cudaMemcpyDeviceToHost));
        HL_CUDA(cudaMemcpy(out.trades.data() + at, d_trades.p + from, m * sizeof(std::uint32_t),
                           cudaMemcpyDeviceToHost));
        if (job.jumps) {
          HL_CUDA(cudaMemcpy(out.jump_pnl.data() + at, d_jpnl.p + from, m * sizeof(double), cudaMemcpyDeviceToHost));
          HL_CUDA(cudaMemcpy(out.jumps.data() + at, d_jumps.p + from, m * sizeof(std::uint32_t),
                             cudaMemcpyDeviceToHost));
        }
      }
    }
    done += m;
    if (opt.progress) opt.progress(done);
  }
}

}  // namespace hl
