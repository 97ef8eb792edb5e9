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

PreparedRun prepare_run(const Study& study, const RunOptions& opt) {
  PreparedRun p{resolve_backend(opt.backend), make_plan(study)};
  // Every path's P&L, cost, trades and turnover are kept for exact quantiles (36 bytes per path and cell;
  // 48 with the jump P&L and jump count of a run with jumps or gaps), plus a sorted copy per reducing
  // thread and the optional samples.
  const double cells = static_cast<double>(p.plan.job.cells.size());
  const double reducers = std::min(static_cast<double>(cpu_threads(opt.threads)), cells);
  const double per_path = p.plan.job.jumps ? 48.0 : 36.0;
  const double need =
      static_cast<double>(study.paths) * (cells * (per_path + (study.samples ? 16.0 : 0.0)) + 8.0 * reducers);
  const double have = available_memory();
  if (have > 0 && need > 0.9 * have)
    throw InputError(fmt::format("study.paths: {} paths x {} cells need about {:.1f} GB of memory for per-path "
                                 "results, but {:.1f} GB are available; lower study.paths or the number of cells",
                                 study.paths, p.plan.job.cells.size(), need / 1e9, have / 1e9));
  return p;
}

RunResult run_study(const Study& study, const RunOptions& opt, SimOutput* raw) {
  return execute_run(study, prepare_run(study, opt), opt, raw);
}

RunResult execute_run(const Study& study, PreparedRun prepared, const RunOptions& opt, SimOutput* raw) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string& backend = prepared.backend;
  const Plan& plan = prepared.plan;
  BackendOptions bo;
  bo.threads = opt.threads;
  bo.batch = opt.batch;
  bo.stop = opt.stop;
  if (opt.progress) bo.progress = [&](std::int64_t done) { opt.progress(done, study.paths); };
  SimOutput local;
  SimOutput& out = raw ? *raw : local;
  if (backend == "cuda")
    simulate_cuda(plan.job, bo, out);
  else
    simulate_cpu(plan.job, bo, out);

  if (opt.stop && opt.stop->load()) throw Interrupted();
  // A P&L that overflowed double precision is reported, never reduced into NaN statistics.
  const int ncells = static_cast<int>(plan.job.cells.size());
  for (int c = 0; c < ncells; ++c) {
    const double* x = out.pnl.data() + static_cast<std::size_t>(c) * study.paths;
    const auto bad = std::count_if(x, x + study.paths, [](double v) { return !std::isfinite(v); });
    if (bad > 0)
      throw InputError(fmt::format(
          "market: {} of {} paths of cell {} gave a non-finite P&L (the simulated spot left the {} range{}); "
          "lower market.spot, market.drift, market.volatility or the maturities",
          bad, study.paths, c, study.precision == "fp64" ? "double precision" : "single precision",
          study.precision == "fp64" ? "" : ", or use study.precision = \"fp64\""));
  }

  RunResult r;
  r.study = study;
  r.quantile_levels = study.quantile_levels.empty() ? default_quantile_levels() : study.quantile_levels;
  r.cell_coords = plan.cell_coords;
  r.cells.resize(ncells);
  // Cells are independent: reduce them in parallel, each in path order.
  const int nthreads = std::min(cpu_threads(opt.threads), ncells);
  std::vector<std::thread> pool;
  for (int t = 0; t < nthreads; ++t)
    pool.emplace_back([&, t] {
      for (int c = t; c < ncells; c += nthreads) {
        const std::size_t off = static_cast<std::size_t>(c) * study.paths;
        const bool jumps = !out.jump_pnl.empty();
        const CellSamples x{out.pnl.data() + off,
                            out.cost.data() + off,
                            out.trades.data() + off,
                            out.turnover_shares.data() + off,
                            out.turnover_notional.data() + off,
                            study.paths,
                            jumps ? out.jump_pnl.data() + off : nullptr,
                            jumps ? out.jumps.data() + off : nullptr};
        cell_statistics(x, r.quantile_levels, study.histogram_bins, r.cells[c], study.loss_thresholds,
                        study.worst_paths);
        r.cells[c].premium = plan.job.cells[c].book_value;
        r.cells[c].derman_kamal_std = plan.derman_kamal_std[c];
        r.cells[c].bkl_std = plan.bkl_std[c];
        r.cells[c].ahmad_wilmott_mean = plan.ahmad_wilmott_mean[c];
        r.cells[c].leland_volatility = plan.leland_volatility[c];
        r.cells[c].jump_residual_std = plan.jump_residual_std[c];
      }
    });
  for (auto& t : pool) t.join();
  // Paired differences against the baseline cell, on the common paths.
  r.baseline = study.baseline;
  const double* base = out.pnl.data() + static_cast<std::size_t>(study.baseline) * study.paths;
  for (int c = 0; c < ncells; ++c)
    paired_statistics(out.pnl.data() + static_cast<std::size_t>(c) * study.paths, base, study.paths,
                      r.cells[study.baseline], r.cells[c]);
  if (study.samples) {
    r.samples.assign(out.pnl.begin(), out.pnl.end());
    r.samples_cost.assign(out.cost.begin(), out.cost.end());
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
    r.prov.device = fmt::format("{} ({} threads, {})", cpu_model_name(), r.prov.threads, cpu_simd());
  }
  r.prov.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace hl
