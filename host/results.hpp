#pragma once
// What a run produces: per-cell statistics plus provenance. Written to HDF5 by h5_writer.
#include <cstdint>
#include <string>
#include <vector>

#include "host/study.hpp"

namespace hl {

struct CellStats {
  double premium = 0.0;  // the book's value at t0 in the hedger's model (sum of quantity x price)
  double mean = 0.0, std = 0.0, stderr_mean = 0.0, stderr_std = 0.0;
  double skewness = 0.0, kurtosis = 0.0;  // kurtosis is excess kurtosis
  double min = 0.0, max = 0.0;
  double var_95 = 0.0, es_95 = 0.0, var_99 = 0.0, es_99 = 0.0;  // losses as positive numbers
  double mean_cost = 0.0;    // costs paid, valued at maturity
  double mean_trades = 0.0;  // rebalances that traded, initial hedge and unwind included
  double derman_kamal_std = 0.0;  // sqrt(pi/4) vega sigma / sqrt(N); NaN where it does not apply
  std::vector<double> quantiles;                // one per quantile level
  std::vector<std::uint64_t> histogram_counts;  // histogram_bins
  std::vector<double> histogram_edges;          // histogram_bins + 1
};

struct Provenance {
  std::string version, git_commit, backend, device, precision;
  int threads = 0;
  double elapsed_seconds = 0.0;
};

struct RunResult {
  Study study;
  std::vector<std::vector<double>> cell_coords;  // [cell][axis], axes as in study.axes
  std::vector<CellStats> cells;
  std::vector<double> quantile_levels;
  std::vector<double> samples;  // [cells x paths], row-major; empty unless study.samples
  Provenance prov;
};

}  // namespace hl
