#include "host/bench.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "host/plan.hpp"
#include "host/run.hpp"
#include "kernels/cpu_paths.hpp"
#include "version.hpp"

namespace hl {

int run_bench(const BenchOptions& o, std::ostream& out) {
  const std::string backend = resolve_backend(o.backend);
  const bool gpu = backend == "cuda";
  const std::int64_t paths = o.paths > 0 ? o.paths : (gpu ? 10'000'000 : 1'000'000);
  const int steps = o.steps > 0 ? o.steps : (gpu ? 252 : 84);
  if (o.cells < 1) throw InputError("--cells: must be >= 1");
  if (o.repeat < 1) throw InputError("--repeat: must be >= 1");
  if (o.costs < 1) throw InputError("--costs: must be >= 1");
  const auto& precisions = precision_names();
  if (std::find(precisions.begin(), precisions.end(), o.precision) == precisions.end())
    throw InputError(fmt::format("--precision: must be {}, got '{}'", fmt::join(precisions, ", "), o.precision));
  std::vector<double> costs;
  for (int k = 0; k < o.costs; ++k) costs.push_back(0.0005 * k);

  // An at-the-money one-year call, hedged at every step of the grid; more cells rebalance at the
  // largest divisors of steps (all on one grid).
  std::vector<int> reb;
  for (int d = steps; d >= 1 && static_cast<int>(reb.size()) < o.cells; --d)
    if (steps % d == 0) reb.push_back(d);
  if (static_cast<int>(reb.size()) < o.cells)
    throw InputError(fmt::format("--cells: {} steps have only {} divisors, fewer than {} cells", steps, reb.size(),
                                 o.cells));
  // Each model with the parameters of its shipped experiment (one jump a year for the jump models).
  std::string params;
  if (o.model == "merton") params = "jump_intensity = 1.0\njump_mean = -0.1\njump_std = 0.15\n";
  else if (o.model == "kou") params = "jump_intensity = 1.0\njump_up_probability = 0.4\neta_up = 10.0\neta_down = 5.0\n";
  else if (o.model == "heston") params = "kappa = 2.0\ntheta = 0.04\nxi = 0.5\nrho = -0.7\nv0 = 0.04\n";
  else if (o.model == "regime") params = "regime_volatilities = [0.15, 0.45]\nregime_rates = [2.0, 6.0]\n";
  else if (o.model != "gbm")
    throw InputError(fmt::format("--model: must be gbm, merton, kou, heston or regime, got '{}'", o.model));
  const Study s = parse_study(fmt::format("[study]\nname = \"bench\"\npaths = {}\nseed = 1\nprecision = \"{}\"\n"
                                          "[market]\nmodel = \"{}\"\n{}spot = 100.0\nrate = 0.05\nvolatility = 0.2\nsteps = {}\n"
                                          "[[book]]\nstrike = 100.0\nmaturity = 1.0\n"
                                          "[hedge]\nrebalances = [{}]\n[costs]\nproportional = [{}]\n",
                                          paths, o.precision, o.model, params, steps, fmt::join(reb, ", "), fmt::join(costs, ", ")),
                              "bench");
  BackendOptions bo;
  bo.threads = o.threads;
  bo.chunk = o.chunk;
  bo.pass_cells = o.pass_cells;
  RunOptions ro;
  ro.backend = backend;
  ro.threads = o.threads;
  ro.chunk = o.chunk;
  ro.pass_cells = o.pass_cells;
  // Without --stats each chunk reaches the host (as in a run) and is dropped: memory stays at one chunk
  // whatever the number of paths and cells. With --stats it is reduced as `run` reduces it.
  const ChunkSink drop = [](std::int64_t, std::int64_t, const SimOutput&) {};
  const PreparedRun prepared = o.stats ? prepare_run(s, ro) : PreparedRun{backend, make_plan(s)};
  const Plan& plan = prepared.plan;
  std::vector<double> secs;
  for (int r = 0; r < o.repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.stats)
      execute_run(s, prepared, ro, nullptr);
    else if (gpu)
      simulate_cuda(plan.job, bo, drop);
    else
      simulate_cpu(plan.job, bo, drop);
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::vector<double> sorted = secs;
  std::sort(sorted.begin(), sorted.end());
  const double best = sorted.front(), median = sorted[sorted.size() / 2];
  const double work = static_cast<double>(paths) * steps;
  const std::string device = gpu ? cuda_device_name(0)
                                 : fmt::format("{} ({} threads, {})", cpu_model_name(), cpu_threads(o.threads),
                                               cpu_loop_name(plan.job.precision));
  // The GPU this machine has (device 0), on every record whatever its backend, or "none".
  const std::string gpu_seen = cuda_device_count() > 0 ? cuda_device_name(0) : std::string("none");
  const std::string scope = o.stats ? fmt::format("simulate, hedge and statistics ({} quantiles)",
                                                 prepared.method == QuantileMethod::exact ? "exact" : "sketch")
                                   : std::string("simulate and hedge only");
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  if (o.json) {
    out << fmt::format(
        "{{\"tool\": \"hedgelab bench\", \"date\": \"{}\", \"version\": \"{}\", \"commit\": \"{}\", \"backend\": "
        "\"{}\", \"device\": \"{}\", \"gpu\": \"{}\", \"precision\": \"{}\", \"model\": \"{}\", \"workload\": \"{} {} paths x {} steps, {} cell(s) "
        "({} rebalance counts x {} cost levels), {}\", \"scope\": \"{}\", \"pass_cells\": {}, \"paths\": {}, \"steps\": {}, \"cells\": {}, "
        "\"repeat\": {}, \"best_s\": {:.6f}, \"median_s\": {:.6f}, \"path_steps_per_s\": {:.4e}}}\n",
        date, HEDGELAB_VERSION, HEDGELAB_GIT_COMMIT, backend, device, gpu_seen, s.precision, o.model, o.model, paths, steps, o.cells * o.costs, o.cells,
        o.costs, scope, o.stats ? "stats" : "kernel", pass_cells(bo, gpu), paths, steps, o.cells * o.costs, o.repeat, best, median, work / best);
  } else {
    out << fmt::format("hedgelab bench: {} [{}], {}, commit {}\n", backend, device, s.precision, HEDGELAB_GIT_COMMIT);
    out << fmt::format("{} {} paths x {} steps, {} cell(s) ({} rebalance counts x {} cost levels), {}, {} runs\n",
                       o.model, paths, steps, o.cells * o.costs, o.cells, o.costs, scope, o.repeat);
    out << fmt::format("best {:.4f} s, median {:.4f} s: {:.3e} path-steps/s (best)\n", best, median, work / best);
  }
  return 0;
}

}  // namespace hl
