#include "host/study.hpp"

#include <stdexcept>

namespace hl {

std::vector<std::string> sweep_keys(std::size_t n_book) {
  std::vector<std::string> k{"market.spot", "market.rate", "market.drift", "market.volatility", "market.model"};
  for (const auto& key : model_parameter_keys()) k.push_back(key);
  for (const char* key : {"stress.gap_time", "stress.gap_size", "stress.vol_shift_time", "stress.vol_shift_to"})
    k.push_back(key);
  for (std::size_t i = 0; i < n_book; ++i) {
    k.push_back("book." + std::to_string(i) + ".strike");
    k.push_back("book." + std::to_string(i) + ".quantity");
  }
  for (const char* key : {"hedge.policy", "hedge.model", "hedge.rebalances", "hedge.volatility", "hedge.band", "hedge.to",
                          "hedge.risk_aversion", "hedge.move", "costs.proportional", "costs.fixed",
                          "costs.half_spread", "costs.half_spread_per_vol", "costs.impact_eta", "costs.volume",
                          "costs.lot"})
    k.push_back(key);
  return k;
}

const std::vector<std::string>& policy_names() {
  static const std::vector<std::string> n{"time", "band", "whalley_wilmott", "zakamouline",
                                          "move", "leland", "static", "none"};
  return n;
}

const std::vector<std::string>& hedge_to_names() {
  static const std::vector<std::string> n{"edge", "target"};
  return n;
}

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> n{"fp64", "fp32", "mixed"};
  return n;
}

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> n{"gbm", "merton", "kou", "heston", "regime"};
  return n;
}

const std::vector<std::string>& hedge_model_names() {
  static const std::vector<std::string> n{"bs", "merton", "kou", "min_variance"};
  return n;
}

const std::vector<std::string>& model_parameter_keys() {
  static const std::vector<std::string> k{
      "market.jump_intensity", "market.jump_mean", "market.jump_std", "market.jump_up_probability",
      "market.eta_up",         "market.eta_down",  "market.kappa",    "market.theta",
      "market.xi",             "market.rho",       "market.v0",       "market.regime_volatilities",
      "market.regime_rates"};
  return k;
}

namespace {
// Axis groups in order of first appearance: an unzipped axis alone, zipped axes together.
std::vector<std::vector<std::size_t>> groups(const Study& s) {
  std::vector<std::vector<std::size_t>> g;
  std::vector<int> zip_of_group;
  for (std::size_t a = 0; a < s.axes.size(); ++a) {
    const int z = s.axes[a].zip;
    std::size_t k = g.size();
    if (z >= 0)
      for (std::size_t i = 0; i < g.size(); ++i)
        if (zip_of_group[i] == z) k = i;
    if (k == g.size()) {
      g.emplace_back();
      zip_of_group.push_back(z);
    }
    g[k].push_back(a);
  }
  return g;
}
}  // namespace

std::size_t cell_count(const Study& s) {
  std::size_t n = 1;
  for (const auto& g : groups(s)) n *= s.axes[g.front()].values.size();
  return n;
}

std::vector<std::size_t> cell_indices(const Study& s, std::size_t cell) {
  const auto g = groups(s);
  std::vector<std::size_t> idx(s.axes.size(), 0);
  for (std::size_t k = g.size(); k-- > 0;) {
    const std::size_t len = s.axes[g[k].front()].values.size();
    for (std::size_t a : g[k]) {
      if (s.axes[a].values.size() != len) throw std::logic_error("zipped axes of different lengths");
      idx[a] = cell % len;
    }
    cell /= len;
  }
  return idx;
}

}  // namespace hl
