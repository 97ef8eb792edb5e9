// The path models of kernels/market.hpp: martingale property under every model, option prices against
// their closed forms and series, the regime chain, the gap and volatility-shift overlays on hand cases,
// the jump counts against the Poisson law, and the jump attribution of the P&L.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "host/plan.hpp"
#include "host/pricing.hpp"
#include "host/run.hpp"
#include "kernels/cpu_paths.hpp"
#include "kernels/hedge_path.hpp"
#include "kernel_helpers.hpp"

using namespace hl;

namespace {

// An experiment with one call of maturity T, grid `steps`, and the given extra [market] / [stress] /
// [hedge] lines.
Study model_study(const std::string& market, double T, int steps, std::int64_t paths = 1000,
                  const std::string& extra = "", const std::string& rebalances = "") {
  const std::string text = "[study]\npaths = " + std::to_string(paths) +
                           "\nseed = 11\n[market]\nspot = 100.0\nrate = 0.05\ndrift = 0.08\nvolatility = 0.2\n"
                           "steps = " + std::to_string(steps) + "\n" + market +
                           "\n[[book]]\nkind = \"call\"\nstrike = 100.0\nmaturity = " + std::to_string(T) +
                           "\nquantity = -1.0\n[hedge]\nrebalances = " +
                           (rebalances.empty() ? std::to_string(steps) : rebalances) + "\n" + extra;
  return parse_study(text, "test");
}

struct Terminal {
  std::vector<double> log_s, jumps;
};

// Terminal log spots of paths [0, n) of path group 0, stepped with market_step and the Philox source
// from log S0 (market_step adds increments, so it steps log S as well as the kernel's log(S / S0)).
Terminal terminal(const Plan& plan, std::int64_t n) {
  const PathParams P = host_params(plan.job.groups[0]);
  Terminal t;
  for (std::int64_t p = 0; p < n; ++p) {
    PhiloxNormals src = philox_normals(P.seed, static_cast<std::uint64_t>(p));
    MarketState<double> m;
    market_init(P, m);
    double x = std::log(P.spot);
    for (int j = 1; j <= P.steps; ++j) {
      double jl;
      x = market_step(P, m, src, j, x, jl) + jl;
    }
    t.log_s.push_back(x);
    t.jumps.push_back(m.jumps);
  }
  return t;
}

struct MeanSe {
  double mean, se;
};
template <class F>
MeanSe mean_se(const std::vector<double>& xs, F f) {
  double s1 = 0.0, s2 = 0.0;
  for (double x : xs) {
    const double v = f(x);
    s1 += v;
    s2 += v * v;
  }
  const double n = static_cast<double>(xs.size()), m = s1 / n;
  return {m, std::sqrt((s2 / n - m * m) / (n - 1.0))};
}

const char* kMerton = "model = \"merton\"\njump_intensity = 1.0\njump_mean = -0.1\njump_std = 0.15";
const char* kKou = "model = \"kou\"\njump_intensity = 1.0\njump_up_probability = 0.4\neta_up = 10.0\neta_down = 5.0";
const char* kHeston = "model = \"heston\"\nkappa = 2.0\ntheta = 0.04\nxi = 0.3\nrho = -0.7\nv0 = 0.04";
const char* kRegime = "model = \"regime\"\nregime_volatilities = [0.15, 0.45]\nregime_rates = [2.0, 6.0]";

}  // namespace

TEST_CASE("models: E[S_T] = S0 e^(drift T) under every model, on fine and coarse grids") {
  for (const char* market : {"model = \"gbm\"", kMerton, kKou, kHeston, kRegime}) {
    for (int steps : {2, 50}) {  // Heston's QE step with the martingale correction is exact on any grid
      CAPTURE(market);
      CAPTURE(steps);
      const Plan plan = make_plan(model_study(market, 1.0, steps));
      const Terminal t = terminal(plan, 200000);
      const MeanSe m = mean_se(t.log_s, [](double x) { return std::exp(x); });
      const double expected = 100.0 * std::exp(0.08);
      CHECK(std::fabs(m.mean - expected) < 3.0 * m.se);
      CHECK(m.se < 0.002 * expected);  // the check has power
    }
  }
}

TEST_CASE("models: jump counts follow the Poisson law, one uniform per step") {
  // lambda dt = 0.5: counts 0..4 all frequent enough to test.
  const Plan plan = make_plan(model_study("model = \"merton\"\njump_intensity = 25.0\njump_mean = 0.0\njump_std = 0.1",
                                          1.0, 50));
  const PathParams P = host_params(plan.job.groups[0]);
  CHECK(P.jump_kmax >= 10);
  std::vector<double> freq(6, 0.0);
  const int n = 40000;
  for (int p = 0; p < n; ++p) {
    PhiloxNormals src = philox_normals(P.seed, static_cast<std::uint64_t>(p));
    MarketState<double> m;
    market_init(P, m);
    double x = std::log(P.spot);
    for (int j = 1; j <= P.steps; ++j) {
      const double before = m.jumps;
      double jl;
      x = market_step(P, m, src, j, x, jl);
      freq[std::min(5, static_cast<int>(m.jumps - before))] += 1.0;
    }
  }
  const double total = static_cast<double>(n) * P.steps, ldt = 0.5;
  double pk = std::exp(-ldt), tail = 1.0;
  for (int k = 0; k < 5; ++k) {
    const double f = freq[k] / total, se = std::sqrt(pk * (1 - pk) / total);
    CAPTURE(k);
    CHECK(std::fabs(f - pk) < 4.0 * se);
    tail -= pk;
    pk *= ldt / (k + 1);
  }
  CHECK(std::fabs(freq[5] / total - tail) < 4.0 * std::sqrt(tail / total));
}

TEST_CASE("models: Merton and Kou call prices from the simulated paths match the series and Fourier values") {
  // Reference values from scripts/check_jump_theory.py (series, density quadrature and two Fourier
  // inversions agreeing to 1e-12): Merton (S=100, K=100, r=0.05, T=0.25, sigma=0.2, lambda=1, m=-0.1,
  // d=0.15) 5.598139180795; Kou (T=0.5, sigma=0.16, lambda=1, p=0.4, eta1=10, eta2=5) 7.959429202982.
  struct Case {
    std::string market;
    double T, sigma, reference;
  };
  const std::vector<Case> cases{
      {kMerton, 0.25, 0.2, 5.598139180795},
      {kKou, 0.5, 0.16, 7.959429202982},
  };
  for (const Case& c : cases) {
    CAPTURE(c.market);
    Study s = model_study(c.market, c.T, 10);
    s.axes[s.axis_index("market.drift")].values = {0.05};  // risk neutral
    s.axes[s.axis_index("market.volatility")].values = {c.sigma};
    const Plan plan = make_plan(s);
    const Terminal t = terminal(plan, 400000);
    const MeanSe m = mean_se(t.log_s, [&](double x) { return std::exp(-0.05 * c.T) * std::max(std::exp(x) - 100.0, 0.0); });
    CHECK(std::fabs(m.mean - c.reference) < 3.0 * m.se);
    CHECK(m.se < 0.003 * c.reference);
  }
}

TEST_CASE("models: Heston call prices from QE paths match the semi-analytic price") {
  // Reference 7.615746917867 (S=100, K=100, r=0, T=1, kappa=2, theta=0.04, xi=0.3, rho=-0.7, v0=0.04) from
  // scripts/check_jump_theory.py (little-trap characteristic function, two inversions agreeing to 4e-14).
  Study s = model_study(kHeston, 1.0, 16);  // coarse: 16 steps a year
  s.axes[s.axis_index("market.drift")].values = {0.0};
  s.axes[s.axis_index("market.rate")].values = {0.0};
  const Plan plan = make_plan(s);
  const Terminal t = terminal(plan, 400000);
  const MeanSe m = mean_se(t.log_s, [](double x) { return std::max(std::exp(x) - 100.0, 0.0); });
  CHECK(std::fabs(m.mean - 7.615746917867) < 3.0 * m.se);
  const HestonParams h{2.0, 0.04, 0.3, -0.7, 0.04};
  CHECK(heston_price(true, 100.0, 100.0, 0.0, 1.0, h) == doctest::Approx(7.615746917867).epsilon(1e-8));
}

TEST_CASE("models: the regime chain on hand cases and its expected variance") {
  // No switching: the path is GBM at the first level, to the bit (same normals, same constants).
  const Plan still = make_plan(model_study("model = \"regime\"\nregime_volatilities = [0.3, 0.6]\nregime_rates = [0.0, 0.0]", 1.0, 20));
  Study g = model_study("model = \"gbm\"", 1.0, 20);
  g.axes[g.axis_index("market.volatility")].values = {0.3};
  const Plan gbm = make_plan(g);
  const Terminal a = terminal(still, 50), b = terminal(gbm, 50);
  for (int p = 0; p < 50; ++p) CHECK(a.log_s[p] == b.log_s[p]);

  // E[log S_T] = log S0 + mu T - 1/2 sum_j dt E[sigma^2 at step j], the chain started in regime 0 with
  // the per-step transition matrix of rates q0 = 2, q1 = 6: P(regime 1 after k steps) = pi1 (1 - rho^k),
  // pi1 = q0 / (q0 + q1), rho = 1 - p01 - p10.
  const Plan rg = make_plan(model_study(kRegime, 1.0, 50));
  const Terminal t = terminal(rg, 200000);
  const PathParams P = host_params(rg.job.groups[0]);
  const double dt = 1.0 / 50, pi1 = 2.0 / 8.0, rho = 1.0 - P.rg_switch[0] - P.rg_switch[1];
  CHECK(P.rg_switch[0] == doctest::Approx(0.25 * (1.0 - std::exp(-8.0 * dt))).epsilon(1e-14));
  double expected = std::log(100.0) + 0.08;
  for (int j = 0; j < 50; ++j) {
    const double p1 = pi1 * (1.0 - std::pow(rho, j));
    expected -= 0.5 * dt * ((1.0 - p1) * 0.15 * 0.15 + p1 * 0.45 * 0.45);
  }
  const MeanSe m = mean_se(t.log_s, [](double x) { return x; });
  CHECK(std::fabs(m.mean - expected) < 3.0 * m.se);
  // The power of the check: the mean with no switching at all differs by far more than 3 se.
  CHECK(std::fabs(expected - (std::log(100.0) + 0.08 - 0.5 * 0.15 * 0.15)) > 10.0 * m.se);
}

TEST_CASE("models: a gap moves log S by log(1 + gap) from its date on; a volatility shift changes the steps after it") {
  const std::vector<double> z{0.3, -1.2, 0.7, 0.1, -0.4, 1.5, -0.9, 0.2};
  auto walk = [&](const Study& s) {
    const PathParams P = host_params(make_plan(s).job.groups[0]);
    test::ArrayNormals src{z.data(), 0};
    MarketState<double> m;
    market_init(P, m);
    std::vector<double> xs{std::log(P.spot)};
    for (int j = 1; j <= P.steps; ++j) {
      double jl;
      xs.push_back(market_step(P, m, src, j, xs.back(), jl) + jl);
    }
    return xs;
  };
  const Study base = model_study("model = \"gbm\"", 1.0, 8);
  const std::vector<double> plain = walk(base);
  // Gap at t = 0.4: the first grid date at or after it is t_4 = 0.5.
  const std::vector<double> gapped =
      walk(model_study("model = \"gbm\"", 1.0, 8, 1000, "[stress]\ngap_time = 0.4\ngap_size = -0.2\n"));
  for (int j = 0; j <= 8; ++j) CHECK(gapped[j] - plain[j] == doctest::Approx(j >= 4 ? std::log(0.8) : 0.0).epsilon(1e-12));
  // Shift to 50% at t = 0.25 = t_2: steps 3.. (starting at t_2) have sigma 0.5.
  const std::vector<double> shifted =
      walk(model_study("model = \"gbm\"", 1.0, 8, 1000, "[stress]\nvol_shift_time = 0.25\nvol_shift_to = 0.5\n"));
  const double dt = 1.0 / 8;
  for (int j = 1; j <= 8; ++j) {
    const double sig = j >= 3 ? 0.5 : 0.2;
    CHECK(shifted[j] - shifted[j - 1] == doctest::Approx((0.08 - 0.5 * sig * sig) * dt + sig * std::sqrt(dt) * z[j - 1]).epsilon(1e-12));
  }
}

TEST_CASE("models: the jump part of the P&L on a hand case") {
  // A sold call held unhedged (policy none) through a -20% gap at its expiry date: the whole payoff change
  // across the gap is the jump part, valued at the horizon (the expiry).
  const std::vector<double> z(8, 0.05);
  Study s = model_study("model = \"gbm\"", 1.0, 8, 1000, "policy = \"none\"\n[stress]\ngap_time = 1.0\ngap_size = -0.2\n");
  const Plan plan = make_plan(s);
  REQUIRE(plan.job.jumps);
  const std::vector<PathOut> out = test::kernel_path(plan, z);
  const double dt = 1.0 / 8, x = std::log(100.0) + 8 * ((0.08 - 0.02) * dt + 0.2 * std::sqrt(dt) * 0.05);
  const double before = std::exp(x), after = std::exp(x + std::log(0.8));
  const double expected = -1.0 * (std::max(after - 100.0, 0.0) - std::max(before - 100.0, 0.0));
  CHECK(out[0].jump_pnl == doctest::Approx(expected).epsilon(1e-12));
  CHECK(expected > 5.0);  // the gap took the call out of the money: a real gain for its seller
}

TEST_CASE("models: the std of Merton-hedged P&L under Merton jumps falls to the Ito-isometry value") {
  // A sold three-month call, Merton market at drift = rate (sigma 0.2, lambda 1, m -0.1, d 0.15), hedged with
  // Merton's delta 13 and 1014 times. Continuous hedging leaves the compensated jump residual, whose variance
  // by the Ito isometry is 10.1198583 (std 3.18117247): scripts/check_jump_theory.py, nested quadrature
  // converged to 1e-7, with a numpy Monte Carlo of the hedge agreeing within 0.5 se.
  Study s = model_study(kMerton, 0.25, 1014, 20000, "model = \"merton\"\n[output]\nbaseline = 1\n", "[13, 1014]");
  s.axes[s.axis_index("market.drift")].values = {0.05};
  RunOptions opt;
  opt.backend = "cpu";
  const RunResult r = run_study(s, opt);
  const double theory = 3.18117247;
  CHECK(r.cells[1].jump_residual_std == doctest::Approx(theory).epsilon(1e-5));  // host/pricing.cpp's quadrature
  CHECK(std::fabs(r.cells[1].std - theory) < 3.0 * r.cells[1].stderr_std);
  CHECK(r.cells[1].stderr_std < 0.03 * theory);
  CHECK(std::fabs(r.cells[1].mean) < 3.0 * r.cells[1].stderr_mean);  // the residual is a martingale
  // Coarser hedging adds its discretisation error on the same paths (paired difference of std).
  CHECK(r.cells[0].diff_std > 3.0 * r.cells[0].diff_std_se);
  // The jump attribution: the jump part is the compensated residual's jumps, the diffusive part its
  // compensator, so their means cancel while each is far from zero.
  CHECK(r.cells[1].mean_jump_pnl < -10.0 * r.cells[1].mean_jump_pnl_se);
  CHECK(std::fabs(r.cells[1].mean_jump_pnl + r.cells[1].mean_diffusive_pnl - r.cells[1].mean) < 1e-9);
}

TEST_CASE("models: the kernel's kou and min-variance tables and Merton series match the host's prices") {
  // Each hedger's ratio and book value at grid dates and spots across the table (and beyond it), against
  // host/pricing.cpp evaluated point by point: on a coarse grid, and on a fine one up to the last step
  // with large jumps, where the delta turns over sigma sqrt(dt) = 0.3% of log-moneyness.
  struct Case {
    std::string market;
    const char* hedge;
    double T;
    int steps;
  };
  const std::string heavy_kou =
      "model = \"kou\"\njump_intensity = 3.0\njump_up_probability = 0.4\neta_up = 4.0\neta_down = 2.5";
  for (const Case& k : {Case{kKou, "kou", 0.5, 50}, Case{kKou, "min_variance", 0.5, 50}, Case{kMerton, "merton", 0.5, 50},
                        Case{kMerton, "min_variance", 0.5, 50}, Case{heavy_kou, "kou", 0.0625, 252},
                        Case{heavy_kou, "min_variance", 0.0625, 252}}) {
    CAPTURE(k.market);
    CAPTURE(k.hedge);
    const Plan plan = make_plan(model_study(k.market, k.T, k.steps, 1000, std::string("model = \"") + k.hedge + "\"\n"));
    const PathParams P = host_params(plan.job.groups[0]);
    const CellParams& c = plan.job.cells[0];
    const JumpParams jh = hedger_jumps(plan.configs[0], c.hedge_vol);
    const bool mv = c.hedge_model == kHedgeMinVariance;
    for (int j : {0, k.steps / 3, k.steps - 10, k.steps - 2, k.steps - 1})
      for (double S : {40.0, 80.0, 97.0, 99.5, 100.0, 100.3, 103.5, 125.0, 250.0}) {
        CAPTURE(j);
        CAPTURE(S);
        const double tau = k.T - j * P.dt;
        const PriceDelta pd = jump_price(true, S, 100.0, 0.05, tau, jh);
        const double ratio = mv ? min_variance_ratio(true, S, 100.0, 0.05, tau, jh) : pd.delta;
        // The book is one sold call: hedge = +ratio, value = -price.
        CHECK(book_hedge_model(P, c, j, std::log(S / P.spot), S) == doctest::Approx(ratio).epsilon(1e-5).scale(1.0));
        const double value = book_value_model(P, c, j, std::log(S / P.spot), S);
        CHECK(value == doctest::Approx(-pd.price).epsilon(1e-4).scale(100.0));
      }
  }
}

TEST_CASE("models: a jump count beyond the per-step cap and a shift inside the last step are refused") {
  auto message = [](const Study& s) {
    try {
      make_plan(s);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("<no InputError>");
  };
  // lambda dt = 250: almost all the Poisson mass lies beyond any cap (once read as one jump a step).
  CHECK(message(model_study("model = \"merton\"\njump_intensity = 1000.0\njump_mean = 0.0\njump_std = 0.1", 0.25, 1))
            .find("market.jump_intensity: 1000 jumps a year") != std::string::npos);
  // lambda dt = 5: more than 16 jumps in a step with probability above 1e-13.
  CHECK(message(model_study("model = \"merton\"\njump_intensity = 100.0\njump_mean = 0.0\njump_std = 0.1", 0.25, 5))
            .find("need more than 16 jumps per step") != std::string::npos);
  CHECK_NOTHROW(make_plan(model_study("model = \"merton\"\njump_intensity = 100.0\njump_mean = 0.0\njump_std = 0.1", 0.25, 100)));
  // Eight steps of 0.125: a shift at 0.9 starts no step; at 0.875 it starts the last one.
  CHECK(message(model_study("model = \"gbm\"", 1.0, 8, 1000, "[stress]\nvol_shift_time = 0.9\nvol_shift_to = 0.5\n"))
            .find("stress.vol_shift_time: 0.9 is after the start of the last grid step") != std::string::npos);
  const Plan last = make_plan(model_study("model = \"gbm\"", 1.0, 8, 1000, "[stress]\nvol_shift_time = 0.875\nvol_shift_to = 0.5\n"));
  CHECK(last.job.groups[0].params.shift_step == 8);
}

TEST_CASE("models: the hedged P&L scales with the spot and the strike, under every path model and hedger") {
  // The paths carry log(S / S0) and strikes enter as log(K / S0): scaling S0 and K by k (K != S0) must
  // scale every path's P&L and cost by k, to rounding, for time, move and band policies (Whalley-Wilmott
  // and Zakamouline are left out: their bands are not scale-free at a fixed risk aversion).
  const std::string hedge = "policy = [\"time\", \"move\", \"band\"]\nmove = 0.02\nband = 0.05\n"
                            "[costs]\nproportional = 0.001\n";
  const std::pair<const char*, const char*> models[] = {
      {"", ""},
      {"model = \"merton\"\njump_intensity = 2.0\njump_mean = -0.1\njump_std = 0.15\n",
       "model = [\"bs\", \"merton\", \"min_variance\"]\n"},
      {"model = \"kou\"\njump_intensity = 2.0\njump_up_probability = 0.4\neta_up = 10.0\neta_down = 5.0\n",
       "model = [\"kou\", \"min_variance\"]\n"},
      {"model = \"heston\"\nkappa = 2.0\ntheta = 0.04\nxi = 0.5\nrho = -0.7\nv0 = 0.06\n", ""},
      {"model = \"regime\"\nregime_volatilities = [0.15, 0.45]\nregime_rates = [4.0, 12.0]\n", ""}};
  for (const auto& [market, hedger] : models) {
    CAPTURE(market);
    auto run = [&](double spot) {
      const std::string text = "[study]\npaths = 2000\nseed = 5\n[market]\nspot = " + std::to_string(spot) +
                               "\nrate = 0.03\ndrift = 0.06\nvolatility = 0.25\nsteps = 48\n" + market +
                               "[stress]\ngap_time = 0.2\ngap_size = -0.1\n[[book]]\nkind = \"put\"\nstrike = " +
                               std::to_string(0.95 * spot) + "\nmaturity = 0.5\nquantity = -1.0\n[hedge]\n" +
                               "rebalances = 24\n" + hedger + hedge;
      SimOutput raw;
      RunOptions o;
      o.backend = "cpu";
      run_study(parse_study(text, "test"), o, &raw);
      return raw;
    };
    const SimOutput a = run(100.0), b = run(3.0);
    REQUIRE(a.pnl.size() == b.pnl.size());
    double worst = 0.0, scale = 0.0;
    for (std::size_t i = 0; i < a.pnl.size(); ++i) {
      worst = std::max({worst, std::fabs(a.pnl[i] - b.pnl[i] * (100.0 / 3.0)),
                        std::fabs(a.cost[i] - b.cost[i] * (100.0 / 3.0))});
      scale = std::max(scale, std::fabs(a.pnl[i]));
    }
    CHECK(scale > 1.0);
    CHECK(worst <= 1e-9 * scale);
  }
}
