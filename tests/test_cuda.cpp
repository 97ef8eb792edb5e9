// CUDA backend tests: their own executable, which exits 77 (skipped under ctest) without a device.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "helpers.hpp"
#include "host/run.hpp"
#include "kernels/backend.hpp"
#include "tests/cuda_probe.hpp"
#include "tests/stats_compare.hpp"
#include "host/plan.hpp"

using namespace hl;

static std::size_t rc_cells(const Study& s) {
  std::size_t n = 1;
  for (const auto& a : s.axes) n *= a.values.size();
  return n;
}

// The same study on both backends, with the per-path arrays.
struct BothRuns {
  SimOutput cpu_raw, gpu_raw;
  RunResult cpu, gpu;
};
static BothRuns run_both(const Study& s, std::int64_t gpu_batch = 0) {
  RunOptions cpu, gpu;
  cpu.backend = "cpu";
  gpu.backend = "cuda";
  gpu.batch = gpu_batch;
  BothRuns b;
  b.cpu = run_study(s, cpu, &b.cpu_raw);
  b.gpu = run_study(s, gpu, &b.gpu_raw);
  return b;
}

TEST_CASE("cuda: Philox on the device matches ours on the host and cuRAND's device Philox") {
  std::vector<std::uint64_t> paths;
  std::vector<std::uint32_t> blocks;
  for (std::uint64_t p : {0ull, 1ull, 12345ull, (1ull << 32) + 3, 999999999999ull})
    for (std::uint32_t b : {0u, 1u, 41u, 4095u}) {
      paths.push_back(p);
      blocks.push_back(b);
    }
  std::vector<U32x4> ours, theirs;
  probe::philox_on_device(2024, paths, blocks, ours, theirs);
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const U32x4 host = philox_draw(2024, paths[i], kStreamDiffusion, blocks[i]);
    for (int w = 0; w < 4; ++w) {
      CHECK(ours[i].v[w] == host.v[w]);
      CHECK(theirs[i].v[w] == host.v[w]);
    }
  }
}

TEST_CASE("cuda: per-path P&L agrees with the CPU backend within 1e-9 of the premium") {
  Study s = load_study(hl::test::source_path("experiments/derman_kamal.toml"),
                       {"study.paths=200000", "hedge.rebalances=[1, 21, 84]", "costs.proportional=[0.0, 0.002]",
                        "hedge.volatility=[0.18, 0.2, 0.22]"});  // 18 cells: two passes
  REQUIRE(rc_cells(s) == 18);
  const BothRuns b = run_both(s, 65536);  // several batches
  const SimOutput &cpu_raw = b.cpu_raw, &gpu_raw = b.gpu_raw;
  const RunResult &rc = b.cpu, &rg = b.gpu;
  REQUIRE(cpu_raw.pnl.size() == gpu_raw.pnl.size());
  double worst = 0.0;
  std::size_t trade_diff = 0;
  for (std::size_t i = 0; i < cpu_raw.pnl.size(); ++i) {
    const std::size_t cell = i / s.paths;
    const double tol = 1e-9 * std::fabs(rc.cells[cell].premium);
    worst = std::max(worst, std::fabs(cpu_raw.pnl[i] - gpu_raw.pnl[i]) / tol);
    worst = std::max(worst, std::fabs(cpu_raw.cost[i] - gpu_raw.cost[i]) / tol);
    trade_diff += cpu_raw.trades[i] != gpu_raw.trades[i];
  }
  CHECK(worst <= 1.0);
  CHECK(trade_diff == 0);
  // the statistics agree as well (sums of per-path values that agree to ~1e-13)
  for (std::size_t c = 0; c < rc.cells.size(); ++c)
    CHECK(rg.cells[c].std == doctest::Approx(rc.cells[c].std).epsilon(1e-9));
  std::printf("cuda vs cpu: worst |dP&L| = %.3g x (1e-9 x premium)\n", worst);
}

TEST_CASE("cuda: every policy and cost model agrees with the CPU backend") {
  Study s = load_study(hl::test::source_path("experiments/bands.toml"),
                       {"study.paths=20000", "costs.fixed=[0.0, 0.01]", "costs.lot=[0.0, 0.05]",
                        "costs.impact_eta=[0.0, 0.5]", "costs.volume=1000.0"});
  const BothRuns b = run_both(s);
  const SimOutput &cpu_raw = b.cpu_raw, &gpu_raw = b.gpu_raw;
  const RunResult& rc = b.cpu;
  // Band decisions can flip on a rounding difference; count such paths rather than require none.
  std::size_t far = 0;
  for (std::size_t i = 0; i < cpu_raw.pnl.size(); ++i) {
    const double tol = 1e-9 * std::fabs(rc.cells[i / s.paths].premium);
    far += std::fabs(cpu_raw.pnl[i] - gpu_raw.pnl[i]) > tol;
  }
  CHECK(far <= cpu_raw.pnl.size() / 10000);
  std::printf("cuda vs cpu, every policy: %zu of %zu path-cells differ by more than 1e-9 x premium\n", far,
              cpu_raw.pnl.size());
}

TEST_CASE("cuda: every path model, overlay and hedger model agrees with the CPU backend") {
  // Jump counts are integers from the same uniforms: equal. P&L and its jump part within 1e-9 of the
  // premium on all but a few paths (a Kou jump drawn from a uniform rounding differently, a move trigger).
  const std::vector<std::pair<std::string, std::vector<std::string>>> studies{
      {"experiments/merton_stress.toml", {"study.paths=20000", "hedge.rebalances=[13, 63]"}},
      {"experiments/crash_gap.toml", {"study.paths=20000"}},
      {"experiments/vol_regime.toml", {"study.paths=20000"}},
      {"experiments/heston_misspecified.toml", {"study.paths=20000", "stress.vol_shift_time=0.5",
                                                "stress.vol_shift_to=0.4"}},
      {"experiments/merton_stress.toml",
       {"study.paths=20000", "market.model='kou'", "market.jump_intensity=2.0", "market.jump_up_probability=0.4",
        "market.eta_up=10.0", "market.eta_down=5.0", "hedge.model=['bs', 'kou', 'min_variance']",
        "hedge.rebalances=[13, 63]"}},
  };
  for (const auto& [file, sets] : studies) {
    CAPTURE(file);
    Study s = load_study(hl::test::source_path(file), sets);
    const BothRuns b = run_both(s);
    const SimOutput &cpu_raw = b.cpu_raw, &gpu_raw = b.gpu_raw;
    const RunResult& rc = b.cpu;
    REQUIRE(cpu_raw.jump_pnl.size() == gpu_raw.jump_pnl.size());
    CHECK(cpu_raw.jumps == gpu_raw.jumps);
    std::size_t far = 0;
    for (std::size_t i = 0; i < cpu_raw.pnl.size(); ++i) {
      const double tol = 1e-9 * std::fabs(rc.cells[i / s.paths].premium);
      bool off = std::fabs(cpu_raw.pnl[i] - gpu_raw.pnl[i]) > tol;
      if (!cpu_raw.jump_pnl.empty()) off = off || std::fabs(cpu_raw.jump_pnl[i] - gpu_raw.jump_pnl[i]) > tol;
      far += off;
    }
    CHECK(far <= cpu_raw.pnl.size() / 10000);
    std::printf("cuda vs cpu, %s: %zu of %zu path-cells differ by more than 1e-9 x premium\n", file.c_str(), far,
                cpu_raw.pnl.size());
  }
}

TEST_CASE("cuda: fp32 and mixed precision agree with the CPU's float loops and stay near fp64") {
  // The device's float math (expf, logf, erfcf) differs from glibc's by an ulp or so, and float
  // rounding of the path carries such differences to the P&L: far looser than fp64's 1e-9, but the
  // statistics agree to a small fraction of their standard errors, as fp32 does with fp64 on the CPU
  // (test_precision.cpp).
  for (const char* precision : {"fp32", "mixed"}) {
    CAPTURE(precision);
    Study s = load_study(hl::test::source_path("experiments/derman_kamal.toml"),
                         {"study.paths=100000", "hedge.rebalances=[21, 84, 252]",
                          std::string("study.precision=\"") + precision + "\""});
    const BothRuns b = run_both(s, 65536);
    REQUIRE(b.gpu.prov.precision == precision);
    double sq = 0.0, worst = 0.0;
    for (std::size_t i = 0; i < b.cpu_raw.pnl.size(); ++i) {
      const double e = std::fabs(b.cpu_raw.pnl[i] - b.gpu_raw.pnl[i]) / std::fabs(b.cpu.cells[i / s.paths].premium);
      sq += e * e;
      worst = std::max(worst, e);
    }
    const double rms = std::sqrt(sq / static_cast<double>(b.cpu_raw.pnl.size()));
    CHECK(rms <= 1e-3);
    CHECK(worst <= 1e-2);
    for (std::size_t c = 0; c < b.cpu.cells.size(); ++c) {
      CHECK(std::fabs(b.gpu.cells[c].mean - b.cpu.cells[c].mean) <= 0.2 * b.cpu.cells[c].stderr_mean);
      CHECK(std::fabs(b.gpu.cells[c].std - b.cpu.cells[c].std) <= 0.2 * b.cpu.cells[c].stderr_std);
    }
    std::printf("cuda vs cpu, %s: rms |dP&L| %.3g, max %.3g (x premium)\n", precision, rms, worst);
  }
}

TEST_CASE("cuda: statistics are the same bits for any chunk and batch size; the raw arrays equal the collected ones") {
  // A run with jumps, 4 cells and a short last chunk, streamed in chunks of 1 and 3 statistics blocks and
  // in one chunk, in exact and in sketch mode; the wrapper that collects every path into one SimOutput
  // (bench, trace) gives the same arrays as the chunks.
  for (const char* method : {"exact", "sketch"}) {
    CAPTURE(method);
    const Study s = load_study(hl::test::source_path("experiments/merton_stress.toml"),
                               {"study.paths=13522", "hedge.rebalances=[13, 63]", "hedge.model='bs'",
                                "market.jump_intensity=[0.0, 2.0]", std::string("output.quantile_method='") + method + "'",
                                "output.baseline=1", "output.loss_thresholds=[1.0]"});
    RunOptions o;
    o.backend = "cuda";
    SimOutput ref_raw;
    const RunResult ref = run_study(s, o, &ref_raw);
    for (std::int64_t chunk : {kStatBlock, 3 * kStatBlock})
      for (std::int64_t batch : {std::int64_t{0}, std::int64_t{1000}}) {
        CAPTURE(chunk);
        CAPTURE(batch);
        o.chunk = chunk;
        o.batch = batch;
        SimOutput raw;
        const RunResult r = run_study(s, o, &raw);
        CHECK(std::memcmp(raw.pnl.data(), ref_raw.pnl.data(), raw.pnl.size() * sizeof(double)) == 0);
        for (std::size_t c = 0; c < r.cells.size(); ++c) {
          CAPTURE(c);
          const std::vector<std::string> diff = hl::test::differing_fields(r.cells[c], ref.cells[c]);
          CHECK(diff.empty());
        }
      }
    const Plan plan = make_plan(s);
    SimOutput whole;
    simulate_cuda(plan.job, BackendOptions{}, whole);
    CHECK(std::memcmp(whole.pnl.data(), ref_raw.pnl.data(), whole.pnl.size() * sizeof(double)) == 0);
    CHECK(std::memcmp(whole.jump_pnl.data(), ref_raw.jump_pnl.data(), whole.jump_pnl.size() * sizeof(double)) == 0);
  }
}

int main(int argc, char** argv) {
  if (cuda_device_count() == 0) {
    std::printf("no CUDA device: CUDA tests skipped\n");
    return 77;
  }
  doctest::Context ctx(argc, argv);
  return ctx.run();
}

TEST_CASE("cuda: the wide kernel (up to 64 cells per pass) gives the same bits as passes of 16 and of 5") {
  // 48 cells (8 rebalance counts x 6 costs, the benchmark's sweep) in one pass of the wide kernel, in
  // 3 passes of 16 and in 10 of at most 5, in every precision.
  for (const char* precision : {"fp64", "fp32", "mixed"}) {
    CAPTURE(precision);
    const Study s = load_study(hl::test::source_path("experiments/derman_kamal.toml"),
                               {"study.paths=20000", "market.steps=252",
                                "hedge.rebalances=[252, 126, 84, 63, 42, 36, 28, 21]",
                                "costs.proportional=[0.0, 0.0005, 0.001, 0.0015, 0.002, 0.0025]",
                                std::string("study.precision=\"") + precision + "\""});
    RunOptions o;
    o.backend = "cuda";
    SimOutput ref;
    run_study(s, o, &ref);
    REQUIRE(ref.pnl.size() == 48u * 20000u);
    for (int width : {5, 48, 64}) {
      CAPTURE(width);
      o.pass_cells = width;
      SimOutput raw;
      run_study(s, o, &raw);
      CHECK(std::memcmp(raw.pnl.data(), ref.pnl.data(), ref.pnl.size() * sizeof(double)) == 0);
      CHECK(std::memcmp(raw.cost.data(), ref.cost.data(), ref.cost.size() * sizeof(double)) == 0);
      CHECK(raw.trades == ref.trades);
    }
  }
}
