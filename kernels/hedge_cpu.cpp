// CPU backend: chunk by chunk, a pool of std::threads takes batches of paths in any order; each batch
// writes only its own slice of the output, so the result is the same for any thread count, batch and
// chunk size.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "kernels/backend.hpp"
#include "kernels/cpu_loop.hpp"

namespace hl {

std::vector<Pass> make_passes(const SimJob& job, int max_cells) {
  std::vector<Pass> passes;
  const int ncells = static_cast<int>(job.cells.size());
  for (int c = 0; c < ncells;) {
    Pass p;
    p.group = job.cell_group[c];
    p.first = c;
    // Volatility and trade groups renumbered within the pass, in order of first use.
    std::vector<int> vols, trades;
    auto local = [](std::vector<int>& seen, int v) {
      auto it = std::find(seen.begin(), seen.end(), v);
      if (it == seen.end()) it = seen.insert(seen.end(), v);
      return static_cast<int>(it - seen.begin());
    };
    while (c < ncells && job.cell_group[c] == p.group && p.count < max_cells) {
      CellParams cell = job.cells[c];
      cell.vol_group = local(vols, job.cell_vol_index[c]);
      cell.trade_group = local(trades, job.cell_trade_index[c]);
      p.cells.push_back(cell);
      ++p.count;
      ++c;
    }
    passes.push_back(std::move(p));
  }
  return passes;
}

void SimOutput::resize(std::size_t cells, std::int64_t paths, bool with_jumps) {
  const std::size_t n = cells * static_cast<std::size_t>(paths);
  jump_pnl.resize(with_jumps ? n : 0);
  jumps.resize(with_jumps ? n : 0);
  pnl.resize(n);
  cost.resize(n);
  turnover_shares.resize(n);
  turnover_notional.resize(n);
  trades.resize(n);
}

void hedge_paths_scalar(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                        std::int64_t p0, std::int64_t p1, const CpuOut& out) {
  hedge_paths_lanes<double, double, kMaxCellsPerPassCpu>(P, cells, ncells, short_gamma, p0, p1, out,
                                                         [&](std::uint64_t p) { return philox_normals(P.seed, p); });
}

const char* cpu_simd() {
  const char* force = std::getenv("HEDGELAB_CPU_SIMD");
  if (force && std::strcmp(force, "scalar") == 0) return "scalar";
  __builtin_cpu_init();
  return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? "avx2" : "scalar";
}

namespace {
bool avx2_loop() { return std::strcmp(cpu_simd(), "avx2") == 0; }
}  // namespace

HedgePathsFn cpu_paths_fn(int precision) {
  const bool avx2 = avx2_loop();
  if (precision == kPrecisionFp32) return avx2 ? hedge_paths_fp32_avx2 : hedge_paths_fp32;
  if (precision == kPrecisionMixed) return avx2 ? hedge_paths_mixed_avx2 : hedge_paths_mixed;
  return avx2 ? hedge_paths_avx2 : hedge_paths_scalar;
}

const char* cpu_loop_name(int precision) {
  const bool avx2 = avx2_loop();
  if (precision == kPrecisionFp64) return avx2 ? "avx2" : "scalar";
  return avx2 ? "avx2-f32" : "scalar-f32";
}

void trace_path_cpu(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::uint64_t path,
                    int cell, std::vector<LedgerLine>& lines, double& pnl, int precision) {
  if (precision != kPrecisionFp64) {
    if (avx2_loop())
      return trace_path_f32_avx2(P, cells, ncells, short_gamma, path, cell, lines, pnl, precision);
    return trace_path_f32(P, cells, ncells, short_gamma, path, cell, lines, pnl, precision);
  }
  if (avx2_loop()) return trace_path_avx2(P, cells, ncells, short_gamma, path, cell, lines, pnl);
  pnl = trace_path_lanes<double, double, kMaxCellsPerPassCpu>(
      P, cells, ncells, short_gamma, path, cell, lines, [&](std::uint64_t p) { return philox_normals(P.seed, p); });
}

int cpu_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

int pass_cells(const BackendOptions& opt, bool cuda) {
  if (opt.pass_cells < 0 || opt.pass_cells > kMaxCellsPerPassCpu)
    throw std::invalid_argument("--pass-cells: must be between 1 and " + std::to_string(kMaxCellsPerPassCpu) +
                                ", got " + std::to_string(opt.pass_cells));
  if (opt.pass_cells > 0) return opt.pass_cells;
  return cuda ? kMaxCellsPerPass : kMaxCellsPerPassCpu;
}

std::int64_t default_chunk(std::size_t cells, bool jumps) {
  const double per_path = static_cast<double>(std::max<std::size_t>(cells, 1) * sim_bytes_per_path(jumps));
  const std::int64_t blocks = static_cast<std::int64_t>(kChunkBytes / per_path) / kStatBlock;
  return std::max<std::int64_t>(blocks, 1) * kStatBlock;
}

std::int64_t chunk_paths(const SimJob& job, std::int64_t requested) {
  std::int64_t chunk = requested > 0 ? requested : default_chunk(job.cells.size(), job.jumps);
  chunk = (chunk + kStatBlock - 1) / kStatBlock * kStatBlock;
  return std::max<std::int64_t>(1, std::min(chunk, job.paths));
}

namespace {

// The CPU backend's one loop: chunk by chunk, paths [p0, p1) are split into batches that a pool of
// threads takes in any order, each batch writing only its own paths. With a sink the chunk goes to a
// buffer of one chunk and then to the sink; with `whole` straight into the arrays of the whole run.
void run_cpu(const SimJob& job, const BackendOptions& opt, const ChunkSink* sink, SimOutput* whole) {
  std::vector<PathParams> params;
  for (const PathGroup& g : job.groups) params.push_back(host_params(g));
  const std::int64_t n = job.paths;
  const std::size_t ncells = job.cells.size();
  const std::vector<Pass> passes = make_passes(job, pass_cells(opt, false));
  const HedgePathsFn paths_fn = cpu_paths_fn(job.precision);
  const std::int64_t chunk = chunk_paths(job, opt.chunk);
  const std::int64_t batch = opt.batch > 0 ? opt.batch : 4096;
  SimOutput buffer;
  if (whole) whole->resize(ncells, n, job.jumps);
  auto stopped = [&] { return opt.stop && opt.stop->load(); };

  for (std::int64_t p0 = 0; p0 < n; p0 += chunk) {
    if (stopped()) return;
    const std::int64_t p1 = std::min(n, p0 + chunk), m = p1 - p0;
    if (!whole) buffer.resize(ncells, m, job.jumps);  // a shorter last chunk keeps the allocation
    SimOutput& dst = whole ? *whole : buffer;
    const std::int64_t stride = whole ? n : m, first = whole ? 0 : p0;

    const std::int64_t nbatches = (m + batch - 1) / batch;
    std::atomic<std::int64_t> next_batch{0}, done{0};
    // The reporting thread waits on `finished` for the workers, so that a chunk ends when its last batch
    // does, not at the reporter's next 100 ms tick.
    std::mutex mu;
    std::condition_variable finished;
    int running = 0;
    const int nthreads = static_cast<int>(std::min<std::int64_t>(cpu_threads(opt.threads), nbatches));
    // With one thread the calling thread is the worker and reports after each batch itself.
    const bool inline_progress = static_cast<bool>(opt.progress) && nthreads == 1;
    auto work = [&] {
      for (std::int64_t b; (b = next_batch.fetch_add(1)) < nbatches;) {
        if (stopped()) return;
        const std::int64_t q0 = p0 + b * batch, q1 = std::min(p1, q0 + batch);
        for (const Pass& pass : passes) {
          if (stopped()) break;  // the batch is abandoned; the run throws
          const std::size_t at = static_cast<std::size_t>(pass.first) * stride;
          const CpuOut o{dst.pnl.data() + at,
                         dst.cost.data() + at,
                         dst.trades.data() + at,
                         dst.turnover_shares.data() + at,
                         dst.turnover_notional.data() + at,
                         job.jumps ? dst.jump_pnl.data() + at : nullptr,
                         job.jumps ? dst.jumps.data() + at : nullptr,
                         stride,
                         first};
          paths_fn(params[pass.group], pass.cells.data(), pass.count, job.groups[pass.group].short_gamma, q0, q1, o);
        }
        done.fetch_add(q1 - q0);
        if (inline_progress) opt.progress(p0 + done.load());
      }
    };
    auto worker = [&] {
      work();
      const std::lock_guard<std::mutex> lock(mu);
      if (--running == 0) finished.notify_one();
    };
    // With a progress callback and several threads the calling thread only reports; otherwise it is
    // one of the workers.
    const bool report = static_cast<bool>(opt.progress) && nthreads > 1;
    running = report ? nthreads : nthreads - 1;
    std::vector<std::thread> pool;
    for (int t = report ? 0 : 1; t < nthreads; ++t) pool.emplace_back(worker);
    if (report) {
      std::unique_lock<std::mutex> lock(mu);
      do {
        lock.unlock();  // the callback runs without the lock the workers take to finish
        opt.progress(p0 + done.load());
        lock.lock();
      } while (!finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return running == 0; }));
    } else {
      work();
    }
    for (auto& t : pool) t.join();
    if (stopped()) return;  // an unfinished chunk is never handed on
    if (sink) (*sink)(p0, p1, buffer);
    if (opt.progress) opt.progress(p1);
  }
}

}  // namespace

void simulate_cpu(const SimJob& job, const BackendOptions& opt, const ChunkSink& sink) {
  run_cpu(job, opt, &sink, nullptr);
}

void simulate_cpu(const SimJob& job, const BackendOptions& opt, SimOutput& out) { run_cpu(job, opt, nullptr, &out); }

}  // namespace hl
