#include <doctest/doctest.h>

#include <cmath>

#include "helpers.hpp"
#include "host/run.hpp"
#include "host/trace.hpp"

using namespace hl;

TEST_CASE("trace: a path's ledger ends on the same P&L as the run, to the bit") {
  const Study s = load_study(hl::test::source_path("experiments/derman_kamal.toml"),
                             {"study.paths=3001", "costs.proportional=[0.0, 0.002]"});
  RunOptions o;
  o.backend = "cpu";
  SimOutput raw;
  run_study(s, o, &raw);
  for (std::int64_t cell : {0, 1, 3})
    for (std::int64_t path : {0, 7, 1234, 3000}) {
      const Trace t = trace_path(s, path, cell);
      CHECK(t.pnl == raw.pnl[cell * s.paths + path]);
      REQUIRE(t.rows.size() == 85);  // every grid step, t0 and the horizon included
      const TraceRow& last = t.rows.back();
      CHECK(last.position == 0.0);   // unwound
      CHECK(last.pnl == doctest::Approx(t.pnl).epsilon(1e-12));
      // the running P&L at t0 is minus the cost of the initial hedge
      CHECK(t.rows.front().pnl == doctest::Approx(-t.rows.front().fee).scale(1.0).epsilon(1e-12));
      double fees = 0.0;
      for (const TraceRow& r : t.rows) fees += r.fee * std::exp(0.05 * (s.book[0].maturity - r.time));
      CHECK(fees == doctest::Approx(raw.cost[cell * s.paths + path]).epsilon(1e-9));
    }
}

TEST_CASE("trace: band policies, fixed fees and lots end on the run's P&L too") {
  const Study s = load_study(hl::test::source_path("experiments/bands.toml"),
                             {"study.paths=401", "costs.fixed=[0.0, 0.01]", "costs.lot=[0.0, 0.05]"});
  RunOptions o;
  o.backend = "cpu";
  SimOutput raw;
  run_study(s, o, &raw);
  const std::int64_t ncells = static_cast<std::int64_t>(cell_count(s));
  REQUIRE(ncells == 5 * 5 * 2 * 2);
  for (std::int64_t cell = 0; cell < ncells; cell += 7)
    for (std::int64_t path : {0, 400}) {
      const Trace t = trace_path(s, path, cell);
      CHECK(t.pnl == raw.pnl[cell * s.paths + path]);
      CHECK(t.rows.back().pnl == doctest::Approx(t.pnl).epsilon(1e-11));
    }
}

TEST_CASE("trace: a path or cell out of range is refused") {
  const Study s = load_study(hl::test::source_path("experiments/derman_kamal.toml"), {"study.paths=100"});
  CHECK_THROWS_AS(trace_path(s, 100, 0), InputError);
  CHECK_THROWS_AS(trace_path(s, 0, 2), InputError);
}
