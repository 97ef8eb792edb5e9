// CUDA backend: one thread per path runs the same hedge_path() as the CPU backend. Paths go in
// batches bounded by device memory; each batch's per-path results are copied into the host arrays at
// their path offsets, so results do not depend on the batch size.
#include <cuda_runtime.h>

#include <algorithm>
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

__global__ void hedge_kernel(PathParams P, CellPass pass, int ncells, std::int64_t path0, std::int64_t npaths,
                             double* pnl, double* cost, std::uint32_t* trades) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= npaths) return;
  PhiloxNormals z = philox_normals(P.seed, static_cast<std::uint64_t>(path0 + i));
  PathOut po[kMaxCellsPerPass];
  hedge_path(P, pass.c, ncells, z, po);
  for (int c = 0; c < ncells; ++c) {
    pnl[c * npaths + i] = po[c].pnl;
    cost[c * npaths + i] = po[c].cost;
    trades[c * npaths + i] = static_cast<std::uint32_t>(po[c].trades);
  }
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
  out.pnl.assign(static_cast<std::size_t>(ncells) * n, 0.0);
  out.cost.assign(static_cast<std::size_t>(ncells) * n, 0.0);
  out.trades.assign(static_cast<std::size_t>(ncells) * n, 0u);

  DeviceBuffer<double> d_disc(job.discount.size()), d_sq(job.sqrt_tau.size()), d_isq(job.inv_sqrt_tau.size());
  upload(d_disc, job.discount);
  upload(d_sq, job.sqrt_tau);
  upload(d_isq, job.inv_sqrt_tau);
  PathParams P = job.params;
  P.discount = d_disc.p;
  P.sqrt_tau = d_sq.p;
  P.inv_sqrt_tau = d_isq.p;

  // At most 2^22 paths x kMaxCellsPerPass outputs (20 bytes each) on the device at once: ~1.3 GB.
  const std::int64_t batch = opt.batch > 0 ? opt.batch : (std::int64_t{1} << 22);
  const std::int64_t cap = std::min(batch, n);
  DeviceBuffer<double> d_pnl(cap * kMaxCellsPerPass), d_cost(cap * kMaxCellsPerPass);
  DeviceBuffer<std::uint32_t> d_trades(cap * kMaxCellsPerPass);

  std::int64_t done = 0;
  for (std::int64_t p0 = 0; p0 < n; p0 += cap) {
    const std::int64_t m = std::min(cap, n - p0);
    for (int first = 0; first < ncells; first += kMaxCellsPerPass) {
      const int count = std::min(kMaxCellsPerPass, ncells - first);
      CellPass pass{};
      const std::vector<CellParams> cells = make_pass(job, first, count);
      std::copy(cells.begin(), cells.end(), pass.c);
      const int threads = 128;
      const unsigned blocks = static_cast<unsigned>((m + threads - 1) / threads);
      hedge_kernel<<<blocks, threads>>>(P, pass, count, p0, m, d_pnl.p, d_cost.p, d_trades.p);
      HL_CUDA(cudaGetLastError());
      HL_CUDA(cudaDeviceSynchronize());
      // Rows of m paths on the device go to rows of n paths on the host, at column p0.
      HL_CUDA(cudaMemcpy2D(out.pnl.data() + first * n + p0, n * sizeof(double), d_pnl.p, m * sizeof(double),
                           m * sizeof(double), count, cudaMemcpyDeviceToHost));
      HL_CUDA(cudaMemcpy2D(out.cost.data() + first * n + p0, n * sizeof(double), d_cost.p, m * sizeof(double),
                           m * sizeof(double), count, cudaMemcpyDeviceToHost));
      HL_CUDA(cudaMemcpy2D(out.trades.data() + first * n + p0, n * sizeof(std::uint32_t), d_trades.p,
                           m * sizeof(std::uint32_t), m * sizeof(std::uint32_t), count, cudaMemcpyDeviceToHost));
    }
    done += m;
    if (opt.progress) opt.progress(done);
  }
}

}  // namespace hl
