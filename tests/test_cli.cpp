#include <doctest/doctest.h>

#include "cli_helpers.hpp"
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "helpers.hpp"
#include "host/cli.hpp"

namespace fs = std::filesystem;

namespace {
using hl::test::cli;
using hl::test::CliRun;

fs::path scratch() {
  const fs::path d = fs::temp_directory_path() / ("hedgelab_cli_" + std::to_string(getpid()));
  fs::create_directories(d);
  return d;
}

const std::string kDk = hl::test::source_path("experiments/derman_kamal.toml");

// A bad input: exit code 2, one line naming the problem, no output file.
void check_rejected(const std::vector<std::string>& args, const std::string& expect, const fs::path& out) {
  CAPTURE(expect);
  fs::remove(out);
  const CliRun r = cli(args);
  CHECK(r.code == 2);
  CHECK(r.err.find(expect) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(!fs::exists(out));
}
}  // namespace

TEST_CASE("cli: run writes the HDF5 file and prints the table") {
  const fs::path out = scratch() / "dk.h5";
  fs::remove(out);
  const CliRun r = cli({"run", kDk, "-o", out.string(), "--set", "study.paths=2000", "--threads", "2"});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(fs::exists(out));
  CHECK(r.out.find("derman_kamal") != std::string::npos);
  CHECK(r.out.find("DK std") != std::string::npos);
  const CliRun q = cli({"run", kDk, "-o", out.string(), "--set", "study.paths=2000", "--quiet"});
  CHECK(q.code == 0);
  CHECK(q.out.empty());
  for (auto& e : fs::directory_iterator(out.parent_path()))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("cli: bad input exits 2 with one line and writes nothing") {
  const fs::path dir = scratch(), out = dir / "bad.h5";
  auto write = [&](const std::string& name, const std::string& text) {
    const fs::path p = dir / name;
    std::ofstream(p) << text;
    return p.string();
  };
  const std::string o = out.string();
  check_rejected({"run", write("malformed.toml", "[study\npaths = 3\n"), "-o", o}, "malformed.toml", out);
  check_rejected({"run", kDk, "-o", o, "--set", "hedge.rebalance=[3]"}, "did you mean 'hedge.rebalances'", out);
  check_rejected({"run", kDk, "-o", o, "--set", "market.volatility=-0.2"}, "market.volatility", out);
  check_rejected({"run", kDk, "-o", o, "--set", "market.volatility=nan"}, "market.volatility", out);
  check_rejected({"run", kDk, "-o", o, "--set", "book.0.strike=0"}, "book.0.strike", out);
  check_rejected({"run", kDk, "-o", o, "--set", "book.0.maturity=-1"}, "book.0.maturity", out);
  check_rejected({"run", kDk, "-o", o, "--set", "study.paths=1"}, "study.paths", out);
  // 1e12 paths run in bounded memory (chunks and quantile sketches), but not when every path is kept
  check_rejected({"run", kDk, "-o", o, "--set", "study.paths=1000000000000", "--set", "output.samples=true"},
                 "output.samples: keeping every path's P&L and cost", out);
  check_rejected({"run", kDk, "-o", o, "--set", "study.paths=1000000000000", "--set", "output.quantile_method='exact'"},
                 "output.quantile_method: exact quantiles keep every path's P&L", out);
  check_rejected({"run", kDk, "-o", o, "--set", "output.quantile_method='median'"},
                 "output.quantile_method: must be one of 'auto', 'exact', 'sketch', got 'median'", out);
  check_rejected({"run", kDk, "-o", o, "--set", "study.name=\"../x\""}, "study.name", out);
  check_rejected({"run", kDk, "-o", o, "--set", "market.volatility=50"}, "market.volatility: must be <= 10", out);
  check_rejected({"run", kDk, "-o", o, "--set", "book.0.maturity=1000"}, "book.0.maturity", out);
  // within every bound, yet the spot overflows double precision on some paths: refused, not NaN
  check_rejected({"run", kDk, "-o", o, "--set", "market.spot=1e306", "--set", "book.0.strike=1e306", "--set",
                  "market.volatility=3", "--set", "hedge.volatility=3", "--set", "book.0.maturity=10", "--set",
                  "study.paths=5000"},
                 "non-finite P&L", out);
  // a run refused before simulating creates no output directory either
  const fs::path deep = dir / "new" / "sub" / "x.h5";
  check_rejected({"run", kDk, "-o", deep.string(), "--set", "market.steps=21"}, "market.steps", deep);
  CHECK(!fs::exists(dir / "new"));
  check_rejected({"run", kDk, "-o", o, "--set", "hedge.rebalances=[0]"}, "hedge.rebalances", out);
  check_rejected({"run", kDk, "-o", o, "--set", "costs.proportional=-0.01"}, "costs.proportional", out);
  check_rejected({"run", kDk, "-o", o, "--set", "market.spot=\"abc\""}, "market.spot", out);
  check_rejected({"run", kDk, "-o", o, "--set", "nonsense"}, "nonsense", out);
  check_rejected({"run", kDk, "-o", o, "--backend", "gpu"}, "--backend", out);
  check_rejected({"run", dir.string() + "/missing.toml", "-o", o}, "missing.toml", out);
  check_rejected({"run", kDk, "--threads", "-1", "-o", o}, "--threads", out);
  check_rejected({"run", kDk, "--threads", "5000", "-o", o},
                 "--threads: must be a whole number from 0 (all cores) to 1024, got 5000", out);
  // a bare word where a string is meant: the shell ate the quotes, and the message says so
  check_rejected({"run", kDk, "-o", o, "--set", "study.precision=fp32"},
                 "a string needs quotes, kept from the shell: 'study.precision=\"fp32\"'", out);
  check_rejected({"run", kDk, "-o", o, "--batch-size", "0100"}, "--batch-size: must be written without leading zeros",
                 out);
  // an unwritable output path is caught before the simulation
  const CliRun r = cli({"run", kDk, "-o", "/proc/hedgelab_test.h5"});
  CHECK(r.code == 2);
  CHECK(r.err.find("output") != std::string::npos);
  CHECK(!fs::exists("/proc/hedgelab_test.h5"));
}

TEST_CASE("cli: --backend cuda without a device is a clear error") {
  const fs::path out = scratch() / "cuda.h5";
  fs::remove(out);
  const CliRun r = cli({"run", kDk, "-o", out.string(), "--backend", "cuda", "--set", "study.paths=100"});
  if (r.code == 0) {
    CHECK(fs::exists(out));  // a machine with a GPU
  } else {
    CHECK(r.code == 2);
    CHECK(r.err.find("--backend cuda") != std::string::npos);
    CHECK(!fs::exists(out));
  }
}

TEST_CASE("cli: info names the version and the backends") {
  const CliRun r = cli({"info"});
  CHECK(r.code == 0);
  CHECK(r.out.find("hedgelab 0.1.0") != std::string::npos);
  CHECK(r.out.find("backends: cpu") != std::string::npos);
}

TEST_CASE("cli: bench times the kernel alone and with the statistics, in chunks, and refuses bad options") {
  // 4 cells over 3 chunks (the last one short): one JSON record per run, with the work it timed.
  for (const char* stats : {"", "--stats"}) {
    CAPTURE(stats);
    std::vector<std::string> args = {"bench", "--backend", "cpu", "--paths", "10000", "--steps", "12", "--cells", "2",
                                     "--costs", "2", "--repeat", "1", "--chunk-size", "4096", "--json"};
    if (*stats) args.push_back(stats);
    const CliRun r = cli(args);
    REQUIRE(r.code == 0);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    CHECK(r.out.find("\"cells\": 4") != std::string::npos);
    CHECK(r.out.find("\"paths\": 10000") != std::string::npos);
    CHECK(r.out.find(*stats ? "\"scope\": \"stats\"" : "\"scope\": \"kernel\"") != std::string::npos);
    CHECK(r.out.find("\"path_steps_per_s\": ") != std::string::npos);
    CHECK(r.out.find("\"gpu\": \"") != std::string::npos);  // the GPU seen, or "none"
    CHECK(r.out.find("nan") == std::string::npos);
  }
  const CliRun m = cli({"bench", "--backend", "cpu", "--paths", "1000", "--model", "sabr"});
  CHECK(m.code == 2);
  CHECK(m.err.find("--model") != std::string::npos);
  const CliRun c = cli({"bench", "--backend", "cpu", "--paths", "1000", "--steps", "7", "--cells", "3"});
  CHECK(c.code == 2);
  CHECK(c.err.find("--cells") != std::string::npos);
  const CliRun p = cli({"bench", "--backend", "cpu", "--paths", "1000", "--precision", "fp16"});
  CHECK(p.code == 2);
  CHECK(p.err.find("--precision: must be fp64, fp32, mixed") != std::string::npos);
  // Sizes out of range are refused on the option, with its range (0 does not quietly mean the default,
  // and the message names the option, not an experiment key that bench writes internally).
  for (const auto& [opt, value, expect] :
       {std::tuple<std::string, std::string, std::string>{"--paths", "0", "--paths: must be a whole number from 2 to"},
        {"--paths", "9223372036854775807", "--paths: must be a whole number from 2 to 999999999999999999"},
        {"--steps", "0", "--steps: must be a whole number from 1 to 1000000, got 0"},
        {"--steps", "1000001", "--steps: must be a whole number from 1 to 1000000"},  // a rebalance per step
        {"--threads", "010", "--threads: must be written without leading zeros, got 010"},  // not octal 8
        {"--pass-cells", "08", "--pass-cells: must be written without leading zeros"},
        {"--costs", "100000", "--costs: must be a whole number from 1 to 2000, got 100000"},
        {"--repeat", "0", "--repeat: must be a whole number from 1 to"},
        {"--threads", "99999", "--threads: must be a whole number from 0 (all cores) to 1024"}}) {
    CAPTURE(opt);
    CAPTURE(value);
    const CliRun b = cli({"bench", "--backend", "cpu", opt, value});
    CHECK(b.code == 2);
    CHECK(b.err.find(expect) != std::string::npos);
    CHECK(std::count(b.err.begin(), b.err.end(), '\n') == 1);
    CHECK(b.out.empty());
  }
  // the largest cost level allowed is below 1, so bench's own study accepts it
  const CliRun hi = cli({"bench", "--backend", "cpu", "--paths", "1000", "--steps", "4", "--costs", "2000",
                         "--repeat", "1", "--json"});
  CHECK(hi.code == 0);
  CHECK(hi.out.find("\"cells\": 2000") != std::string::npos);
}
