#pragma once
#include <cstdint>
#include <ostream>
#include <string>

namespace hl {

struct BenchOptions {
  std::string backend = "auto";
  int threads = 0;
  std::int64_t paths = 0;  // 0: 1e6 on cpu, 1e7 on cuda
  int steps = 0;           // 0: 84 on cpu, 252 on cuda
  int cells = 1;           // rebalance counts: the largest divisors of steps
  int costs = 1;           // proportional cost levels 0, 0.0005, 0.001, ... (cells x costs in all)
  int repeat = 3;
  std::string model = "gbm";  // market.model of the simulated paths (Black-Scholes hedger in every case)
  std::string precision = "fp64";  // study.precision
  std::int64_t chunk = 0;          // paths per chunk (0: the backend's default)
  int pass_cells = 0;              // cells per simulation of a path (0: the backend's default)
  bool stats = false;              // also reduce the statistics, as `run` does
  bool json = false;
};

// Times the simulate-and-hedge step (chunk by chunk, each chunk brought to the host and dropped; with
// stats also the streamed statistics of `run`; never any file I/O) for paths of a model hedging an
// at-the-money call, and prints path-steps per second (paths x steps / seconds).
int run_bench(const BenchOptions& opt, std::ostream& out);

}  // namespace hl
