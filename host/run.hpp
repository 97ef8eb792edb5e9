#pragma once
#include <cstdint>
#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>

#include "host/plan.hpp"
#include "host/results.hpp"
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
  std::function<void(std::int64_t done, std::int64_t total)> progress;
  const std::atomic<bool>* stop = nullptr;  // set from a signal handler: the run throws Interrupted
};

// "cpu" or "cuda" for a requested backend; InputError for an unknown name or cuda with no device.
std::string resolve_backend(const std::string& requested);

// Everything that can be checked before simulating: the backend, the plan (grid, maturities) and the
// memory the per-path results need. Throws InputError.
struct PreparedRun {
  std::string backend;
  Plan plan;
};
PreparedRun prepare_run(const Study& study, const RunOptions& opt);

// Simulates and reduces a prepared study. raw, when given, receives the per-path arrays.
RunResult execute_run(const Study& study, PreparedRun prepared, const RunOptions& opt, SimOutput* raw = nullptr);

// prepare_run, then execute_run.
RunResult run_study(const Study& study, const RunOptions& opt, SimOutput* raw = nullptr);

std::string cpu_model_name();

}  // namespace hl
