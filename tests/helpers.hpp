#pragma once
// Builders shared by the tests.
#include <cstdlib>
#include <limits>
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

inline OptionSpec option(bool call, double strike, double maturity, double quantity) {
  OptionSpec o;
  o.is_call = call;
  o.strike = strike;
  o.maturity = maturity;
  o.quantity = quantity;
  return o;
}

// A sweep axis by field name (robust to fields added to SweepAxis).
inline SweepAxis axis(std::string key, std::vector<double> values, std::vector<std::string> labels, bool integer,
                      bool listed, int zip) {
  SweepAxis a;
  a.key = std::move(key);
  a.values = std::move(values);
  a.labels = std::move(labels);
  a.integer = integer;
  a.listed = listed;
  a.zip = zip;
  return a;
}

// Sets an axis' values (listed when more than one); a string axis takes labels.
inline void set_axis(Study& s, const std::string& key, std::vector<double> values) {
  for (auto& a : s.axes)
    if (a.key == key) {
      a.values = std::move(values);
      a.listed = a.values.size() > 1;
      return;
    }
  throw std::logic_error("no axis " + key);
}
inline void set_choice(Study& s, const std::string& key, std::vector<std::string> labels) {
  for (auto& a : s.axes)
    if (a.key == key) {
      a.labels = std::move(labels);
      a.values.clear();
      for (std::size_t i = 0; i < a.labels.size(); ++i) a.values.push_back(static_cast<double>(i));
      a.listed = a.labels.size() > 1;
      return;
    }
  throw std::logic_error("no axis " + key);
}

// A study with every axis at its default (time policy, no costs), then the given values.
inline Study make_study(std::vector<OptionSpec> book, std::vector<double> rebalances, std::vector<double> hedge_vols,
                        std::vector<double> costs, double spot = 100.0, double rate = 0.05, double drift = 0.05,
                        double vol = 0.2, std::int64_t paths = 1000, std::uint64_t seed = 42) {
  Study s;
  s.name = "test";
  s.paths = paths;
  s.seed = seed;
  s.book = std::move(book);
  s.histogram_bins = 20;
  for (const std::string& key : sweep_keys(s.book.size())) {
    SweepAxis a;
    a.key = key;
    a.integer = key == "hedge.rebalances";
    a.values = {0.0};
    s.axes.push_back(a);
  }
  set_axis(s, "market.spot", {spot});
  set_axis(s, "market.rate", {rate});
  set_axis(s, "market.drift", {drift});
  set_axis(s, "market.volatility", {vol});
  set_choice(s, "market.model", {"gbm"});
  set_choice(s, "hedge.model", {"bs"});
  // Model parameters unset (NaN), as the parser leaves them; rho and the gap size default to 0.
  const double unset = std::numeric_limits<double>::quiet_NaN();
  for (const std::string& key : model_parameter_keys())
    if (key != "market.regime_volatilities" && key != "market.regime_rates")
      set_axis(s, key, {key == "market.rho" ? 0.0 : unset});
  for (const char* key : {"market.regime_volatilities", "market.regime_rates"})
    for (auto& a : s.axes)
      if (a.key == key) {
        a.tuples = {{unset, unset}};
        a.labels = {"unset"};
      }
  for (const char* key : {"stress.gap_time", "stress.vol_shift_time", "stress.vol_shift_to"}) set_axis(s, key, {unset});
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    set_axis(s, "book." + std::to_string(i) + ".strike", {s.book[i].strike});
    set_axis(s, "book." + std::to_string(i) + ".quantity", {s.book[i].quantity});
  }
  set_choice(s, "hedge.policy", {"time"});
  set_choice(s, "hedge.to", {"edge"});
  set_axis(s, "hedge.rebalances", rebalances);
  set_axis(s, "hedge.volatility", hedge_vols);
  set_axis(s, "hedge.risk_aversion", {1.0});
  set_axis(s, "costs.proportional", costs);
  set_axis(s, "costs.volume", {1e6});
  return s;
}

}  // namespace hl::test
