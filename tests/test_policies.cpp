// Rebalance policies: hand-checked paths against independent reference hedgers, band properties along
// traced paths, and the closed forms of Leland (1985), Ahmad & Wilmott (2005) and Bertsimas, Kogan &
// Lo (2000) within standard errors.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "helpers.hpp"
#include "host/run.hpp"
#include "host/trace.hpp"
#include "kernel_helpers.hpp"
#include "kernels/black_scholes.hpp"

using namespace hl;
using hl::test::kernel_path;
using hl::test::make_study;
using hl::test::option;

namespace {

// A reference hedger of one sold call on a 4-step grid, written as a desk would: the rule decides the
// new position from (step, spot, delta, position). Proportional cost k; unwind at the horizon.
double reference(double k, const std::vector<double>& z,
                 const std::function<double(int, double, double, double)>& rule) {
  const double S0 = 100, K = 100, r = 0.05, mu = 0.05, sig = 0.2, T = 0.5, dt = T / 4;
  double S = S0, money = bs_price(true, S0, K, r, sig, T), pos = 0;
  auto trade_to = [&](double target) {
    money -= (target - pos) * S + k * std::fabs(target - pos) * S;
    pos = target;
  };
  trade_to(rule(0, S, bs_greeks(true, S, K, r, sig, T).delta, pos));
  for (int j = 1; j <= 4; ++j) {
    money *= std::exp(r * dt);
    S *= std::exp((mu - 0.5 * sig * sig) * dt + sig * std::sqrt(dt) * z[j - 1]);
    if (j < 4) trade_to(rule(j, S, bs_greeks(true, S, K, r, sig, T - j * dt).delta, pos));
  }
  trade_to(0.0);
  return money - std::max(S - K, 0.0);
}

Study four_steps(const std::string& policy, double k) {
  Study s = make_study({option(true, 100, 0.5, -1)}, {4}, {0.2}, {k});
  hl::test::set_choice(s, "hedge.policy", {policy});
  return s;
}

RunOptions cpu() {
  RunOptions o;
  o.backend = "cpu";
  return o;
}

const std::vector<double> kZ{1.1, -0.4, 0.9, -1.6};

}  // namespace

TEST_CASE("policies: none keeps the premium and pays the payoff") {
  const PathOut k = kernel_path(make_plan(four_steps("none", 0.01)), kZ)[0];
  CHECK(k.pnl == doctest::Approx(reference(0.01, kZ, [](int, double, double, double) { return 0.0; })).epsilon(1e-12));
  CHECK(k.trades == 0.0);
  CHECK(k.cost == 0.0);
}

TEST_CASE("policies: static hedges once at t0 and holds") {
  const PathOut k = kernel_path(make_plan(four_steps("static", 0.01)), kZ)[0];
  const auto rule = [](int j, double, double delta, double pos) { return j == 0 ? delta : pos; };
  CHECK(k.pnl == doctest::Approx(reference(0.01, kZ, rule)).epsilon(1e-12));
  CHECK(k.trades == 2.0);  // the hedge and the unwind
}

TEST_CASE("policies: a fixed band trades to its edge, or to the delta") {
  for (bool edge : {true, false}) {
    Study s = four_steps("band", 0.002);
    hl::test::set_axis(s, "hedge.band", {0.06});
    hl::test::set_choice(s, "hedge.to", {edge ? "edge" : "target"});
    const PathOut k = kernel_path(make_plan(s), kZ)[0];
    const auto rule = [edge](int, double, double delta, double pos) {
      const double dev = pos - delta;
      if (std::fabs(dev) <= 0.06) return pos;
      return edge ? delta + (dev > 0 ? 0.06 : -0.06) : delta;
    };
    CAPTURE(edge);
    CHECK(k.pnl == doctest::Approx(reference(0.002, kZ, rule)).epsilon(1e-12));
    CHECK(k.trades >= 2.0);
  }
}

TEST_CASE("policies: move re-hedges when spot has moved by the threshold since the last hedge") {
  Study s = four_steps("move", 0.002);
  hl::test::set_axis(s, "hedge.move", {0.05});
  const PathOut k = kernel_path(make_plan(s), kZ)[0];
  double last = 0.0;
  const auto rule = [&last](int j, double S, double delta, double pos) {
    if (j == 0 || std::fabs(S / last - 1.0) > 0.05) {
      last = S;
      return delta;
    }
    return pos;
  };
  CHECK(k.pnl == doctest::Approx(reference(0.002, kZ, rule)).epsilon(1e-12));
}

TEST_CASE("policies: Whalley-Wilmott and Zakamouline keep the position inside their band, trading to its edge") {
  for (const std::string policy : {"whalley_wilmott", "zakamouline"}) {
    Study s = make_study({option(true, 100, 0.5, -1)}, {126}, {0.2}, {0.002}, 100, 0.05, 0.05, 0.2, 200);
    hl::test::set_choice(s, "hedge.policy", {policy});
    hl::test::set_axis(s, "hedge.risk_aversion", {2.0});
    const double lam = 0.002, gam = 2.0, r = 0.05, T = 0.5;
    int trades = 0, checked = 0;
    for (std::int64_t path : {3, 77, 150}) {
      const Trace t = trace_path(s, path, 0);
      for (const TraceRow& row : t.rows) {
        const double tau = T - row.time;
        if (tau < 1e-9) continue;
        const BsGreeks g = bs_greeks(true, row.spot, 100, r, 0.2, tau);
        const double gamma = -g.gamma;  // the sold call's gamma
        double centre = row.delta, half;  // the trace's delta is the hedge ratio: +delta for a sold call
        if (policy == "whalley_wilmott") {
          half = std::cbrt(1.5 * std::exp(-r * tau) * lam * row.spot * gamma * gamma / gam);
        } else {
          // Zakamouline (2006), as documented in kernels/hedge_path.hpp
          const double a = std::pow(std::exp(-r * tau) / 0.2, 0.25);
          const double h0 = lam / (gam * row.spot * 0.04 * tau);
          const double h1 = 1.12 * std::pow(lam, 0.31) * std::pow(tau, 0.05) * a * std::sqrt(std::fabs(gamma) / gam);
          const double K = -4.76 * std::pow(lam, 0.78) * std::pow(tau, -0.02) * a *
                           std::pow(gam * row.spot * row.spot * std::fabs(gamma), 0.15);
          const double sigma_m = 0.2 * std::sqrt(1.0 - K);
          centre = bs_greeks(true, row.spot, 100, r, sigma_m, tau).delta;
          half = h0 + h1;
          CHECK(sigma_m > 0.2);  // the writer hedges at a higher volatility
        }
        const double dev = std::fabs(row.position - centre);
        CHECK(dev <= half * (1 + 1e-9) + 1e-12);
        if (std::fabs(row.trade) > 1e-12 && row.step > 0) {
          CHECK(dev == doctest::Approx(half).epsilon(1e-9));  // traded to the edge
          ++trades;
        }
        ++checked;
      }
    }
    CAPTURE(policy);
    CHECK(checked > 300);
    CHECK(trades > 10);
  }
}

TEST_CASE("policies: Leland's volatility pays for the rebalancing costs (mean P&L about zero)") {
  const Study s = load_study(hl::test::source_path("experiments/leland.toml"), {"study.paths=40000"});
  const RunResult r = run_study(s, cpu());
  const std::size_t pol = s.axis_index("hedge.policy");
  int leland_cells = 0;
  for (std::size_t c = 0; c < r.cells.size(); ++c) {
    const CellStats& x = r.cells[c];
    if (s.axes[pol].labels[static_cast<std::size_t>(r.cell_coords[c][pol])] == "leland") {
      // Leland's argument is asymptotic: within 3 standard errors plus 5% of the cost it pays for
      CHECK(std::fabs(x.mean) <= 3 * x.stderr_mean + 0.05 * x.mean_cost);
      CHECK(x.leland_volatility > 0.2);
      ++leland_cells;
    } else {
      CHECK(x.mean == doctest::Approx(-x.mean_cost).epsilon(0.1));  // hedging at sigma loses the costs
    }
  }
  CHECK(leland_cells == 6);
}

TEST_CASE("policies: hedging at the implied volatility earns Ahmad-Wilmott's expected P&L") {
  const Study s = load_study(hl::test::source_path("experiments/implied_vs_realised.toml"), {"study.paths=40000"});
  const RunResult r = run_study(s, cpu());
  REQUIRE(r.cells.size() == 4);
  for (const CellStats& x : r.cells) {
    // 252 rebalances against the continuous-hedging formula: a discretisation bias well under 1%
    CHECK(std::fabs(x.mean - x.ahmad_wilmott_mean) <= 3 * x.stderr_mean + 0.005 * std::fabs(x.ahmad_wilmott_mean));
    // paired against the baseline (hedging at the realised volatility): a smaller standard error
    if (&x != &r.cells[3]) CHECK(x.diff_mean_se < x.diff_mean_se_unpaired);
  }
  CHECK(r.cells[0].ahmad_wilmott_mean > r.cells[1].ahmad_wilmott_mean);
}

TEST_CASE("policies: the P&L std approaches Bertsimas-Kogan-Lo as rebalancing gets fine") {
  const Study s = load_study(hl::test::source_path("experiments/frequency_vs_cost.toml"),
                             {"study.paths=20000", "costs.proportional=0.0", "hedge.rebalances=[126, 252, 504]"});
  const RunResult r = run_study(s, cpu());
  for (const CellStats& x : r.cells)
    CHECK(std::fabs(x.std - x.bkl_std) <= 3 * x.stderr_std + 0.02 * x.bkl_std);
}

TEST_CASE("policies: cells with another volatility draw the same normals (common random numbers)") {
  const Study s = load_study(hl::test::source_path("experiments/derman_kamal.toml"),
                             {"study.paths=50", "market.volatility=[0.2, 0.35]", "hedge.rebalances=21"});
  REQUIRE(cell_count(s) == 2);
  const Trace a = trace_path(s, 17, 0), b = trace_path(s, 17, 1);
  REQUIRE(a.rows.size() == b.rows.size());
  const double dt = a.rows[1].time;
  for (std::size_t j = 1; j < a.rows.size(); ++j) {
    const double za = (std::log(a.rows[j].spot / a.rows[j - 1].spot) - (0.05 - 0.02) * dt) / (0.2 * std::sqrt(dt));
    const double zb =
        (std::log(b.rows[j].spot / b.rows[j - 1].spot) - (0.05 - 0.06125) * dt) / (0.35 * std::sqrt(dt));
    CHECK(za == doctest::Approx(zb).epsilon(1e-9));
  }
}

TEST_CASE("policies: a policy's missing parameter is refused with the key") {
  CHECK_THROWS_WITH_AS(make_plan(four_steps("band", 0.0)), doctest::Contains("hedge.band"), InputError);
  CHECK_THROWS_WITH_AS(make_plan(four_steps("move", 0.0)), doctest::Contains("hedge.move"), InputError);
  CHECK_THROWS_WITH_AS(make_plan(four_steps("whalley_wilmott", 0.0)), doctest::Contains("costs.proportional"),
                       InputError);
  CHECK_THROWS_WITH_AS(make_plan(four_steps("zakamouline", 0.0)), doctest::Contains("costs.proportional"),
                       InputError);
}
