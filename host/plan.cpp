#include "host/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "host/theory.hpp"
#include "kernels/black_scholes.hpp"

namespace hl {

namespace {

std::int64_t grid_steps(const Study& s) {
  const auto& reb = s.axis("hedge.rebalances").values;
  if (s.steps > 0) {
    for (double v : reb)
      if (s.steps % static_cast<std::int64_t>(v) != 0)
        throw InputError(fmt::format("market.steps: {} is not a multiple of hedge.rebalances value {}", s.steps,
                                     static_cast<std::int64_t>(v)));
    return s.steps;
  }
  std::int64_t m = 1;
  for (double v : reb) {
    m = std::lcm(m, static_cast<std::int64_t>(v));
    if (m > kMaxSteps)
      throw InputError(fmt::format(
          "hedge.rebalances: these values need a common simulation grid of more than {} steps (their least "
          "common multiple); choose values that divide each other, or set market.steps",
          kMaxSteps));
  }
  return m;
}

const std::string& label(const SweepAxis& a, double v) { return a.labels.at(static_cast<std::size_t>(v)); }

}  // namespace

double derman_kamal_std(double vega, double sigma, int rebalances) {
  return std::sqrt(M_PI / 4.0) * vega * sigma / std::sqrt(static_cast<double>(rebalances));
}


CellConfig cell_config(const Study& s, std::size_t cell) {
  const std::vector<std::size_t> idx = cell_indices(s, cell);
  std::map<std::string, double> v;
  for (std::size_t a = 0; a < s.axes.size(); ++a) v[s.axes[a].key] = s.axes[a].values[idx[a]];
  auto get = [&](const std::string& key) { return v.at(key); };
  CellConfig c;
  c.spot = get("market.spot");
  c.rate = get("market.rate");
  c.drift = get("market.drift");
  c.volatility = get("market.volatility");
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    c.strike.push_back(get("book." + std::to_string(i) + ".strike"));
    c.quantity.push_back(get("book." + std::to_string(i) + ".quantity"));
  }
  const std::string& policy = label(s.axis("hedge.policy"), get("hedge.policy"));
  const auto& names = policy_names();
  c.policy = static_cast<int>(std::find(names.begin(), names.end(), policy) - names.begin());
  c.rebalances = static_cast<int>(get("hedge.rebalances"));
  c.hedge_volatility = get("hedge.volatility");
  c.band = get("hedge.band");
  c.to_edge = label(s.axis("hedge.to"), get("hedge.to")) == "edge";
  c.risk_aversion = get("hedge.risk_aversion");
  c.move = get("hedge.move");
  c.proportional = get("costs.proportional");
  c.fixed = get("costs.fixed");
  c.half_spread = get("costs.half_spread");
  c.half_spread_per_vol = get("costs.half_spread_per_vol");
  c.impact_eta = get("costs.impact_eta");
  c.volume = get("costs.volume");
  c.lot = get("costs.lot");
  return c;
}

Plan make_plan(const Study& s) {
  if (s.book.empty()) throw InputError("book: at least one [[book]] option is required");
  if (static_cast<int>(s.book.size()) > kMaxBook)
    throw InputError(fmt::format("book: at most {} options are supported, got {}", kMaxBook, s.book.size()));
  Plan plan;
  const std::int64_t M = grid_steps(s);
  double T = 0.0;
  for (const auto& o : s.book) T = std::max(T, o.maturity);
  plan.horizon = T;
  const double dt = T / static_cast<double>(M);
  std::vector<int> expiry(s.book.size());
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    // Each maturity must be a grid date, so that its payoff is paid on the simulated path.
    const double k = s.book[i].maturity / T * static_cast<double>(M);
    const double kr = std::round(k);
    if (kr < 1.0 || std::fabs(k - kr) > 1e-6)
      throw InputError(fmt::format(
          "book.{}.maturity: {} is not a date of the simulation grid ({} steps of {:.6g} years up to the last "
          "maturity {}); set market.steps so that every maturity falls on a step",
          i, s.book[i].maturity, M, dt, T));
    expiry[i] = static_cast<int>(kr);
  }

  SimJob& job = plan.job;
  job.paths = s.paths;
  std::map<std::vector<double>, int> group_of;  // market + book values -> path group
  std::vector<double> vols;                     // distinct hedge volatilities, in order of first use
  std::map<std::vector<double>, int> trade_of;  // what moves a cell's trades -> trade index
  const std::size_t ncells = cell_count(s);
  for (std::size_t cidx = 0; cidx < ncells; ++cidx) {
    const CellConfig c = cell_config(s, cidx);
    const std::string where = fmt::format("cell {}", cidx);

    // The path group: its simulated market and its book.
    std::vector<double> key{c.spot, c.rate, c.drift, c.volatility};
    key.insert(key.end(), c.strike.begin(), c.strike.end());
    key.insert(key.end(), c.quantity.begin(), c.quantity.end());
    auto [it, fresh] = group_of.try_emplace(key, static_cast<int>(job.groups.size()));
    if (fresh) {
      PathGroup g;
      PathParams& P = g.params;
      P = PathParams{};
      P.seed = s.seed;
      P.steps = static_cast<int>(M);
      P.dt = dt;
      P.rate = c.rate;
      P.volatility = c.volatility;
      P.spot = c.spot;
      P.log_spot = std::log(c.spot);
      P.drift_dt = (c.drift - 0.5 * c.volatility * c.volatility) * dt;
      P.vol_sqrt_dt = c.volatility * std::sqrt(dt);
      P.growth_horizon = std::exp(c.rate * T);
      P.n_book = static_cast<int>(s.book.size());
      P.cost_initial = s.costs_on_initial ? 1 : 0;
      P.cost_unwind = s.costs_on_unwind ? 1 : 0;
      double book_size = 0.0, book_gamma = 0.0;
      for (std::size_t i = 0; i < s.book.size(); ++i) {
        BookEntry& b = P.book[i];
        b.strike = c.strike[i];
        b.log_strike = std::log(c.strike[i]);
        b.quantity = c.quantity[i];
        b.is_call = s.book[i].is_call ? 1 : 0;
        b.expiry_step = expiry[i];
        book_size += std::fabs(c.quantity[i]);
        book_gamma += c.quantity[i] *
                      bs_greeks(s.book[i].is_call, c.spot, c.strike[i], c.rate, c.volatility, s.book[i].maturity).gamma;
      }
      P.min_trade = 1e-12 * book_size;
      g.short_gamma = book_gamma < 0.0 ? 1.0 : -1.0;
      g.discount.resize(M + 1);
      for (std::int64_t j = 0; j <= M; ++j) g.discount[j] = std::exp(-c.rate * static_cast<double>(j) * dt);
      g.sqrt_tau.assign(s.book.size() * (M + 1), 0.0);
      g.inv_sqrt_tau.assign(s.book.size() * (M + 1), 0.0);
      for (std::size_t i = 0; i < s.book.size(); ++i)
        for (int j = 0; j < expiry[i]; ++j) {
          const double tau = static_cast<double>(expiry[i] - j) * dt;
          g.sqrt_tau[i * (M + 1) + j] = std::sqrt(tau);
          g.inv_sqrt_tau[i * (M + 1) + j] = 1.0 / std::sqrt(tau);
        }
      job.groups.push_back(std::move(g));
    }
    const int group = it->second;
    const bool short_gamma = job.groups[group].short_gamma > 0.0;

    // The hedger of this cell.
    CellParams cp{};
    cp.policy = c.policy;
    cp.every_step = (c.policy == kPolicyBand || c.policy == kPolicyWhalleyWilmott ||
                     c.policy == kPolicyZakamouline || c.policy == kPolicyMove) ? 1 : 0;
    cp.stride = static_cast<int>(M / c.rebalances);
    cp.to_edge = c.to_edge ? 1 : 0;
    cp.band = c.band;
    cp.risk_aversion = c.risk_aversion;
    cp.move = c.move;
    cp.linear_rate = c.proportional + c.half_spread + c.half_spread_per_vol * c.volatility;
    cp.fixed = c.fixed;
    cp.impact_coef = c.impact_eta * c.volatility / std::sqrt(c.volume);
    cp.lot = c.lot;
    double vol = c.hedge_volatility;
    if (c.policy == kPolicyLeland) {
      vol = leland_volatility(c.hedge_volatility, cp.linear_rate, T / c.rebalances, short_gamma);
      if (!std::isfinite(vol))
        throw InputError(fmt::format("hedge.policy: {}: the Leland volatility is undefined (sigma_L^2 <= 0) for a "
                                     "long-gamma book with these costs and hedge.rebalances",
                                     where));
    }
    if (c.policy == kPolicyBand && !(c.band > 0.0))
      throw InputError(fmt::format("hedge.band: {}: policy 'band' needs hedge.band > 0", where));
    if (c.policy == kPolicyMove && !(c.move > 0.0))
      throw InputError(fmt::format("hedge.move: {}: policy 'move' needs hedge.move > 0", where));
    if ((c.policy == kPolicyWhalleyWilmott || c.policy == kPolicyZakamouline) && !(cp.linear_rate > 0.0))
      throw InputError(fmt::format("costs.proportional: {}: policy '{}' needs a proportional cost or half-spread "
                                   "> 0 (its band is derived from it)",
                                   where, policy_names()[c.policy]));
    cp.hedge_vol = vol;
    cp.inv_vol = 1.0 / vol;
    cp.d1_coef = c.rate / vol + 0.5 * vol;
    double book_value = 0.0, book_vega = 0.0;
    for (std::size_t i = 0; i < s.book.size(); ++i) {
      const OptionSpec& o = s.book[i];
      book_value += c.quantity[i] * bs_greeks(o.is_call, c.spot, c.strike[i], c.rate, vol, o.maturity).price;
      book_vega += c.quantity[i] * bs_greeks(o.is_call, c.spot, c.strike[i], c.rate, c.volatility, o.maturity).vega;
    }
    cp.book_value = book_value;
    auto vit = std::find(vols.begin(), vols.end(), vol);
    if (vit == vols.end()) vit = vols.insert(vols.end(), vol);
    job.cell_vol_index.push_back(static_cast<int>(vit - vols.begin()));
    // Cells trade alike when what moves their decisions is equal: costs only matter to the bands of
    // whalley_wilmott and zakamouline.
    const bool timed_policy = c.policy == kPolicyTime || c.policy == kPolicyLeland;
    const bool cost_band = c.policy == kPolicyWhalleyWilmott || c.policy == kPolicyZakamouline;
    const std::vector<double> trade_key{static_cast<double>(group),
                                        static_cast<double>(c.policy),
                                        timed_policy ? static_cast<double>(cp.stride) : 0.0,
                                        vol,
                                        c.policy == kPolicyBand ? c.band : 0.0,
                                        (c.policy == kPolicyBand || cost_band) && c.to_edge ? 1.0 : 0.0,
                                        cost_band ? c.risk_aversion : 0.0,
                                        cost_band ? cp.linear_rate : 0.0,
                                        c.policy == kPolicyMove ? c.move : 0.0,
                                        c.lot};
    auto [tit, tfresh] = trade_of.try_emplace(trade_key, static_cast<int>(trade_of.size()));
    job.cell_trade_index.push_back(tit->second);
    job.cell_group.push_back(group);
    job.cells.push_back(cp);

    // Derman-Kamal applies to one option hedged in time at the true volatility without costs.
    const bool costless = cp.linear_rate == 0.0 && cp.fixed == 0.0 && cp.impact_coef == 0.0 && cp.lot == 0.0;
    const bool dk = s.model == "gbm" && s.book.size() == 1 && c.policy == kPolicyTime &&
                    c.hedge_volatility == c.volatility && costless;
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    plan.derman_kamal_std.push_back(dk ? derman_kamal_std(std::fabs(book_vega), c.volatility, c.rebalances) : nan);
    std::vector<TheoryOption> tbook;
    for (std::size_t i = 0; i < s.book.size(); ++i)
      tbook.push_back({s.book[i].is_call, c.strike[i], s.book[i].maturity, c.quantity[i]});
    const bool timed = s.model == "gbm" && c.policy == kPolicyTime && costless;
    // BKL is the std of the discretisation error: the whole std only when hedging at the true volatility
    // (otherwise the O(1) Ahmad-Wilmott randomness adds to it).
    plan.bkl_std.push_back(timed && c.hedge_volatility == c.volatility
                               ? bkl_std(tbook, c.spot, c.rate, c.drift, c.volatility, c.hedge_volatility, c.rebalances)
                               : nan);
    plan.ahmad_wilmott_mean.push_back(
        timed ? ahmad_wilmott_mean(tbook, c.spot, c.rate, c.drift, c.volatility, c.hedge_volatility) : nan);
    plan.leland_volatility.push_back(c.policy == kPolicyLeland ? vol : nan);
    std::vector<double> coord(s.axes.size());
    const std::vector<std::size_t> idx = cell_indices(s, cidx);
    for (std::size_t a = 0; a < s.axes.size(); ++a) coord[a] = s.axes[a].values[idx[a]];
    plan.cell_coords.push_back(std::move(coord));
    plan.configs.push_back(c);
  }
  return plan;
}

}  // namespace hl
