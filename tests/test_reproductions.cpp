// The key numbers of the reproductions in scripts/reproduce.sh (results/README.md), against closed
// forms: the crash gap's jump part and the Merton jump residual.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "host/plan.hpp"
#include "host/run.hpp"

using namespace hl;

namespace {

double norm_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Black-Scholes put at t0: spot S, strike K, rate r, volatility v, maturity T; and its delta.
double bs_put(double S, double K, double r, double v, double T) {
  const double sd = v * std::sqrt(T);
  const double d1 = (std::log(S / K) + (r + 0.5 * v * v) * T) / sd;
  return K * std::exp(-r * T) * norm_cdf(-(d1 - sd)) - S * norm_cdf(-d1);
}
double bs_put_delta(double S, double K, double r, double v, double T) {
  const double d1 = (std::log(S / K) + (r + 0.5 * v * v) * T) / (v * std::sqrt(T));
  return norm_cdf(d1) - 1.0;
}

RunOptions cpu() {
  RunOptions o;
  o.backend = "cpu";
  return o;
}

// The cell of r with the given hedge.policy and stress.gap_size.
std::size_t find_cell(const RunResult& r, const std::string& policy, double gap) {
  const std::size_t pa = r.study.axis_index("hedge.policy"), ga = r.study.axis_index("stress.gap_size");
  const auto& labels = r.study.axes[pa].labels;
  for (std::size_t c = 0; c < r.cells.size(); ++c)
    if (labels[static_cast<std::size_t>(r.cell_coords[c][pa])] == policy && r.cell_coords[c][ga] == gap) return c;
  FAIL("no cell with policy " << policy << " and gap " << gap);
  return 0;
}

}  // namespace

// The crash gap (experiments/crash_gap.toml): a sold put, q = -1, strike K, maturity T; the market
// is GBM at drift mu and volatility sigma, cash at rate r; the hedger marks and hedges at sigma (the
// hedge volatility defaults to the market's). The spot gaps by g (S_a = (1 + g) S_b) at the first
// grid date t_g at or after stress.gap_time (grid: market.steps over [0, T]).
//
// The jump part of a path's P&L (mean_jump_pnl) is what the position held into the gap and the book,
// marked at Black-Scholes, make across it, carried to T:
//     J = (pos (S_a - S_b) + q (P(t_g, S_a) - P(t_g, S_b))) e^{r (T - t_g)},
// S_b = S_{t_g} before the gap, P(t, x) the Black-Scholes put at time t (time to maturity T - t).
// pos is 0 for "none" and the t0 hedge -q Delta_put(0, S0) for "static" (held to T).
//
// Its mean, under the real-world law of S_{t_g} (lognormal, drift mu):
//   - E[S_b] = S0 e^{mu t_g};
//   - E[P(t, a S_t)] = e^{r t} P_BS(0; a S0 e^{(mu - r) t}, K, r, sigma, T). P(t, x) is
//     e^{-r (T - t)} E[(K - x e^{(r - sigma^2/2)(T - t) + sigma W'})^+] with W' ~ N(0, T - t), and
//     a S_t = a S0 e^{(mu - r) t} e^{(r - sigma^2/2) t + sigma W_t}: the two lognormal laws compose
//     into one of total variance sigma^2 T, a put at t0 on the spot a S0 e^{(mu - r) t}, carried by
//     e^{-r (T - t)} e^{r T} = e^{r t}. (Checked by quadrature over S_t to 1e-14 for a = 0.8, 0.9.)
// So, with S' = S0 e^{(mu - r) t_g},
//     E[J] = -q e^{r T} (P_BS(S') - P_BS((1 + g) S')) ... with q = -1:
//     E[J_none]   = -e^{r T} (P_BS((1 + g) S') - P_BS(S')),
//     E[J_static] = E[J_none] + Delta_put(0, S0) g S0 e^{mu t_g} e^{r (T - t_g)}.
// The same composition gives the whole mean P&L of "none" (premium received, payoff paid, no costs):
//     E[P&L_none] = e^{r T} (P_BS(S0) - P_BS((1 + g) S0 e^{(mu - r) T})).
TEST_CASE("reproductions: crash gap's mean jump part against its closed form (none, static)") {
  const Study s = load_study(test::source_path("experiments/crash_gap.toml"),
                             {"study.paths=20000", "output.samples=false"});
  const RunResult r = run_study(s, cpu());

  const double S0 = s.first("market.spot"), rate = s.first("market.rate"), mu = s.first("market.drift");
  const double sigma = s.first("market.volatility"), K = s.first("book.0.strike");
  const double q = s.first("book.0.quantity"), T = s.book.at(0).maturity;
  REQUIRE(s.book.size() == 1);
  REQUIRE_FALSE(s.book[0].is_call);
  REQUIRE(q == -1.0);
  REQUIRE(s.steps > 0);
  const double dt = T / s.steps;
  const double tg = std::ceil(s.first("stress.gap_time") / dt - 1e-9) * dt;
  CHECK(tg == doctest::Approx(0.125).epsilon(1e-12));  // mid-life, on the grid of 252 steps

  const double Sp = S0 * std::exp((mu - rate) * tg);
  const double delta0 = bs_put_delta(S0, K, rate, sigma, T);
  for (double g : {-0.1, -0.2}) {
    const double j_none = q * std::exp(rate * T) * (bs_put((1 + g) * Sp, K, rate, sigma, T) - bs_put(Sp, K, rate, sigma, T));
    const double pos_static = -q * delta0;
    const double j_static = j_none + pos_static * g * S0 * std::exp(mu * tg) * std::exp(rate * (T - tg));
    for (const auto& [policy, expected] : {std::pair<std::string, double>{"none", j_none}, {"static", j_static}}) {
      const CellStats& x = r.cells[find_cell(r, policy, g)];
      INFO(policy << ", gap " << g << ": MC " << x.mean_jump_pnl << " +- " << x.mean_jump_pnl_se
                  << ", closed form " << expected);
      CHECK(std::fabs(x.mean_jump_pnl - expected) <= 3.0 * x.mean_jump_pnl_se);
      CHECK(x.mean_jump_pnl_se < 0.015 * std::fabs(expected));  // power: 3 s.e. is under 5% of the value
      CHECK(x.mean_jumps == 0.0);                               // a gap, not a random jump
    }
    // The whole mean P&L of the unhedged book
    const CellStats& none = r.cells[find_cell(r, "none", g)];
    const double pnl_none =
        std::exp(rate * T) * (bs_put(S0, K, rate, sigma, T) - bs_put((1 + g) * S0 * std::exp((mu - rate) * T), K, rate, sigma, T));
    INFO("none, gap " << g << ": mean P&L " << none.mean << " +- " << none.stderr_mean << ", closed form " << pnl_none);
    CHECK(std::fabs(none.mean - pnl_none) <= 3.0 * none.stderr_mean);
    CHECK(none.stderr_mean < 0.02 * std::fabs(pnl_none));
    CHECK(none.mean_cost == 0.0);
  }
  // Without a gap there is no jump part at all
  for (const char* policy : {"none", "static", "time"}) CHECK(r.cells[find_cell(r, policy, 0.0)].mean_jump_pnl == 0.0);
}

// merton_stress's jump residual column: sqrt of the Ito-isometry variance of continuous hedging with
// Merton's delta (lambda = 1, m = -0.1, d = 0.15, sigma = 0.2, r = mu = 0.05, K = 100, T = 0.25, a sold
// call), against scripts/check_jump_theory.py's independent cubature (results/jump_theory_check.json,
// merton_hedge_variance[0].std = 3.181172474588988, estimated relative error 1.3e-8).
TEST_CASE("reproductions: merton_stress's jump residual at lambda = 1 is the Ito-isometry value") {
  const Study s = load_study(test::source_path("experiments/merton_stress.toml"));
  const Plan p = make_plan(s);
  const std::size_t li = s.axis_index("market.jump_intensity"), hm = s.axis_index("hedge.model");
  int seen = 0;
  for (std::size_t c = 0; c < p.configs.size(); ++c) {
    const CellConfig& x = p.configs[c];
    const bool merton = s.axes[hm].labels[static_cast<std::size_t>(p.cell_coords[c][hm])] == "merton";
    if (!merton) {
      CHECK(std::isnan(p.jump_residual_std[c]));  // the Black-Scholes hedger's is not this formula's
      continue;
    }
    if (p.cell_coords[c][li] == 0.0) CHECK(p.jump_residual_std[c] == 0.0);  // no jumps, no residual
    if (p.cell_coords[c][li] != 1.0) continue;
    ++seen;
    REQUIRE(x.jump_mean == -0.1);
    REQUIRE(x.jump_std == 0.15);
    REQUIRE(x.volatility == 0.2);
    CHECK(p.jump_residual_std[c] == doctest::Approx(3.181172474588988).epsilon(1e-5));
  }
  CHECK(seen == 4);  // one per rebalance count: the residual does not depend on it
}
