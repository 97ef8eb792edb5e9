#pragma once
#include <cstdint>
#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>

#include "host/plan.hpp"
#include "host/results.hpp"
#include "host/stats.hpp"
#include "kernels/backend.hpp"

namespace hl {

// A run stopped by Ctrl-C (RunOptions::stop): nothing is written.
struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted: no results written") {}
};

struct RunOptions {
  std::string backend = "auto";  // auto | cpu | cuda
  int threads = 0;                // CPU threads; 0 = all
  std::int64_t batch = 0;         // paths per work item; 0 = backend default
  std::int64_t chunk = 0;         // paths per chunk (memory and reduction unit); 0 = backend default
  int pass_cells = 0;             // cells per simulation of a path (BackendOptions); 0 = backend default
  std::function<void(std::int64_t done, std::int64_t total)> progress;
  const std::atomic<bool>* stop = nullptr;  // set from a signal handler: the run throws Interrupted
};

// "cpu" or "cuda" for a requested backend; InputError for an unknown name or cuda with no device.
std::string resolve_backend(const std::string& requested);

// Everything that can be checked before simulating: the backend, the plan (grid, maturities), the
// quantile method and the memory the run needs. Throws InputError.
struct PreparedRun {
  std::string backend;
  Plan plan;
  QuantileMethod method = QuantileMethod::exact;
};

// output.quantile_method "auto" picks exact quantiles up to this many path-cells (2 GB of P&L), and
// the sketch above. A fixed rule, not the machine's free memory: the method, and so the results, are
// the same on every machine.
constexpr double kAutoExactPathCells = 2.5e8;
QuantileMethod resolve_quantile_method(const Study& study, std::size_t cells);

// Bytes a run holds at its peak: the chunk buffer(s), the exact method's P&L, the sketches, the samples
// (and a sorted copy per reducing thread where the exact P&L is also the samples).
double run_memory_bytes(const Study& study, const Plan& plan, QuantileMethod method, const RunOptions& opt);
PreparedRun prepare_run(const Study& study, const RunOptions& opt);

// Simulates a prepared study chunk by chunk, reducing each chunk into the statistics (StreamStats).
// raw, when given, also receives every path's arrays (tests: memory proportional to the paths).
RunResult execute_run(const Study& study, PreparedRun prepared, const RunOptions& opt, SimOutput* raw = nullptr);

// prepare_run, then execute_run.
RunResult run_study(const Study& study, const RunOptions& opt, SimOutput* raw = nullptr);

std::string cpu_model_name();

}  // namespace hl
