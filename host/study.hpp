#pragma once
// The experiment as plain data: what experiment.cpp parses and validates from TOML, and what every
// other part of the host reads. No pointers, no TOML types.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hl {

// Bad input: one line that names the key and what is wrong. The CLI prints it and exits 2.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  bool is_call = true;
  double strike = 0.0;
  double maturity = 0.0;  // years
  double quantity = 0.0;  // negative = sold
};

// A sweepable key. A scalar in the file is an axis of one value; a list is a sweep axis.
// Cells are the cartesian product of all axes, the last axis varying fastest.
struct SweepAxis {
  std::string key;             // "hedge.rebalances"
  std::vector<double> values;  // integers are stored exactly (|n| < 2^53)
  bool integer = false;        // written as int64 in HDF5
  bool listed = false;         // given as a list in the experiment (a true sweep axis)
};

struct Study {
  // [study]
  std::string name = "study";
  std::int64_t paths = 0;
  std::uint64_t seed = 0;
  std::string precision = "fp64";
  // [market]
  std::string model = "gbm";
  double spot = 0.0;
  double rate = 0.0;
  double drift = 0.0;       // real-world drift of the simulated spot (default: rate)
  double volatility = 0.0;  // volatility of the simulated spot
  int steps = 0;            // simulation grid; 0 = the finest grid the sweep needs (lcm of rebalances)
  // [[book]]
  std::vector<OptionSpec> book;
  // Sweep axes, in this order: hedge.rebalances, hedge.volatility, costs.proportional.
  std::vector<SweepAxis> axes;
  // [output]
  int histogram_bins = 200;
  bool samples = false;
  std::vector<double> quantile_levels;  // default: 0.001 0.01 0.05 0.25 0.5 0.75 0.95 0.99 0.999

  // Provenance.
  std::string source_path;              // file it came from ("" when parsed from a string)
  std::string source_text;              // the file as read
  std::string effective_text;           // the experiment after --set overrides, as TOML
  std::vector<std::string> overrides;   // the --set arguments, in order

  const SweepAxis& axis(const std::string& key) const {
    for (const auto& a : axes)
      if (a.key == key) return a;
    throw std::logic_error("no sweep axis " + key);
  }
};

// Reads and validates an experiment; throws InputError with one line naming the key on bad input.
// overrides are "KEY=VALUE" strings, VALUE read as TOML; "book.0.strike" addresses the first [[book]].
Study load_study(const std::string& path, const std::vector<std::string>& overrides = {});
Study parse_study(const std::string& toml_text, const std::string& source_name,
                  const std::vector<std::string>& overrides = {});

}  // namespace hl
