#include "host/run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "host/plan.hpp"
#include "host/stats.hpp"
#include "kernels/cpu_paths.hpp"
#include "version.hpp"

namespace hl {

std::string resolve_backend(const std::string& requested) {
  if (requested == "cpu") return "cpu";
  if (requested == "cuda") {
    if (!cuda_built())
      throw InputError("--backend cuda: this hedgelab was built without CUDA (use --backend cpu or auto)");
    if (cuda_device_count() == 0)
      throw InputError("--backend cuda: no CUDA device is available (use --backend cpu or auto)");
    return "cuda";
  }
  if (requested == "auto") return (cuda_built() && cuda_device_count() > 0) ? "cuda" : "cpu";
  throw InputError(fmt::format("--backend: must be auto, cpu or cuda, got '{}'", requested));
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown CPU";
}

// Bytes of memory the system can still give, from /proc/meminfo (0 when unknown).
static double available_memory() {
  std::ifstream in("/proc/meminfo");
  for (std::string key; in >> key;) {
    double kb = 0;
    in >> kb;
    if (key == "MemAvailable:") return kb * 1024.0;
    in.ignore(256, '\n');
  }
  return 0.0;
}

QuantileMethod resolve_quantile_method(const Study& study, std::size_t cells) {
  if (study.quantile_method == "exact") return QuantileMethod::exact;
  if (study.quantile_method == "sketch") return QuantileMethod::sketch;
  // auto: exact while the P&L of every path fits in 2 GB, and whenever the samples keep it anyway.
  const double path_cells = static_cast<double>(study.paths) * static_cast<double>(cells);
  return study.samples || path_cells <= kAutoExactPathCells ? QuantileMethod::exact : QuantileMethod::sketch;
}

double run_memory_bytes(const Study& study, const Plan& plan, QuantileMethod method, const RunOptions& opt) {
  const SimJob& job = plan.job;
  const double cells = static_cast<double>(job.cells.size()), paths = static_cast<double>(study.paths);
  const double chunk = static_cast<double>(chunk_paths(job, opt.chunk));
  const double reducers = std::min(static_cast<double>(cpu_threads(opt.threads)), cells);
  // The chunk buffer (one on the host for either backend), and the per-block sums of a chunk.
  double need = chunk * cells * static_cast<double>(sim_bytes_per_path(job.jumps));
  need += std::ceil(chunk / static_cast<double>(kStatBlock)) * cells * (kStatBlockBytes + 16.0 * study.worst_paths);
  if (method == QuantileMethod::exact) {
    // Every path's P&L; when it is also the samples, a copy to select in per reducing thread instead. Per
    // reducing thread too, the buckets' counts and the values of the wanted buckets (at most an eighth).
    need += paths * 8.0 * (study.samples ? reducers : cells);
    need += reducers * (paths * 1.0 + 1.5e6);
  } else {
    // The sketches, and a bucket code (4 bytes) per path and cell of the chunk.
    need += cells * sketch_bytes_estimate(study.sketch_accuracy) + chunk * cells * 4.0;
  }
  if (study.samples) need += paths * cells * 16.0;  // P&L and cost of every path
  return need;
}

PreparedRun prepare_run(const Study& study, const RunOptions& opt) {
  if (opt.pass_cells < 0 || opt.pass_cells > kMaxCellsPerPassCpu)
    throw InputError(fmt::format("--pass-cells: must be a whole number from 1 to {}, got {}", kMaxCellsPerPassCpu,
                                 opt.pass_cells));
  PreparedRun p{resolve_backend(opt.backend), make_plan(study)};
  const std::size_t ncells = p.plan.job.cells.size();
  p.method = resolve_quantile_method(study, ncells);
  // Memory is bounded by the chunk, except for what is kept of every path: the exact method's P&L (8 bytes
  // per path and cell) and the samples (16). A run that would not fit is refused, naming the key that
  // asks for what does not fit.
  const double need = run_memory_bytes(study, p.plan, p.method, opt), have = available_memory();
  if (have > 0 && need > 0.9 * have) {
    const std::string size = fmt::format("{} paths x {} cells", study.paths, ncells);
    if (study.samples)
      throw InputError(fmt::format("output.samples: keeping every path's P&L and cost ({}) needs about {:.1f} GB of "
                                   "memory, but {:.1f} GB are available; set output.samples = false or lower study.paths",
                                   size, need / 1e9, have / 1e9));
    if (p.method == QuantileMethod::exact && study.quantile_method == "exact")
      throw InputError(fmt::format("output.quantile_method: exact quantiles keep every path's P&L ({}), about {:.1f} GB "
                                   "of memory, but {:.1f} GB are available; use \"sketch\" or lower study.paths",
                                   size, need / 1e9, have / 1e9));
    if (p.method == QuantileMethod::exact)
      throw InputError(fmt::format("study.paths: {} need about {:.1f} GB of memory for exact quantiles "
                                   "(output.quantile_method \"auto\" keeps every path's P&L up to {:.2g} paths x "
                                   "cells), but {:.1f} GB are available; set output.quantile_method = \"sketch\" or "
                                   "lower study.paths",
                                   size, need / 1e9, kAutoExactPathCells, have / 1e9));
    throw InputError(fmt::format("study.paths: {} need about {:.1f} GB of memory (chunk buffer and quantile sketches), "
                                 "but {:.1f} GB are available; lower the number of cells or raise "
                                 "output.sketch_accuracy",
                                 size, need / 1e9, have / 1e9));
  }
  return p;
}

RunResult run_study(const Study& study, const RunOptions& opt, SimOutput* raw) {
  return execute_run(study, prepare_run(study, opt), opt, raw);
}

RunResult execute_run(const Study& study, PreparedRun prepared, const RunOptions& opt, SimOutput* raw) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string& backend = prepared.backend;
  const Plan& plan = prepared.plan;
  const std::size_t ncells = plan.job.cells.size();
  const std::int64_t n = study.paths;

  RunResult r;
  r.study = study;
  r.quantile_levels = study.quantile_levels.empty() ? default_quantile_levels() : study.quantile_levels;
  r.cell_coords = plan.cell_coords;
  r.baseline = study.baseline;
  r.quantile_method = prepared.method == QuantileMethod::exact ? "exact" : "sketch";
  r.sketch_accuracy = prepared.method == QuantileMethod::sketch ? study.sketch_accuracy : CellStats::kNaN;

  StatsConfig cfg;
  cfg.levels = r.quantile_levels;
  cfg.bins = study.histogram_bins;
  cfg.loss_thresholds = study.loss_thresholds;
  cfg.worst_paths = study.worst_paths;
  cfg.baseline = ncells > 0 ? study.baseline : -1;
  cfg.method = prepared.method;
  cfg.sketch_accuracy = study.sketch_accuracy;
  cfg.keep_samples = study.samples;
  cfg.threads = opt.threads;
  StreamStats stats(cfg, ncells, n, plan.job.jumps);
  if (raw) raw->resize(ncells, n, plan.job.jumps);

  BackendOptions bo;
  bo.threads = opt.threads;
  bo.batch = opt.batch;
  bo.chunk = opt.chunk;
  bo.pass_cells = opt.pass_cells;
  bo.stop = opt.stop;
  if (opt.progress) bo.progress = [&](std::int64_t done) { opt.progress(done, study.paths); };
  // Each chunk is reduced as it comes, and copied into raw when asked for.
  const ChunkSink sink = [&](std::int64_t p0, std::int64_t p1, const SimOutput& chunk) {
    stats.add(p0, p1, chunk);
    if (!raw) return;
    const std::size_t m = static_cast<std::size_t>(p1 - p0);
    auto put = [&](const auto& from, auto& to) {
      for (std::size_t c = 0; c < ncells; ++c)
        std::copy_n(from.data() + c * m, m, to.data() + c * static_cast<std::size_t>(n) + static_cast<std::size_t>(p0));
    };
    put(chunk.pnl, raw->pnl);
    put(chunk.cost, raw->cost);
    put(chunk.turnover_shares, raw->turnover_shares);
    put(chunk.turnover_notional, raw->turnover_notional);
    put(chunk.trades, raw->trades);
    if (plan.job.jumps) {
      put(chunk.jump_pnl, raw->jump_pnl);
      put(chunk.jumps, raw->jumps);
    }
  };
  if (backend == "cuda")
    simulate_cuda(plan.job, bo, sink);
  else
    simulate_cpu(plan.job, bo, sink);

  if (opt.stop && opt.stop->load()) throw Interrupted();
  // A P&L that overflowed double precision is reported, never reduced into NaN statistics.
  for (std::size_t c = 0; c < ncells; ++c)
    if (const std::uint64_t bad = stats.nonfinite(c); bad > 0)
      throw InputError(fmt::format(
          "market: {} of {} paths of cell {} gave a non-finite P&L (the simulated spot left the {} range{}); "
          "lower market.spot, market.drift, market.volatility or the maturities",
          bad, study.paths, c, study.precision == "fp64" ? "double precision" : "single precision",
          study.precision == "fp64" ? "" : ", or use study.precision = \"fp64\""));

  r.cells = stats.finish();
  for (std::size_t c = 0; c < ncells; ++c) {
    r.cells[c].premium = plan.job.cells[c].book_value;
    r.cells[c].derman_kamal_std = plan.derman_kamal_std[c];
    r.cells[c].bkl_std = plan.bkl_std[c];
    r.cells[c].ahmad_wilmott_mean = plan.ahmad_wilmott_mean[c];
    r.cells[c].leland_volatility = plan.leland_volatility[c];
    r.cells[c].jump_residual_std = plan.jump_residual_std[c];
  }
  if (study.samples) {
    r.samples = stats.take_samples();
    r.samples_cost = stats.take_samples_cost();
  }

  r.prov.version = HEDGELAB_VERSION;
  r.prov.git_commit = HEDGELAB_GIT_COMMIT;
  r.prov.backend = backend;
  r.prov.precision = study.precision;
  if (backend == "cuda") {
    r.prov.device = cuda_device_name(0);
    r.prov.threads = 0;
  } else {
    r.prov.threads = cpu_threads(opt.threads);
    r.prov.device =
        fmt::format("{} ({} threads, {})", cpu_model_name(), r.prov.threads, cpu_loop_name(plan.job.precision));
  }
  r.prov.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace hl
