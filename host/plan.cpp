#include "host/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

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
}  // namespace

double derman_kamal_std(double vega, double sigma, int rebalances) {
  return std::sqrt(M_PI / 4.0) * vega * sigma / std::sqrt(static_cast<double>(rebalances));
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

  SimJob& job = plan.job;
  job.paths = s.paths;
  PathParams& P = job.params;
  P = PathParams{};
  P.seed = s.seed;
  P.steps = static_cast<int>(M);
  P.spot = s.spot;
  P.log_spot = std::log(s.spot);
  P.drift_dt = (s.drift - 0.5 * s.volatility * s.volatility) * dt;
  P.vol_sqrt_dt = s.volatility * std::sqrt(dt);
  P.growth_horizon = std::exp(s.rate * T);
  P.n_book = static_cast<int>(s.book.size());
  double book_size = 0.0;
  for (const auto& o : s.book) book_size += std::fabs(o.quantity);
  P.min_trade = 1e-12 * book_size;

  job.discount.resize(M + 1);
  for (std::int64_t j = 0; j <= M; ++j) job.discount[j] = std::exp(-s.rate * static_cast<double>(j) * dt);
  job.sqrt_tau.assign(s.book.size() * (M + 1), 0.0);
  job.inv_sqrt_tau.assign(s.book.size() * (M + 1), 0.0);
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    const OptionSpec& o = s.book[i];
    // Each maturity must be a grid date, so that its payoff is paid on the simulated path.
    const double k = o.maturity / T * static_cast<double>(M);
    const double kr = std::round(k);
    if (kr < 1.0 || std::fabs(k - kr) > 1e-6)
      throw InputError(fmt::format(
          "book.{}.maturity: {} is not a date of the simulation grid ({} steps of {:.6g} years up to the last "
          "maturity {}); set market.steps so that every maturity falls on a step",
          i, o.maturity, M, dt, T));
    BookEntry& b = P.book[i];
    b.strike = o.strike;
    b.log_strike = std::log(o.strike);
    b.quantity = o.quantity;
    b.is_call = o.is_call ? 1 : 0;
    b.expiry_step = static_cast<int>(kr);
    for (int j = 0; j < b.expiry_step; ++j) {
      const double tau = static_cast<double>(b.expiry_step - j) * dt;
      job.sqrt_tau[i * (M + 1) + j] = std::sqrt(tau);
      job.inv_sqrt_tau[i * (M + 1) + j] = 1.0 / std::sqrt(tau);
    }
  }

  // Cells: the cartesian product of the axes, the last axis fastest.
  const auto& axes = s.axes;
  std::size_t ncells = 1;
  for (const auto& a : axes) ncells *= a.values.size();
  std::vector<double> vols;  // distinct hedge volatilities, in order of first use
  for (std::size_t c = 0; c < ncells; ++c) {
    std::vector<double> coord(axes.size());
    std::size_t rest = c;
    for (std::size_t a = axes.size(); a-- > 0;) {
      coord[a] = axes[a].values[rest % axes[a].values.size()];
      rest /= axes[a].values.size();
    }
    auto value = [&](const char* key) {
      for (std::size_t a = 0; a < axes.size(); ++a)
        if (axes[a].key == key) return coord[a];
      throw std::logic_error(std::string("no axis ") + key);
    };
    const int N = static_cast<int>(value("hedge.rebalances"));
    const double vol = value("hedge.volatility");
    const double prop = value("costs.proportional");

    CellParams cp{};
    cp.stride = static_cast<int>(M / N);
    cp.inv_vol = 1.0 / vol;
    cp.d1_coef = s.rate / vol + 0.5 * vol;
    cp.proportional = prop;
    double book_value = 0.0, book_vega = 0.0;
    for (const auto& o : s.book) {
      const BsGreeks g = bs_greeks(o.is_call, s.spot, o.strike, s.rate, vol, o.maturity);
      book_value += o.quantity * g.price;
      book_vega += o.quantity * bs_greeks(o.is_call, s.spot, o.strike, s.rate, s.volatility, o.maturity).vega;
    }
    cp.book_value = book_value;
    auto it = std::find(vols.begin(), vols.end(), vol);
    if (it == vols.end()) it = vols.insert(vols.end(), vol);
    job.cell_vol_index.push_back(static_cast<int>(it - vols.begin()));
    job.cells.push_back(cp);

    // Derman-Kamal applies to one option hedged at the true volatility without costs.
    const bool dk = s.model == "gbm" && s.book.size() == 1 && vol == s.volatility && prop == 0.0;
    plan.derman_kamal_std.push_back(dk ? derman_kamal_std(std::fabs(book_vega), s.volatility, N)
                                       : std::numeric_limits<double>::quiet_NaN());
    plan.cell_coords.push_back(coord);
    plan.rebalances.push_back(N);
    plan.hedge_volatility.push_back(vol);
    plan.proportional.push_back(prop);
  }
  return plan;
}

}  // namespace hl
