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

// A sweepable key. Every sweepable key is an axis: a scalar in the file (or its default) is an axis
// of one value, a list is a true sweep axis. Cells are the cartesian product of the axes, the last
// varying fastest, except that axes zipped together ([sweep] zip) advance in step as one.
struct SweepAxis {
  std::string key;                  // "hedge.rebalances"
  std::vector<double> values;       // numbers; for a choice axis, indices into labels
  std::vector<std::string> labels;  // the choices of a string axis ("hedge.policy"); empty for numbers
  std::vector<std::vector<double>> tuples;  // a pair axis (market.regime_volatilities): values index these,
                                            // labels name them ("0.15/0.45")
  bool integer = false;             // written as int64 in HDF5
  bool listed = false;              // given as a list in the experiment (a true sweep axis)
  int zip = -1;                     // axes with the same zip group >= 0 advance together
};

struct Study {
  // [study]
  std::string name = "study";
  std::int64_t paths = 0;
  std::uint64_t seed = 0;
  std::string precision = "fp64";
  // [market] (spot, rate, drift, volatility, model and the model parameters are axes)
  std::string model = "gbm";  // the market.model label(s), comma-separated, for messages
  int steps = 0;            // simulation grid; 0 = the finest grid the sweep needs (lcm of rebalances)
  // [[book]]: kind and maturity; strike and quantity are axes book.N.strike, book.N.quantity (the
  // OptionSpec fields hold their first value)
  std::vector<OptionSpec> book;
  // [costs] switches (not sweepable)
  bool costs_on_initial = true;  // the initial hedge pays costs
  bool costs_on_unwind = true;   // the unwind at the horizon pays costs
  // Every sweepable key, in the canonical order of sweep_keys().
  std::vector<SweepAxis> axes;
  // [output]
  int histogram_bins = 200;
  bool samples = false;
  std::vector<double> quantile_levels;  // default: 0.001 0.01 0.05 0.25 0.5 0.75 0.95 0.99 0.999
  int baseline = 0;                     // the cell paired differences are taken against
  std::vector<double> loss_thresholds;  // P(loss > L) for each L (output.loss_thresholds)
  int worst_paths = 10;                 // the worst paths of each cell, by index and P&L
  std::string quantile_method = "auto";  // auto | exact | sketch (output.quantile_method)
  double sketch_accuracy = 1e-4;         // the sketch's relative accuracy (output.sketch_accuracy)

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
  std::size_t axis_index(const std::string& key) const {
    for (std::size_t a = 0; a < axes.size(); ++a)
      if (axes[a].key == key) return a;
    throw std::logic_error("no sweep axis " + key);
  }
  // The axis' first value (its only one when it is not swept).
  double first(const std::string& key) const { return axis(key).values.at(0); }
};

// The sweepable keys of a study with n_book options, in canonical (axis) order:
// market.spot, market.rate, market.drift, market.volatility, market.model, the model parameters
// (model_parameter_keys()), the stress keys (stress.gap_time, stress.gap_size, stress.vol_shift_time,
// stress.vol_shift_to), book.N.strike, book.N.quantity (each N), hedge.policy, hedge.model, hedge.rebalances, hedge.volatility, hedge.band, hedge.to, hedge.risk_aversion,
// hedge.move, costs.proportional, costs.fixed, costs.half_spread, costs.half_spread_per_vol,
// costs.impact_eta, costs.volume, costs.lot.
std::vector<std::string> sweep_keys(std::size_t n_book);

// The choices of the string axes.
const std::vector<std::string>& policy_names();  // time band whalley_wilmott zakamouline move leland static none
const std::vector<std::string>& hedge_to_names();  // edge target
const std::vector<std::string>& model_names();
const std::vector<std::string>& precision_names();  // fp64 fp32 mixed (study.precision), as kernels/params.hpp Precision     // gbm merton kou heston regime (market.model)
const std::vector<std::string>& hedge_model_names();  // bs merton kou min_variance (hedge.model)
// market.jump_intensity ... market.regime_rates, in axis order.
const std::vector<std::string>& model_parameter_keys();

// Cell enumeration: the number of cells, and the value index of each axis for cell c.
std::size_t cell_count(const Study& s);
std::vector<std::size_t> cell_indices(const Study& s, std::size_t cell);

// Reads and validates an experiment; throws InputError with one line naming the key on bad input.
// overrides are "KEY=VALUE" strings, VALUE read as TOML; "book.0.strike" addresses the first [[book]].
Study load_study(const std::string& path, const std::vector<std::string>& overrides = {});
Study parse_study(const std::string& toml_text, const std::string& source_name,
                  const std::vector<std::string>& overrides = {});

}  // namespace hl
