// CPU backend: a pool of std::threads takes batches of paths in any order; each batch writes only its
// own slice of the output, so the result is the same for any thread count and batch size.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <cstdlib>
#include <cstring>

#include "kernels/backend.hpp"
#include "kernels/cpu_paths.hpp"
#include "kernels/hedge_path.hpp"

namespace hl {

void hedge_paths_scalar(const PathParams& P, const CellParams* cells, int ncells, std::int64_t p0,
                        std::int64_t p1, const CpuOut& out) {
  PathOut po[kMaxCellsPerPass];
  for (std::int64_t p = p0; p < p1; ++p) {
    PhiloxNormals z = philox_normals(P.seed, static_cast<std::uint64_t>(p));
    hedge_path(P, cells, ncells, z, po);
    for (int c = 0; c < ncells; ++c) {
      const std::int64_t at = c * out.stride + p;
      out.pnl[at] = po[c].pnl;
      out.cost[at] = po[c].cost;
      out.trades[at] = static_cast<std::uint32_t>(po[c].trades);
    }
  }
}

const char* cpu_simd() {
  const char* force = std::getenv("HEDGELAB_CPU_SIMD");
  if (force && std::strcmp(force, "scalar") == 0) return "scalar";
  __builtin_cpu_init();
  return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? "avx2" : "scalar";
}

std::vector<CellParams> make_pass(const SimJob& job, int first, int count) {
  std::vector<CellParams> pass(job.cells.begin() + first, job.cells.begin() + first + count);
  std::vector<int> seen;  // volatility indices in order of first use
  for (int c = 0; c < count; ++c) {
    const int v = job.cell_vol_index[first + c];
    auto it = std::find(seen.begin(), seen.end(), v);
    if (it == seen.end()) it = seen.insert(seen.end(), v);
    pass[c].vol_group = static_cast<int>(it - seen.begin());
  }
  return pass;
}

int cpu_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

void simulate_cpu(const SimJob& job, const BackendOptions& opt, SimOutput& out) {
  PathParams P = job.params;
  P.discount = job.discount.data();
  P.sqrt_tau = job.sqrt_tau.data();
  P.inv_sqrt_tau = job.inv_sqrt_tau.data();
  const int ncells = static_cast<int>(job.cells.size());
  const std::int64_t n = job.paths;
  out.pnl.assign(static_cast<std::size_t>(ncells) * n, 0.0);
  out.cost.assign(static_cast<std::size_t>(ncells) * n, 0.0);
  out.trades.assign(static_cast<std::size_t>(ncells) * n, 0u);

  std::vector<std::vector<CellParams>> passes;
  for (int first = 0; first < ncells; first += kMaxCellsPerPass)
    passes.push_back(make_pass(job, first, std::min(kMaxCellsPerPass, ncells - first)));

  const std::int64_t batch = opt.batch > 0 ? opt.batch : 4096;
  const std::int64_t nbatches = (n + batch - 1) / batch;
  std::atomic<std::int64_t> next_batch{0}, done{0};

  const auto paths_fn = std::strcmp(cpu_simd(), "avx2") == 0 ? hedge_paths_avx2 : hedge_paths_scalar;
  auto worker = [&] {
    for (std::int64_t b; (b = next_batch.fetch_add(1)) < nbatches;) {
      const std::int64_t p0 = b * batch, p1 = std::min(n, p0 + batch);
      for (std::size_t k = 0; k < passes.size(); ++k) {
        const std::size_t first = k * kMaxCellsPerPass;
        const CpuOut o{out.pnl.data() + first * n, out.cost.data() + first * n, out.trades.data() + first * n, n};
        paths_fn(P, passes[k].data(), static_cast<int>(passes[k].size()), p0, p1, o);
      }
      done.fetch_add(p1 - p0);
    }
  };

  const int nthreads = static_cast<int>(std::min<std::int64_t>(cpu_threads(opt.threads), nbatches));
  // With a progress callback the calling thread only reports; otherwise it is one of the workers.
  const bool report = static_cast<bool>(opt.progress) && nthreads > 1;
  std::vector<std::thread> pool;
  for (int t = report ? 0 : 1; t < nthreads; ++t) pool.emplace_back(worker);
  if (report) {
    while (done.load() < n) {
      opt.progress(done.load());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } else {
    worker();
  }
  for (auto& t : pool) t.join();
  if (opt.progress) opt.progress(n);
}

}  // namespace hl
