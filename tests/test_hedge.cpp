#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "helpers.hpp"
#include "kernel_helpers.hpp"
#include "host/plan.hpp"
#include "kernels/hedge_path.hpp"

using namespace hl;
using hl::test::make_study;
using hl::test::option;
using hl::test::kernel_path;

namespace {

// Costs for the reference hedger, as a desk would write them down.
struct RefCosts {
  double proportional = 0, fixed = 0, half_spread = 0, impact_eta = 0, volume = 1e6, lot = 0;
  bool on_initial = true, on_unwind = true;
};

// Reference hedger written independently of the kernel, the way QuantLib's example does it: a money
// account compounded by exp(r dt) every step, Black-Scholes deltas from bs_greeks.
PathOut reference(const Study& s, int steps, int N, double hv, const RefCosts& k, const std::vector<double>& z);
PathOut reference(const Study& s, int steps, int N, double hv, double k, const std::vector<double>& z) {
  RefCosts c;
  c.proportional = k;
  return reference(s, steps, N, hv, c, z);
}
PathOut reference(const Study& s, int steps, int N, double hv, const RefCosts& k, const std::vector<double>& z) {
  double T = 0;
  for (auto& o : s.book) T = std::max(T, o.maturity);
  const double dt = T / steps;
  const double rate = s.first("market.rate"), drift = s.first("market.drift"), vol = s.first("market.volatility");
  double S = s.first("market.spot"), money = 0, pos = 0, cost = 0, trades = 0;
  for (auto& o : s.book) money -= o.quantity * bs_price(o.is_call, S, o.strike, rate, hv, o.maturity);
  auto trade_to = [&](double target, bool pays) {
    if (k.lot > 0) target = k.lot * std::nearbyint(target / k.lot);
    const double q = target - pos, aq = std::fabs(q);
    double fee = (k.proportional + k.half_spread) * aq * S + (aq > 0 ? k.fixed : 0.0) +
                 k.impact_eta * vol * S * aq * std::sqrt(aq / k.volume);
    if (!pays) fee = 0.0;
    money -= q * S + fee;
    cost += fee;
    trades += aq > 0.0;
    pos = target;
  };
  auto hedge = [&](double t) {
    double h = 0;
    for (auto& o : s.book)
      if (o.maturity - t > 1e-12) h -= o.quantity * bs_greeks(o.is_call, S, o.strike, rate, hv, o.maturity - t).delta;
    return h;
  };
  trade_to(hedge(0.0), k.on_initial);
  for (int j = 1; j <= steps; ++j) {
    money *= std::exp(rate * dt);
    cost *= std::exp(rate * dt);
    S *= std::exp((drift - 0.5 * vol * vol) * dt + vol * std::sqrt(dt) * z[j - 1]);
    for (auto& o : s.book)
      if (std::fabs(o.maturity - j * dt) < 1e-12) money += o.quantity * payoff(o.is_call, S, o.strike);
    if (j == steps)
      trade_to(0.0, k.on_unwind);
    else if (j % (steps / N) == 0)
      trade_to(hedge(j * dt), true);
  }
  return PathOut{money, cost, trades};
}

}  // namespace

TEST_CASE("hedge: one rebalance, worked by hand") {
  // Sell one call, buy delta at t0 paying 1% each way, hold to maturity, unwind, pay the payoff.
  const Study s = make_study({option(true, 100, 0.5, -1)}, {1}, {0.25}, {0.01}, 100, 0.05, 0.10, 0.20);
  const std::vector<double> z{0.7};
  const PathOut k = kernel_path(make_plan(s), z)[0];
  const BsGreeks g = bs_greeks(true, 100, 100, 0.05, 0.25, 0.5);
  const double ST = 100 * std::exp((0.10 - 0.02) * 0.5 + 0.20 * std::sqrt(0.5) * 0.7);
  const double growth = std::exp(0.05 * 0.5);
  const double fee0 = 0.01 * g.delta * 100, fee1 = 0.01 * g.delta * ST;
  const double pnl = (g.price - g.delta * 100 - fee0) * growth + g.delta * ST - fee1 - std::max(ST - 100, 0.0);
  CHECK(k.pnl == doctest::Approx(pnl).epsilon(1e-13));
  CHECK(k.cost == doctest::Approx(fee0 * growth + fee1).epsilon(1e-13));
  CHECK(k.trades == 2);
}

TEST_CASE("hedge: two rebalances against the reference hedger") {
  for (bool call : {true, false}) {
    const Study s = make_study({option(call, 95, 1.0, -2)}, {2}, {0.2}, {0.005}, 100, 0.03, 0.07, 0.3);
    const std::vector<double> z{-1.3, 0.4};
    const PathOut k = kernel_path(make_plan(s), z)[0];
    const PathOut r = reference(s, 2, 2, 0.2, 0.005, z);
    CHECK(k.pnl == doctest::Approx(r.pnl).epsilon(1e-12));
    CHECK(k.cost == doctest::Approx(r.cost).epsilon(1e-12));
    CHECK(k.trades == 3);
  }
}

TEST_CASE("hedge: every cell of a sweep equals the reference hedger on the common path") {
  // Rebalance counts 2, 3 and 6 on a 6-step grid, two hedge volatilities, two cost levels.
  const Study s = make_study({option(true, 100, 1.0, -1)}, {2, 3, 6}, {0.18, 0.25}, {0.0, 0.002});
  const Plan plan = make_plan(s);
  REQUIRE(plan.job.groups.size() == 1);
  REQUIRE(plan.job.groups[0].params.steps == 6);
  const std::vector<double> z{0.3, -0.8, 1.1, 0.05, -0.4, 2.0};
  const std::vector<PathOut> k = kernel_path(plan, z);
  REQUIRE(k.size() == 12);
  for (std::size_t c = 0; c < k.size(); ++c) {
    const CellConfig& cc = plan.configs[c];
    const PathOut r = reference(s, 6, cc.rebalances, cc.hedge_volatility, cc.proportional, z);
    CHECK(k[c].pnl == doctest::Approx(r.pnl).epsilon(1e-12));
    CHECK(k[c].cost == doctest::Approx(r.cost).epsilon(1e-12));
    CHECK(k[c].trades == r.trades);
  }
}

TEST_CASE("hedge: a book with two maturities settles the first on its own date") {
  // Short a 6-month call, long a 1-year put; the call's payoff is paid at 0.5 and then earns interest.
  const Study s = make_study({option(true, 100, 0.5, -1), option(false, 90, 1.0, 1)}, {4}, {0.2}, {0.001});
  const Plan plan = make_plan(s);
  REQUIRE(plan.job.groups[0].params.steps == 4);
  CHECK(plan.job.groups[0].params.book[0].expiry_step == 2);
  const std::vector<double> z{0.9, 1.2, -0.3, -1.5};
  const PathOut k = kernel_path(plan, z)[0];
  const PathOut r = reference(s, 4, 4, 0.2, 0.001, z);
  CHECK(k.pnl == doctest::Approx(r.pnl).epsilon(1e-12));
  CHECK(k.cost == doctest::Approx(r.cost).epsilon(1e-12));
}

TEST_CASE("hedge: a maturity off the simulation grid is rejected") {
  const Study s = make_study({option(true, 100, 0.3, -1), option(true, 100, 1.0, -1)}, {4}, {0.2}, {0.0});
  CHECK_THROWS_AS(make_plan(s), InputError);
}

TEST_CASE("hedge: put-call parity of hedged P&L, path by path") {
  // Without costs, a hedged short call and a hedged short put differ by a statically hedged forward:
  // their P&L agree on every path.
  const Study sc = make_study({option(true, 105, 0.25, -1)}, {13}, {0.22}, {0.0});
  const Study sp = make_study({option(false, 105, 0.25, -1)}, {13}, {0.22}, {0.0});
  const Plan pc = make_plan(sc), pp = make_plan(sp);
  for (std::uint64_t path = 0; path < 500; ++path) {
    std::vector<double> z(13);
    PhiloxNormals g = philox_normals(9, path);
    for (int j = 1; j <= 13; ++j) z[j - 1] = g(j);
    const double a = kernel_path(pc, z)[0].pnl, b = kernel_path(pp, z)[0].pnl;
    CHECK(std::fabs(a - b) < 1e-11);
  }
}

TEST_CASE("hedge: every cost model against the reference hedger, by hand") {
  // Sell 10 calls, rebalance 4 times; each case switches on one cost model.
  struct Case {
    const char* name;
    RefCosts k;
  };
  std::vector<Case> cases(7);
  cases[0] = {"proportional", {}};
  cases[0].k.proportional = 0.003;
  cases[1] = {"fixed fee, once per trading rebalance", {}};
  cases[1].k.fixed = 5.0;
  cases[2] = {"half-spread", {}};
  cases[2].k.half_spread = 0.001;
  cases[3] = {"square-root impact", {}};
  cases[3].k.impact_eta = 0.8;
  cases[3].k.volume = 50.0;
  cases[4] = {"lots of 2 shares", {}};
  cases[4].k.lot = 2.0;
  cases[4].k.proportional = 0.001;
  cases[5] = {"no cost on the initial hedge", {}};
  cases[5].k.proportional = 0.004;
  cases[5].k.on_initial = false;
  cases[6] = {"no cost on the unwind", {}};
  cases[6].k.fixed = 3.0;
  cases[6].k.on_unwind = false;
  const std::vector<double> z{0.4, -1.1, 0.8, 0.3};
  for (const Case& cs : cases) {
    CAPTURE(cs.name);
    Study s = make_study({option(true, 100, 0.5, -10)}, {4}, {0.2}, {cs.k.proportional});
    hl::test::set_axis(s, "costs.fixed", {cs.k.fixed});
    hl::test::set_axis(s, "costs.half_spread", {cs.k.half_spread});
    hl::test::set_axis(s, "costs.impact_eta", {cs.k.impact_eta});
    hl::test::set_axis(s, "costs.volume", {cs.k.volume});
    hl::test::set_axis(s, "costs.lot", {cs.k.lot});
    s.costs_on_initial = cs.k.on_initial;
    s.costs_on_unwind = cs.k.on_unwind;
    const PathOut k = kernel_path(make_plan(s), z)[0];
    const PathOut r = reference(s, 4, 4, 0.2, cs.k, z);
    CHECK(k.pnl == doctest::Approx(r.pnl).epsilon(1e-12));
    CHECK(k.cost == doctest::Approx(r.cost).epsilon(1e-12));
    CHECK(k.trades == r.trades);
    CHECK(k.cost > 0.0);
  }
  // The fixed fee is paid once per rebalance that trades: 5 trades (t0, 3 interior, unwind) x 5.0,
  // each carried to the horizon.
  Study s = make_study({option(true, 100, 0.5, -10)}, {4}, {0.2}, {0.0});
  hl::test::set_axis(s, "costs.fixed", {5.0});
  const PathOut k = kernel_path(make_plan(s), z)[0];
  double expect = 0.0;
  for (int j = 0; j <= 4; ++j) expect += 5.0 * std::exp(0.05 * 0.5 * (4 - j) / 4.0);
  CHECK(k.trades == 5.0);
  CHECK(k.cost == doctest::Approx(expect).epsilon(1e-13));
  // Lots: every position held is a whole number of lots.
  hl::test::set_axis(s, "costs.lot", {3.0});
  const Plan plan = make_plan(s);
  CHECK(kernel_path(plan, z)[0].turnover_shares / 3.0 == doctest::Approx(std::round(kernel_path(plan, z)[0].turnover_shares / 3.0)));
}
