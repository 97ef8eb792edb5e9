// The market maker example (experiments/market_maker.toml): the book has delta 0.6, a $2 rise adds
// 0.05 (500 shares on 10,000 calls), twice-daily re-hedging over 20 trading days makes about 40
// adjustments at $50 each, and dynamic hedging removes most of the risk of static or no hedging.
#include <doctest/doctest.h>

#include <cmath>

#include "helpers.hpp"
#include "host/run.hpp"
#include "kernels/black_scholes.hpp"

using namespace hl;

TEST_CASE("market maker: the book, the trades and the costs of the textbook example") {
  const Study s = load_study(hl::test::source_path("experiments/market_maker.toml"), {"study.paths=20000"});
  const OptionSpec& o = s.book[0];
  const double T = o.maturity, r = s.first("market.rate"), sig = s.first("hedge.volatility");
  CHECK(T * 252 == doctest::Approx(20.0));
  const double d0 = bs_greeks(true, 100, o.strike, r, sig, T).delta;
  const double d2 = bs_greeks(true, 102, o.strike, r, sig, T).delta;
  CHECK(d0 == doctest::Approx(0.6).epsilon(0.005));
  CHECK(o.quantity * (d2 - d0) == doctest::Approx(500).epsilon(0.05));  // sells about 500 more shares

  RunOptions opt;
  opt.backend = "cpu";
  const RunResult res = run_study(s, opt);
  REQUIRE(res.cells.size() == 3);  // time, static, none
  const CellStats &dyn = res.cells[0], &stat = res.cells[1], &none = res.cells[2];
  // 40 re-hedges (the first at t0) and the unwind: 41 dates, fewer where delta does not move
  CHECK(dyn.mean_trades <= 41.0);
  CHECK(dyn.mean_trades > 40.0);
  // $50 a trade, each carried to maturity at 2%: about $2,000
  CHECK(dyn.mean_cost == doctest::Approx(50.0 * dyn.mean_trades).epsilon(0.002));
  CHECK(dyn.mean_cost > 2000.0);
  CHECK(stat.mean_cost == doctest::Approx(100.0).epsilon(0.002));  // hedge once, unwind once
  CHECK(none.mean_cost == 0.0);
  // hedging at the true volatility: the net P&L is minus the costs, within standard errors
  CHECK(std::fabs(dyn.mean + dyn.mean_cost) <= 3 * dyn.stderr_mean + 0.01 * dyn.mean_cost);
  CHECK(dyn.std < 0.25 * stat.std);
  CHECK(stat.std < 0.5 * none.std);
}
