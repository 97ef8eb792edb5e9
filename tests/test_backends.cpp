#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "helpers.hpp"
#include "host/plan.hpp"
#include "host/run.hpp"
#include "kernels/cpu_paths.hpp"

using namespace hl;

namespace {
struct Paths {
  std::vector<double> pnl, cost;
  std::vector<std::uint32_t> trades;
  std::vector<double> jump_pnl;
  std::vector<std::uint32_t> jumps;
};

// Runs one CPU inner loop over every pass of a plan with one path group.
Paths cpu_loop(decltype(&hedge_paths_scalar) fn, const Plan& plan, std::int64_t n) {
  const std::size_t ncells = plan.job.cells.size();
  Paths out{std::vector<double>(ncells * n), std::vector<double>(ncells * n), std::vector<std::uint32_t>(ncells * n),
            std::vector<double>(ncells * n), std::vector<std::uint32_t>(ncells * n)};
  std::vector<double> tsh(ncells * n), tno(ncells * n);
  for (const Pass& pass : make_passes(plan.job, kMaxCellsPerPassCpu)) {
    const PathGroup& g = plan.job.groups[pass.group];
    const PathParams P = host_params(g);
    const std::size_t at = static_cast<std::size_t>(pass.first) * n;
    fn(P, pass.cells.data(), pass.count, g.short_gamma, 0, n,
       CpuOut{out.pnl.data() + at, out.cost.data() + at, out.trades.data() + at, tsh.data() + at, tno.data() + at,
              plan.job.jumps ? out.jump_pnl.data() + at : nullptr, plan.job.jumps ? out.jumps.data() + at : nullptr, n});
  }
  return out;
}
// The largest difference of P&L or cost between two loops, in units of 1e-9 x the cell's premium.
double worst_difference(const Paths& a, const Paths& b, const Plan& plan, std::int64_t n) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.pnl.size(); ++i) {
    const double tol = 1e-9 * std::fabs(plan.job.cells[i / n].book_value);
    worst = std::max({worst, std::fabs(a.pnl[i] - b.pnl[i]) / tol, std::fabs(a.cost[i] - b.cost[i]) / tol,
                      std::fabs(a.jump_pnl[i] - b.jump_pnl[i]) / tol});
  }
  return worst;
}
}  // namespace

TEST_CASE("backends: the AVX2 loop agrees with the scalar loop path by path") {
  if (std::strcmp(cpu_simd(), "avx2") != 0) {
    MESSAGE("this CPU has no AVX2: only the scalar loop runs here");
    return;
  }
  // Two options, three rebalance counts, two hedge volatilities, a cost: 6 cells; 1003 paths (a short
  // last vector).
  Study s = hl::test::make_study({hl::test::option(true, 100, 0.5, -1), hl::test::option(false, 95, 1.0, 2)},
                                 {4, 12, 48}, {0.18, 0.25}, {0.001}, 100, 0.03, 0.06, 0.22);
  const Plan plan = make_plan(s);
  const std::int64_t n = 1003;
  const Paths a = cpu_loop(hedge_paths_scalar, plan, n), b = cpu_loop(hedge_paths_avx2, plan, n);
  const double worst = worst_difference(a, b, plan, n);
  CHECK(worst <= 1.0);
  CHECK(worst > 0.0);  // two different math libraries: equal bits everywhere would mean one loop ran twice
  std::size_t trade_diff = 0;
  for (std::size_t i = 0; i < a.trades.size(); ++i) trade_diff += a.trades[i] != b.trades[i];
  CHECK(trade_diff == 0);
}

namespace {
// Every policy with its parameters, crossed with fixed fees, impact and lots: 8 x 2 x 2 x 2 cells.
Study every_policy(std::int64_t paths) {
  Study s = hl::test::make_study({hl::test::option(true, 100, 0.5, -1), hl::test::option(false, 90, 0.5, 2)}, {42},
                                 {0.2}, {0.002}, 100, 0.03, 0.06, 0.22, paths, 9);
  hl::test::set_choice(s, "hedge.policy", policy_names());
  hl::test::set_axis(s, "hedge.band", {0.05});
  hl::test::set_axis(s, "hedge.move", {0.02});
  hl::test::set_axis(s, "hedge.risk_aversion", {1.5});
  hl::test::set_axis(s, "costs.fixed", {0.0, 0.01});
  hl::test::set_axis(s, "costs.impact_eta", {0.0, 0.5});
  hl::test::set_axis(s, "costs.volume", {1000.0});
  hl::test::set_axis(s, "costs.lot", {0.0, 0.1});
  return s;
}

// The study with every axis fixed at cell c's value.
Study single_cell(const Study& s, std::size_t c) {
  Study one = s;
  const std::vector<std::size_t> idx = cell_indices(s, c);
  for (std::size_t a = 0; a < one.axes.size(); ++a) {
    one.axes[a].values = {s.axes[a].values[idx[a]]};
    one.axes[a].listed = false;
    one.axes[a].zip = -1;
  }
  return one;
}
}  // namespace

TEST_CASE("backends: the AVX2 loop agrees with the scalar loop under every policy and cost model") {
  if (std::strcmp(cpu_simd(), "avx2") != 0) {
    MESSAGE("this CPU has no AVX2: only the scalar loop runs here");
    return;
  }
  const Plan plan = make_plan(every_policy(1001));
  REQUIRE(plan.job.cells.size() == 64);
  const std::int64_t n = 1001;
  const Paths a = cpu_loop(hedge_paths_scalar, plan, n), b = cpu_loop(hedge_paths_avx2, plan, n);
  CHECK(worst_difference(a, b, plan, n) <= 1.0);
}

TEST_CASE("backends: a sweep over several passes and path groups equals each cell run alone, to the bit") {
  // 2 market volatilities (path groups) x 72 cells each (two CPU passes per group): every policy,
  // fixed fees, impact, lots, and whalley_wilmott/zakamouline at two cost levels (separate trade groups).
  Study all = every_policy(300);
  hl::test::set_axis(all, "market.volatility", {0.2, 0.3});
  hl::test::set_axis(all, "costs.proportional", {0.001, 0.002, 0.004});
  hl::test::set_axis(all, "costs.fixed", {0.0});
  hl::test::set_axis(all, "costs.lot", {0.0, 0.1, 0.25});
  all.steps = 42;
  RunOptions o;
  o.backend = "cpu";
  SimOutput raw;
  run_study(all, o, &raw);
  const std::size_t ncells = cell_count(all);
  REQUIRE(ncells == 2 * 8 * 3 * 2 * 3);
  std::size_t mismatched = 0;
  for (std::size_t c = 0; c < ncells; ++c) {
    SimOutput alone;
    run_study(single_cell(all, c), o, &alone);
    mismatched += std::memcmp(alone.pnl.data(), raw.pnl.data() + c * 300, 300 * sizeof(double)) != 0;
    mismatched += std::memcmp(alone.cost.data(), raw.cost.data() + c * 300, 300 * sizeof(double)) != 0;
  }
  CHECK(mismatched == 0);
}

TEST_CASE("backends: more cells than one pass holds equal the same cells run alone") {
  // 3 x 3 x 2 = 18 cells, hedged on one simulation of each path.
  const std::vector<double> reb{1, 2, 3}, vols{0.18, 0.2, 0.22}, costs{0.0, 0.001};
  Study all = hl::test::make_study({hl::test::option(true, 100, 0.25, -1)}, reb, vols, costs);
  all.steps = 6;
  all.paths = 500;
  SimOutput raw;
  RunOptions o;
  o.backend = "cpu";
  const RunResult r = run_study(all, o, &raw);
  REQUIRE(r.cells.size() == 18);
  for (std::size_t c = 0; c < 18; ++c) {
    const double reb = r.cell_coords[c][r.study.axis_index("hedge.rebalances")];
    const double hv = r.cell_coords[c][r.study.axis_index("hedge.volatility")];
    const double cost = r.cell_coords[c][r.study.axis_index("costs.proportional")];
    Study one = hl::test::make_study({hl::test::option(true, 100, 0.25, -1)}, {reb}, {hv}, {cost});
    one.steps = 6;
    one.paths = 500;
    SimOutput alone;
    run_study(one, o, &alone);
    CHECK(std::memcmp(alone.pnl.data(), raw.pnl.data() + c * 500, 500 * sizeof(double)) == 0);
    CHECK(std::memcmp(alone.cost.data(), raw.cost.data() + c * 500, 500 * sizeof(double)) == 0);
  }
}

TEST_CASE("backends: the AVX2 loop agrees with the scalar loop under every path model and hedger model") {
  if (std::strcmp(cpu_simd(), "avx2") != 0) {
    MESSAGE("this CPU has no AVX2: only the scalar loop runs here");
    return;
  }
  const std::string head =
      "[study]\npaths = 1000\nseed = 3\n[market]\nspot = 100.0\nrate = 0.03\ndrift = 0.06\nvolatility = 0.25\n"
      "steps = 24\n";
  const std::string book =
      "[[book]]\nkind = \"call\"\nstrike = 100.0\nmaturity = 0.5\nquantity = -1.0\n"
      "[[book]]\nkind = \"put\"\nstrike = 90.0\nmaturity = 0.25\nquantity = 2.0\n";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"model = \"merton\"\njump_intensity = 3.0\njump_mean = -0.1\njump_std = 0.15\n",
       "[hedge]\nrebalances = [6, 24]\nmodel = [\"bs\", \"merton\", \"min_variance\"]\n"},
      {"model = \"kou\"\njump_intensity = 3.0\njump_up_probability = 0.4\neta_up = 10.0\neta_down = 5.0\n",
       "[hedge]\nrebalances = [6, 24]\nmodel = [\"bs\", \"kou\"]\npolicy = [\"time\", \"move\"]\nmove = 0.02\n"},
      {"model = \"heston\"\nkappa = 2.0\ntheta = 0.04\nxi = 0.5\nrho = -0.7\nv0 = 0.06\n",
       "[hedge]\nrebalances = [6, 24]\n[stress]\nvol_shift_time = 0.2\nvol_shift_to = 0.4\n"},
      {"model = \"regime\"\nregime_volatilities = [0.15, 0.45]\nregime_rates = [2.0, 6.0]\n",
       "[hedge]\nrebalances = [6, 24]\n[stress]\ngap_time = 0.3\ngap_size = -0.2\n"},
  };
  for (const auto& [market, hedge] : cases) {
    CAPTURE(market);
    const Plan plan = make_plan(parse_study(head + market + book + hedge, "test"));
    const std::int64_t n = 1003;
    const Paths a = cpu_loop(hedge_paths_scalar, plan, n), b = cpu_loop(hedge_paths_avx2, plan, n);
    CHECK(worst_difference(a, b, plan, n) <= 1.0);
    CHECK(a.jumps == b.jumps);
    double jumped = 0.0;
    for (double v : a.jump_pnl) jumped += std::fabs(v);
    CHECK((plan.job.jumps ? jumped > 0.0 : jumped == 0.0));
  }
}

TEST_CASE("backends: an AVX2 path's results do not depend on which paths share its vector, in every precision") {
  if (std::strcmp(cpu_simd(), "avx2") != 0) {
    MESSAGE("this CPU has no AVX2: only the scalar loop runs here");
    return;
  }
  // Paths [k, n) run with the vectors starting at path k instead of 0: every path gets other neighbours
  // (and, under jumps, gaps and regime switches, other neighbours' branches), and must keep its bits; in
  // the fp64 loop and the fp32 and mixed loops (16 paths per pass each).
  const std::string head =
      "[study]\npaths = 200\nseed = 5\n[market]\nspot = 100.0\nrate = 0.03\ndrift = 0.06\nvolatility = 0.25\n"
      "steps = 24\n";
  const std::string book = "[[book]]\nkind = \"call\"\nstrike = 100.0\nmaturity = 0.5\nquantity = -1.0\n";
  const struct {
    const char* name;
    HedgePathsFn fn;
  } loops[] = {{"fp64", hedge_paths_avx2}, {"fp32", hedge_paths_fp32_avx2}, {"mixed", hedge_paths_mixed_avx2}};
  for (const auto& loop : loops)
    for (const std::string market :
         {std::string(""), std::string("model = \"merton\"\njump_intensity = 3.0\njump_mean = -0.1\njump_std = 0.15\n"),
          std::string("model = \"kou\"\njump_intensity = 3.0\njump_up_probability = 0.4\neta_up = 10.0\neta_down = 5.0\n"),
          std::string("model = \"heston\"\nkappa = 2.0\ntheta = 0.04\nxi = 0.5\nrho = -0.7\nv0 = 0.06\n"),
          std::string("model = \"regime\"\nregime_volatilities = [0.15, 0.45]\nregime_rates = [4.0, 12.0]\n"),
          std::string("[stress]\ngap_time = 0.25\ngap_size = -0.1\n")}) {
      const std::string name = loop.name;
      CAPTURE(name);
      CAPTURE(market);
      const Plan plan = make_plan(parse_study(head + market + book + "[hedge]\nrebalances = [6, 24]\n", "test"));
      const std::int64_t n = 203;
      const Paths a = cpu_loop(loop.fn, plan, n);
      std::uint32_t jumps = 0;
      for (std::uint32_t v : a.jumps) jumps += v;
      const bool moved = std::any_of(a.jump_pnl.begin(), a.jump_pnl.end(), [](double v) { return v != 0.0; });
      CHECK((plan.job.jumps ? jumps > 0 || moved : jumps == 0));  // the jump (or gap) branches ran
      for (std::int64_t k : {1, 3, 4, 7, 8, 15}) {
        CAPTURE(k);
        Paths b = a;
        for (std::size_t i = 0; i < b.pnl.size(); ++i) {
          b.pnl[i] = b.cost[i] = b.jump_pnl[i] = -1.0;
          b.trades[i] = b.jumps[i] = 12345;
        }
        std::vector<double> tsh(b.pnl.size()), tno(b.pnl.size());
        for (const Pass& pass : make_passes(plan.job, kMaxCellsPerPassCpu)) {
          const PathGroup& g = plan.job.groups[pass.group];
          const std::size_t at = static_cast<std::size_t>(pass.first) * n;
          loop.fn(host_params(g), pass.cells.data(), pass.count, g.short_gamma, k, n,
                  CpuOut{b.pnl.data() + at, b.cost.data() + at, b.trades.data() + at, tsh.data() + at,
                         tno.data() + at, plan.job.jumps ? b.jump_pnl.data() + at : nullptr,
                         plan.job.jumps ? b.jumps.data() + at : nullptr, n});
        }
        std::size_t differ = 0;
        for (std::size_t c = 0; c < plan.job.cells.size(); ++c)
          for (std::int64_t p = k; p < n; ++p) {
            const std::size_t i = c * n + p;
            differ += std::memcmp(&a.pnl[i], &b.pnl[i], sizeof(double)) != 0 ||
                      std::memcmp(&a.cost[i], &b.cost[i], sizeof(double)) != 0 ||
                      (plan.job.jumps && (std::memcmp(&a.jump_pnl[i], &b.jump_pnl[i], sizeof(double)) != 0 ||
                                          a.jumps[i] != b.jumps[i])) ||
                      a.trades[i] != b.trades[i];
          }
        CHECK(differ == 0);
      }
    }
}

TEST_CASE("backends: the AVX2 float loops agree with the scalar float loops path by path, under every model") {
  if (std::strcmp(cpu_simd(), "avx2") != 0) {
    MESSAGE("this CPU has no AVX2: only the scalar loop runs here");
    return;
  }
  // The same Philox words and float uniforms (every stream: diffusion, jumps, Heston's variance, regime
  // switches); libmvec's float exp, log, erfc, sin and cos (within 4 ulp) against glibc's scalar ones
  // (within 1 ulp), and FMA contraction in the AVX2 file (built with -mfma), carried along the float
  // path. 64 cells of every policy and cost model, the six cells of the fp64 comparison above, and
  // each path model with its own hedger; 1001 paths (a short last vector). Jump counts must be equal:
  // they depend only on the uniforms.
  std::vector<Plan> plans{make_plan(every_policy(1001)),
                          make_plan(hl::test::make_study(
                              {hl::test::option(true, 100, 0.5, -1), hl::test::option(false, 95, 1.0, 2)},
                              {4, 12, 48}, {0.18, 0.25}, {0.001}, 100, 0.03, 0.06, 0.22))};
  const std::string head =
      "[study]\npaths = 1001\nseed = 11\n[market]\nspot = 100.0\nrate = 0.03\ndrift = 0.06\nvolatility = 0.25\n"
      "steps = 48\n";
  const std::string book = "[[book]]\nkind = \"put\"\nstrike = 95.0\nmaturity = 0.5\nquantity = -1.0\n"
                           "[hedge]\nrebalances = [12, 48]\n";
  const std::pair<const char*, const char*> markets[] = {
      {"model = \"merton\"\njump_intensity = 3.0\njump_mean = -0.1\njump_std = 0.15\n",
       "model = [\"bs\", \"merton\", \"min_variance\"]\n"},
      {"model = \"kou\"\njump_intensity = 3.0\njump_up_probability = 0.4\neta_up = 10.0\neta_down = 5.0\n",
       "model = [\"bs\", \"kou\"]\n"},
      {"model = \"heston\"\nkappa = 2.0\ntheta = 0.04\nxi = 0.5\nrho = -0.7\nv0 = 0.06\n", ""},
      {"model = \"regime\"\nregime_volatilities = [0.15, 0.45]\nregime_rates = [4.0, 12.0]\n", ""}};
  for (const auto& [market, hedger] : markets)
    plans.push_back(make_plan(parse_study(head + market + book + hedger, "test")));
  const std::int64_t n = 1001;
  for (std::size_t k = 0; k < plans.size(); ++k)
    for (int mixed = 0; mixed < 2; ++mixed) {
      CAPTURE(k);
      CAPTURE(mixed);
      const Plan& plan = plans[k];
      const Paths a = cpu_loop(mixed ? hedge_paths_mixed : hedge_paths_fp32, plan, n);
      const Paths b = cpu_loop(mixed ? hedge_paths_mixed_avx2 : hedge_paths_fp32_avx2, plan, n);
      double sq = 0.0, worst = 0.0;
      std::size_t trades = 0, differ = 0;
      for (std::size_t i = 0; i < a.pnl.size(); ++i) {
        const double e = std::fabs(a.pnl[i] - b.pnl[i]) / std::fabs(plan.job.cells[i / n].book_value);
        sq += e * e;
        worst = std::max(worst, e);
        trades += a.trades[i] != b.trades[i];
        differ += a.pnl[i] != b.pnl[i];
      }
      if (plan.job.jumps) CHECK(a.jumps == b.jumps);
      const double rms = std::sqrt(sq / static_cast<double>(a.pnl.size()));
      MESSAGE("avx2 vs scalar float loop (" << std::string(mixed ? "mixed" : "fp32") << ", plan " << k << ", "
                                            << plan.job.cells.size() << " cells): rms " << rms << ", max " << worst
                                            << " x premium, " << trades << " trade counts differ");
      CHECK(rms <= 5e-5);    // measured 1e-6 to 9e-6
      CHECK(worst <= 1e-3);  // measured 2e-5 to 1.1e-4
      CHECK(differ > 0);  // two different math libraries: equal bits everywhere would mean one loop ran twice
    }
}

TEST_CASE("backends: --pass-cells changes nothing but speed: the same bits for 1, 7, 16 and 64 cells per pass") {
  // 2 path groups x 96 cells (every policy, three cost levels, two lot sizes): passes of 1 cell (each
  // path simulated 192 times), of 7 (passes that split trade and volatility groups), 16 (CUDA's default)
  // and 64 (the CPU's), in every precision.
  Study all = every_policy(200);
  hl::test::set_axis(all, "market.volatility", {0.2, 0.3});
  hl::test::set_axis(all, "costs.proportional", {0.001, 0.002, 0.004});
  hl::test::set_axis(all, "costs.fixed", {0.0});
  hl::test::set_axis(all, "costs.lot", {0.0, 0.25});
  all.steps = 42;
  REQUIRE(cell_count(all) == 2 * 8 * 3 * 2 * 2);
  for (const char* precision : {"fp64", "fp32", "mixed"}) {
    CAPTURE(precision);
    all.precision = precision;
    RunOptions o;
    o.backend = "cpu";
    SimOutput ref;
    const RunResult r0 = run_study(all, o, &ref);
    for (int width : {1, 7, 16, 64}) {
      CAPTURE(width);
      o.pass_cells = width;
      SimOutput raw;
      const RunResult r = run_study(all, o, &raw);
      CHECK(std::memcmp(raw.pnl.data(), ref.pnl.data(), ref.pnl.size() * sizeof(double)) == 0);
      CHECK(std::memcmp(raw.cost.data(), ref.cost.data(), ref.cost.size() * sizeof(double)) == 0);
      CHECK(std::memcmp(raw.turnover_notional.data(), ref.turnover_notional.data(),
                        ref.turnover_notional.size() * sizeof(double)) == 0);
      CHECK(raw.trades == ref.trades);
      for (std::size_t c = 0; c < r.cells.size(); ++c) CHECK(r.cells[c].std == r0.cells[c].std);
    }
  }
  RunOptions bad;
  bad.backend = "cpu";
  bad.pass_cells = kMaxCellsPerPassCpu + 1;
  CHECK_THROWS_WITH_AS(run_study(all, bad), "--pass-cells: must be a whole number from 1 to 64, got 65", InputError);
}
