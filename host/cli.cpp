#include "host/cli.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "host/bench.hpp"
#include "host/h5_writer.hpp"
#include "host/report.hpp"
#include "host/run.hpp"
#include "host/table.hpp"
#include "host/trace.hpp"
#include "version.hpp"

namespace hl {

namespace {

// A one-line progress bar on stderr, shown only on a terminal and only once a run has taken a second;
// redrawn at most ten times a second however often it is updated.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  void update(std::int64_t done, std::int64_t total) {
    if (!enabled_) return;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (secs < 1.0 || (shown_ && secs - drawn_ < 0.1 && done < total)) return;
    drawn_ = secs;
    const double frac = total > 0 ? static_cast<double>(done) / total : 1.0;
    const int width = 30, fill = static_cast<int>(frac * width);
    const double rate = done / secs;
    const double left = rate > 0 ? (total - done) / rate : 0.0;
    std::fprintf(stderr, "\r[%s%s] %5.1f%%  %.3g paths/s  %.0f s left ", std::string(fill, '#').c_str(),
                 std::string(width - fill, ' ').c_str(), 100.0 * frac, rate, left);
    std::fflush(stderr);
    shown_ = true;
  }
  // Clears the bar's line, so that what is printed next starts clean.
  void finish() {
    if (shown_) std::fprintf(stderr, "\r%80s\r", "");
    shown_ = false;
  }
  ~ProgressBar() { finish(); }

 private:
  bool enabled_, shown_ = false;
  double drawn_ = 0.0;  // seconds after start_ of the last drawing
  std::chrono::steady_clock::time_point start_;
};

// Ctrl-C (SIGINT) and SIGTERM during a run: the backends stop taking batches, the run throws
// Interrupted, and nothing is written (the HDF5 file only ever appears by rename when complete).
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

struct StopSignals {
  struct sigaction old_int {}, old_term {};
  StopSignals() {
    g_stop.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  }
};

int cmd_run(const std::string& experiment, std::string output, const std::vector<std::string>& sets,
            const std::string& backend, int threads, std::int64_t batch, std::int64_t chunk, int pass_cells,
            bool quiet, std::ostream& out) {
  Study study = load_study(experiment, sets);
  if (output.empty()) output = "results/" + study.name + ".h5";
  RunOptions opt;
  opt.backend = backend;
  opt.threads = threads;
  opt.batch = batch;
  opt.chunk = chunk;
  opt.pass_cells = pass_cells;
  // Every check that needs no simulation runs first; only then may the output directory be created.
  PreparedRun prepared = prepare_run(study, opt);
  check_output_path(output);
  ProgressBar bar(!quiet && isatty(STDERR_FILENO));
  opt.progress = [&](std::int64_t done, std::int64_t total) { bar.update(done, total); };
  StopSignals signals;
  opt.stop = &g_stop;
  RunResult r = execute_run(study, std::move(prepared), opt);
  bar.finish();
  write_results_h5(r, output);
  if (!quiet) {
    print_report(r, out);
    out << "wrote " << output << "\n";
  }
  return 0;
}

int cmd_trace(const std::string& experiment, const std::vector<std::string>& sets, std::int64_t path,
              std::int64_t cell, const std::string& csv, std::ostream& out) {
  const Study study = load_study(experiment, sets);
  const Trace t = trace_path(study, path, cell);
  if (csv.empty() || csv == "-") {
    print_trace(study, path, cell, t, out, !csv.empty());
    return 0;
  }
  std::ostringstream text;
  print_trace(study, path, cell, t, text, true);
  const std::string tmp = csv + ".tmp";
  {
    std::ofstream f(tmp);
    if (!(f << text.str()) || !f.flush()) {
      std::remove(tmp.c_str());
      throw InputError("--csv: cannot write '" + csv + "'");
    }
  }
  if (std::rename(tmp.c_str(), csv.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError("--csv: cannot write '" + csv + "'");
  }
  out << fmt::format("wrote {} ({} rows); P&L at the horizon {:.17g}\n", csv, t.rows.size(), t.pnl);
  return 0;
}

int cmd_info(std::ostream& out) {
  out << fmt::format("hedgelab {} (commit {})\n", HEDGELAB_VERSION, HEDGELAB_GIT_COMMIT);
  out << fmt::format("backends: cpu{}\n", cuda_built() ? fmt::format(", cuda (runtime {})", cuda_runtime_version())
                                                       : std::string(" (built without CUDA)"));
  out << fmt::format("cpu: {}, {} hardware threads\n", cpu_model_name(), cpu_threads(0));
  const int n = cuda_device_count();
  if (!cuda_built())
    out << "cuda devices: none (built without CUDA)\n";
  else if (n == 0)
    out << "cuda devices: none found\n";
  for (int d = 0; d < n; ++d) out << fmt::format("cuda device {}: {}\n", d, cuda_device_name(d));
  out << "precisions: fp64, fp32, mixed (study.precision)\n";
  return 0;
}

// A whole number in [lo, hi], with a message that names the range (CLI11's own range check prints a
// 300-digit bound). `zero` says what 0 means where 0 is allowed and means a default.
constexpr std::int64_t kMaxWhole = 999'999'999'999'999'999;  // the largest 18-digit number
CLI::Validator whole_number(std::int64_t lo, std::int64_t hi, const std::string& zero = "") {
  const std::string range = lo == 0 && !zero.empty() ? fmt::format("from 0 ({}) to {}", zero, hi)
                                                     : fmt::format("from {} to {}", lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& v) {
        const bool digits = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
        // CLI11 reads "010" as octal 8 after this check: refused, not read two ways.
        if (digits && v.size() > 1 && v[0] == '0') return "must be written without leading zeros, got " + v;
        const std::int64_t k = digits && v.size() < 19 ? std::stoll(v) : -1;
        return k >= lo && k <= hi ? std::string() : "must be a whole number " + range + ", got " + v;
      },
      hi == kMaxWhole ? fmt::format("N>={}", lo) : fmt::format("{}..{}", lo, hi));
}
const CLI::Validator kWholeNumber = whole_number(0, kMaxWhole);
const CLI::Validator kThreads = whole_number(0, 1024, "all cores");

// --pass-cells: 1 to kMaxCellsPerPassCpu.
const CLI::Validator kPassCells = whole_number(1, kMaxCellsPerPassCpu);

}  // namespace

int hedgelab_main(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"hedgelab: Monte Carlo engine for the hedging error of dynamically hedged option books"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("hedgelab ") + HEDGELAB_VERSION + " (" + HEDGELAB_GIT_COMMIT + ")");

  std::string experiment, output, backend = "auto";
  std::vector<std::string> sets;
  int threads = 0;
  std::int64_t batch = 0, chunk = 0;
  int pass_cells = 0;
  bool quiet = false;
  CLI::App* run = app.add_subcommand("run", "run an experiment and write its HDF5 results");
  run->add_option("experiment", experiment, "experiment TOML file")->required();
  run->add_option("-o,--output", output, "HDF5 output file (default: results/<study.name>.h5)")
      ->check(CLI::Validator([](std::string& v) { return v.empty() ? std::string("must not be empty") : ""; },
                             "FILE"));
  run->add_option("--set", sets, "override a key: KEY=VALUE, VALUE read as TOML (repeatable)")
      ->type_name("KEY=VALUE")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_option("--backend", backend, "auto | cpu | cuda")->capture_default_str();
  run->add_option("--threads", threads, "CPU threads (default: all)")->check(kThreads);
  run->add_option("--batch-size", batch, "paths per work item (results do not depend on it)")
      ->check(kWholeNumber);
  run->add_option("--chunk-size", chunk,
                  "paths simulated and reduced at a time: bounds memory (results do not depend on it)")
      ->check(kWholeNumber);
  run->add_option("--pass-cells", pass_cells,
                  "cells hedged on one simulation of a path (default: 16 on cuda, 64 on cpu; results do not "
                  "depend on it)")
      ->check(kPassCells);
  run->add_flag("-q,--quiet", quiet, "print only errors");
  CLI::App* info = app.add_subcommand("info", "version, backends built in, devices seen");
  std::int64_t trace_path_index = 0, trace_cell = 0;
  std::string trace_csv;
  CLI::App* trace = app.add_subcommand("trace", "the ledger of one path in one cell, step by step");
  trace->add_option("experiment", experiment, "experiment TOML file")->required();
  trace->add_option("--path", trace_path_index, "path index (0-based)")->required()->check(kWholeNumber);
  trace->add_option("--cell", trace_cell, "cell index (0-based, the row of /cells)")->check(kWholeNumber);
  trace->add_option("--set", sets, "override a key: KEY=VALUE, VALUE read as TOML (repeatable)")
      ->type_name("KEY=VALUE")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  trace->add_option("--csv", trace_csv, "write the ledger as CSV to this file (- for stdout)");
  BenchOptions bench_opt;
  CLI::App* bench = app.add_subcommand("bench", "time the simulate-and-hedge kernel: path-steps per second");
  bench->add_option("--backend", bench_opt.backend, "auto | cpu | cuda")->capture_default_str();
  bench->add_option("--threads", bench_opt.threads, "CPU threads (default: all)")->check(kThreads);
  bench->add_option("--paths", bench_opt.paths, "paths (default: 1e6 on cpu, 1e7 on cuda)")
      ->check(whole_number(2, kMaxWhole));
  bench->add_option("--steps", bench_opt.steps, "steps = rebalances (default: 84 on cpu, 252 on cuda)")
      ->check(whole_number(1, std::min(kMaxSteps, kMaxRebalances)));  // bench rebalances at every step
  bench->add_option("--cells", bench_opt.cells, "cells, rebalancing at the largest divisors of --steps")
      ->capture_default_str()
      ->check(whole_number(1, 10000));
  bench->add_option("--costs", bench_opt.costs, "proportional cost levels 0, 5bp, 10bp, ... (x --cells)")
      ->capture_default_str()
      ->check(whole_number(1, 2000));  // the last level, 0.0005 x (costs - 1), stays below 1
  bench->add_option("--repeat", bench_opt.repeat, "timed runs; the best is reported")
      ->capture_default_str()
      ->check(whole_number(1, 1'000'000));
  bench->add_option("--model", bench_opt.model, "path model: gbm | merton | kou | heston | regime")
      ->capture_default_str();
  bench->add_option("--precision", bench_opt.precision, "fp64 | fp32 | mixed")->capture_default_str();
  bench->add_option("--chunk-size", bench_opt.chunk, "paths simulated at a time (default: about 512 MB of results)")
      ->check(kWholeNumber);
  bench->add_option("--pass-cells", bench_opt.pass_cells,
                    "cells hedged on one simulation of a path (default: 16 on cuda, 64 on cpu)")
      ->check(kPassCells);
  bench->add_flag("--stats", bench_opt.stats, "also time the statistics (moments, quantiles, histograms), as run does");
  bench->add_flag("--json", bench_opt.json, "one JSON record per run");
  std::string table_file, table_output;
  TableOptions table_opt;
  CLI::App* table = app.add_subcommand("table", "the cells table of a results file: markdown, LaTeX or CSV");
  table->add_option("results", table_file, "hedgelab HDF5 results file")->required();
  table->add_option("--format", table_opt.format, "markdown | latex | csv")->capture_default_str();
  table->add_option("--columns", table_opt.columns, "comma-separated /cells columns (standard errors added)")
      ->capture_default_str();
  table->add_option("--digits", table_opt.digits, "decimals after the point (0-17)")->capture_default_str()->check(kWholeNumber);
  table->add_option("-o,--output", table_output, "write to FILE instead of stdout");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "error: " << e.what() << " (see hedgelab --help)\n";
    return 2;
  }

  try {
    if (info->parsed()) return cmd_info(out);
    if (bench->parsed()) return run_bench(bench_opt, out);
    if (table->parsed()) return cmd_table(table_file, table_opt, table_output, out);
    if (trace->parsed()) return cmd_trace(experiment, sets, trace_path_index, trace_cell, trace_csv, out);
    return cmd_run(experiment, output, sets, backend, threads, batch, chunk, pass_cells, quiet, out);
  } catch (const InputError& e) {
    err << "error: " << e.what() << "\n";
    return 2;
  } catch (const Interrupted& e) {
    err << e.what() << "\n";
    return 130;  // 128 + SIGINT, as a shell reports a job stopped by Ctrl-C
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hl
