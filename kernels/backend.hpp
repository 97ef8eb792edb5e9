#pragma once
// Host-side interface of the two backends. Both run hedge_path() for every path and cell and fill
// per-path arrays laid out [cell][path]; results do not depend on threads or batch size.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/params.hpp"

namespace hl {

struct SimJob {
  PathParams params;  // table pointers are set by the backend from the vectors below
  std::vector<double> discount, sqrt_tau, inv_sqrt_tau;
  std::vector<CellParams> cells;  // all cells; backends split them into passes of kMaxCellsPerPass
  std::vector<int> cell_vol_index;  // per cell: index of its hedge volatility (vol_group is per pass)
  std::int64_t paths = 0;
};

struct SimOutput {
  std::vector<double> pnl, cost;       // [cells x paths]
  std::vector<std::uint32_t> trades;   // [cells x paths]
};

struct BackendOptions {
  int threads = 0;          // CPU worker threads; 0 = all hardware threads
  std::int64_t batch = 0;   // paths per work item; 0 = backend default
  std::function<void(std::int64_t paths_done)> progress;  // called on the calling thread
};

// Cells [first, first+count) as one pass, with vol_group renumbered within the pass.
std::vector<CellParams> make_pass(const SimJob& job, int first, int count);

void simulate_cpu(const SimJob& job, const BackendOptions& opt, SimOutput& out);
void simulate_cuda(const SimJob& job, const BackendOptions& opt, SimOutput& out);

int cpu_threads(int requested);
bool cuda_built();
int cuda_device_count();          // 0 when none, or no driver
std::string cuda_device_name(int device);
std::string cuda_runtime_version();

}  // namespace hl
