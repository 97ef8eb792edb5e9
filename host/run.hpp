#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "host/results.hpp"
#include "kernels/backend.hpp"

namespace hl {

struct RunOptions {
  std::string backend = "auto";  // auto | cpu | cuda
  int threads = 0;                // CPU threads; 0 = all
  std::int64_t batch = 0;         // paths per work item; 0 = backend default
  std::function<void(std::int64_t done, std::int64_t total)> progress;
};

// "cpu" or "cuda" for a requested backend; InputError for an unknown name or cuda with no device.
std::string resolve_backend(const std::string& requested);

// Plans, simulates and reduces a study. raw, when given, receives the per-path arrays.
RunResult run_study(const Study& study, const RunOptions& opt, SimOutput* raw = nullptr);

std::string cpu_model_name();

}  // namespace hl
