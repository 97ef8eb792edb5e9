#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "helpers.hpp"
#include "host/plan.hpp"
#include "host/run.hpp"

using namespace hl;

namespace {
Study derman_kamal(const std::vector<std::string>& overrides = {}) {
  return load_study(hl::test::source_path("experiments/derman_kamal.toml"), overrides);
}
RunOptions cpu(int threads = 0, std::int64_t batch = 0) {
  RunOptions o;
  o.backend = "cpu";
  o.threads = threads;
  o.batch = batch;
  return o;
}
}  // namespace

TEST_CASE("study: experiments/derman_kamal.toml reproduces QuantLib's DiscreteHedging table") {
  const RunResult r = run_study(derman_kamal(), cpu());
  REQUIRE(r.cells.size() == 2);
  // QuantLib 1.29 prints std 0.43 / 0.22 (two decimals), skewness -0.32 / -0.19, on 50,000 paths.
  const double ql_std[] = {0.43, 0.22}, ql_skew[] = {-0.32, -0.19};
  for (int c = 0; c < 2; ++c) {
    const CellStats& x = r.cells[c];
    CHECK(x.premium == doctest::Approx(-2.51207).epsilon(2e-6));
    CHECK(std::fabs(x.mean) <= 3.0 * x.stderr_mean);
    CHECK(std::fabs(x.std - ql_std[c]) <= 0.005 + 3.0 * x.stderr_std);
    CHECK(x.stderr_std < 0.01 * x.std);  // the error estimate itself is small
    CHECK(std::fabs(x.skewness - ql_skew[c]) < 0.1);
    // N + 1 dates trade (unwind included), except where N(d1) saturates at 0 or 1 and the hedge
    // moves by less than min_trade; at the money for a month that is a few dates in a hundred
    const double N = r.cell_coords[c][r.study.axis_index("hedge.rebalances")];
    CHECK(x.mean_trades <= N + 1.0);
    CHECK(x.mean_trades > 0.95 * (N + 1.0));
    CHECK(x.mean_cost == 0.0);
  }
  // Derman-Kamal: 0.44 and 0.22 in QuantLib's table.
  CHECK(r.cells[0].derman_kamal_std == doctest::Approx(0.4432).epsilon(1e-3));
  CHECK(r.cells[1].derman_kamal_std == doctest::Approx(0.2216).epsilon(1e-3));
}

TEST_CASE("study: the P&L std approaches Derman-Kamal's sqrt(pi/4) vega sigma / sqrt(N)") {
  const RunResult r =
      run_study(derman_kamal({"study.paths=40000", "hedge.rebalances=[21, 84, 336, 1344]"}), cpu());
  REQUIRE(r.cells.size() == 4);
  double prev_gap = 1e9;
  for (const CellStats& x : r.cells) {
    const double gap = std::fabs(x.std / x.derman_kamal_std - 1.0);
    CHECK(gap < prev_gap + 3.0 * x.stderr_std / x.std);  // shrinking, up to noise
    prev_gap = gap;
  }
  const CellStats& fine = r.cells.back();
  CHECK(std::fabs(fine.std - fine.derman_kamal_std) <= 3.0 * fine.stderr_std + 0.01 * fine.derman_kamal_std);
  // and the N^-1/2 law: quadrupling N halves the std
  CHECK(r.cells[3].std / r.cells[2].std == doctest::Approx(0.5).epsilon(0.03));
}

TEST_CASE("study: statistics are bitwise identical for any thread count and batch size") {
  const Study s = derman_kamal({"study.paths=6000", "costs.proportional=[0.0, 0.001]"});
  SimOutput ref_raw;
  const RunResult ref = run_study(s, cpu(1, 4096), &ref_raw);
  for (int threads : {2, 3})
    for (std::int64_t batch : {7, 1000, 100000}) {
      SimOutput raw;
      const RunResult r = run_study(s, cpu(threads, batch), &raw);
      REQUIRE(r.cells.size() == ref.cells.size());
      CHECK(std::memcmp(raw.pnl.data(), ref_raw.pnl.data(), raw.pnl.size() * sizeof(double)) == 0);
      for (std::size_t c = 0; c < r.cells.size(); ++c) {
        const CellStats &a = r.cells[c], &b = ref.cells[c];
        const double xa[] = {a.mean, a.std, a.skewness, a.kurtosis, a.var_99, a.es_99, a.mean_cost, a.quantiles[4]};
        const double xb[] = {b.mean, b.std, b.skewness, b.kurtosis, b.var_99, b.es_99, b.mean_cost, b.quantiles[4]};
        CHECK(std::memcmp(xa, xb, sizeof xa) == 0);
        CHECK(a.histogram_counts == b.histogram_counts);
      }
    }
}

TEST_CASE("study: costs lower the mean P&L by the mean cost, path by path") {
  const Study s = derman_kamal({"study.paths=3000", "costs.proportional=[0.0, 0.002]"});
  SimOutput raw;
  const RunResult r = run_study(s, cpu(), &raw);
  REQUIRE(r.cells.size() == 4);  // rebalances x costs, costs fastest
  const std::int64_t n = s.paths;
  for (std::int64_t p = 0; p < n; ++p) {
    // same path, same trades: P&L without costs minus the cost paid = P&L with costs
    CHECK(raw.pnl[p] - raw.cost[n + p] == doctest::Approx(raw.pnl[n + p]).epsilon(1e-12));
    CHECK(raw.cost[p] == 0.0);
  }
  CHECK(r.cells[1].mean_cost > 0.0);
  CHECK(std::isnan(r.cells[1].derman_kamal_std));  // the formula is for hedging without costs
}

TEST_CASE("study: VaR, ES and quantiles are consistent") {
  const RunResult r = run_study(derman_kamal({"study.paths=20000"}), cpu());
  for (const CellStats& x : r.cells) {
    CHECK(x.var_95 == doctest::Approx(-x.quantiles[2]));  // level 0.05
    CHECK(x.var_99 == doctest::Approx(-x.quantiles[1]));  // level 0.01
    CHECK(x.es_95 >= x.var_95);
    CHECK(x.es_99 >= x.var_99);
    CHECK(x.min <= x.quantiles.front());
    CHECK(x.max >= x.quantiles.back());
    std::uint64_t total = 0;
    for (auto k : x.histogram_counts) total += k;
    CHECK(total == 20000u);
    CHECK(x.histogram_edges.front() == x.min);
    CHECK(x.histogram_edges.back() == doctest::Approx(x.max));
  }
}
