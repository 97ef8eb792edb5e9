#pragma once
// Builders shared by the tests.
#include <cstdlib>
#include <string>
#include <vector>

#include "host/study.hpp"

namespace hl::test {

// A file of the source tree: HEDGELAB_SOURCE_DIR from the environment (a bundle run elsewhere, as on
// the GPU machine), else the tree the tests were built from.
inline std::string source_path(const std::string& rel) {
  const char* env = std::getenv("HEDGELAB_SOURCE_DIR");
  return std::string(env && *env ? env : HEDGELAB_SOURCE_DIR) + "/" + rel;
}

inline Study make_study(std::vector<OptionSpec> book, std::vector<double> rebalances, std::vector<double> hedge_vols,
                        std::vector<double> costs, double spot = 100.0, double rate = 0.05, double drift = 0.05,
                        double vol = 0.2, std::int64_t paths = 1000, std::uint64_t seed = 42) {
  Study s;
  s.name = "test";
  s.paths = paths;
  s.seed = seed;
  s.spot = spot;
  s.rate = rate;
  s.drift = drift;
  s.volatility = vol;
  s.book = std::move(book);
  s.axes = {{"hedge.rebalances", rebalances, true, rebalances.size() > 1},
            {"hedge.volatility", hedge_vols, false, hedge_vols.size() > 1},
            {"costs.proportional", costs, false, costs.size() > 1}};
  s.histogram_bins = 20;
  return s;
}

inline OptionSpec option(bool call, double strike, double maturity, double quantity) {
  OptionSpec o;
  o.is_call = call;
  o.strike = strike;
  o.maturity = maturity;
  o.quantity = quantity;
  return o;
}

}  // namespace hl::test
