// The experiment file is the user-facing interface: these tests pin down every key, default and
// error message (one line, naming the key and the problem).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <tuple>
#include <vector>

#include "host/study.hpp"

namespace {

const char* const kFull = R"(
[study]
name = "derman_kamal"
paths = 50000
seed = 2024
precision = "fp64"

[market]
model = "gbm"
spot = 100.0
rate = 0.05
drift = 0.07
volatility = 0.20
steps = 84

[[book]]
kind = "call"
strike = 100.0
maturity = 0.0833333333333
quantity = -1.0

[[book]]
kind = "put"
strike = 95
maturity = 0.25
quantity = 2.5

[hedge]
volatility = [0.15, 0.2, 0.25]
rebalances = [21, 84]

[costs]
proportional = 0.001

[output]
histogram_bins = 100
samples = true
quantiles = [0.05, 0.5, 0.95]
)";

// Only the required keys, plus a rate so that the drift default is visible.
const char* const kMinimal = R"(
[study]
paths = 1000
[market]
spot = 100
rate = 0.03
volatility = 0.2
[[book]]
strike = 100
maturity = 0.25
[hedge]
rebalances = 21
)";

// kFull (or another text) with one exact snippet replaced; the snippet must occur exactly once so
// that a test never silently runs on the unedited text.
std::string edit(const std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "snippet not found: " << from);
  REQUIRE_MESSAGE(text.find(from, at + 1) == std::string::npos, "snippet not unique: " << from);
  return text.substr(0, at) + to + text.substr(at + from.size());
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const hl::InputError& e) {
    return e.what();
  }
  return "<no InputError>";
}

// Checks that parsing throws InputError whose one-line message holds every given part.
#define CHECK_INPUT_ERROR(expr, ...)                                                           \
  do {                                                                                         \
    const std::string msg_ = error_of([&] { (void)(expr); });                                  \
    CHECK_MESSAGE(msg_.find('\n') == std::string::npos, "not one line: " << msg_);             \
    for (const char* part_ : {__VA_ARGS__})                                                    \
      CHECK_MESSAGE(msg_.find(part_) != std::string::npos, "'" << std::string(part_) << "' not in: " << msg_); \
  } while (0)

std::string without_book() { return edit(kMinimal, "[[book]]\nstrike = 100\nmaturity = 0.25\n", ""); }

hl::Study parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return hl::parse_study(text, "exp.toml", overrides);
}

// Parse errors of one snippet replacement of kFull.
#define CHECK_EDIT_ERROR(from, to, ...) CHECK_INPUT_ERROR(parse(edit(kFull, from, to)), "exp.toml: ", __VA_ARGS__)

void check_same(const hl::Study& a, const hl::Study& b) {
  CHECK(a.name == b.name);
  CHECK(a.paths == b.paths);
  CHECK(a.seed == b.seed);
  CHECK(a.precision == b.precision);
  CHECK(a.model == b.model);
  CHECK(a.spot == b.spot);
  CHECK(a.rate == b.rate);
  CHECK(a.drift == b.drift);
  CHECK(a.volatility == b.volatility);
  CHECK(a.steps == b.steps);
  REQUIRE(a.book.size() == b.book.size());
  for (std::size_t i = 0; i < a.book.size(); ++i) {
    CHECK(a.book[i].is_call == b.book[i].is_call);
    CHECK(a.book[i].strike == b.book[i].strike);
    CHECK(a.book[i].maturity == b.book[i].maturity);
    CHECK(a.book[i].quantity == b.book[i].quantity);
  }
  REQUIRE(a.axes.size() == b.axes.size());
  for (std::size_t i = 0; i < a.axes.size(); ++i) {
    CHECK(a.axes[i].key == b.axes[i].key);
    CHECK(a.axes[i].values == b.axes[i].values);
    CHECK(a.axes[i].integer == b.axes[i].integer);
    CHECK(a.axes[i].listed == b.axes[i].listed);
  }
  CHECK(a.histogram_bins == b.histogram_bins);
  CHECK(a.samples == b.samples);
  CHECK(a.quantile_levels == b.quantile_levels);
}

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("hl_test_experiment_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("experiment: a full file is read completely") {
  const hl::Study s = parse(kFull);
  CHECK(s.name == "derman_kamal");
  CHECK(s.paths == 50000);
  CHECK(s.seed == 2024u);
  CHECK(s.precision == "fp64");
  CHECK(s.model == "gbm");
  CHECK(s.spot == 100.0);
  CHECK(s.rate == 0.05);
  CHECK(s.drift == 0.07);
  CHECK(s.volatility == 0.20);
  CHECK(s.steps == 84);
  REQUIRE(s.book.size() == 2);
  CHECK(s.book[0].is_call);
  CHECK(s.book[0].strike == 100.0);
  CHECK(s.book[0].maturity == 0.0833333333333);
  CHECK(s.book[0].quantity == -1.0);
  CHECK_FALSE(s.book[1].is_call);
  CHECK(s.book[1].strike == 95.0);  // an integer for a float key
  CHECK(s.book[1].maturity == 0.25);
  CHECK(s.book[1].quantity == 2.5);
  REQUIRE(s.axes.size() == 3);
  CHECK(s.axes[0].key == "hedge.rebalances");
  CHECK(s.axes[0].integer);
  CHECK(s.axes[0].listed);
  CHECK(s.axes[0].values == std::vector<double>{21, 84});
  CHECK(s.axes[1].key == "hedge.volatility");
  CHECK_FALSE(s.axes[1].integer);
  CHECK(s.axes[1].listed);
  CHECK(s.axes[1].values == std::vector<double>{0.15, 0.2, 0.25});
  CHECK(s.axes[2].key == "costs.proportional");
  CHECK_FALSE(s.axes[2].integer);
  CHECK_FALSE(s.axes[2].listed);
  CHECK(s.axes[2].values == std::vector<double>{0.001});
  CHECK(&s.axis("costs.proportional") == &s.axes[2]);
  CHECK(s.histogram_bins == 100);
  CHECK(s.samples);
  CHECK(s.quantile_levels == std::vector<double>{0.05, 0.5, 0.95});
  CHECK(s.source_path == "");
  CHECK(s.source_text == kFull);
  CHECK(s.overrides.empty());
}

TEST_CASE("experiment: defaults") {
  const hl::Study s = parse(kMinimal);
  CHECK(s.name == "study");
  CHECK(s.seed == 0u);
  CHECK(s.precision == "fp64");
  CHECK(s.model == "gbm");
  CHECK(s.spot == 100.0);
  CHECK(s.rate == 0.03);
  CHECK(s.drift == 0.03);  // drift defaults to the rate
  CHECK(s.steps == 0);
  REQUIRE(s.book.size() == 1);
  CHECK(s.book[0].is_call);
  CHECK(s.book[0].quantity == -1.0);
  REQUIRE(s.axes.size() == 3);
  CHECK(s.axes[0].key == "hedge.rebalances");
  CHECK(s.axes[0].values == std::vector<double>{21});
  CHECK_FALSE(s.axes[0].listed);
  CHECK(s.axes[1].key == "hedge.volatility");
  CHECK(s.axes[1].values == std::vector<double>{0.2});  // defaults to market.volatility
  CHECK_FALSE(s.axes[1].listed);
  CHECK(s.axes[2].key == "costs.proportional");
  CHECK(s.axes[2].values == std::vector<double>{0.0});
  CHECK_FALSE(s.axes[2].listed);
  CHECK(s.histogram_bins == 200);
  CHECK_FALSE(s.samples);
  CHECK(s.quantile_levels == std::vector<double>{0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999});

  // No rate: both are 0. A one-element list is still a sweep axis (listed).
  const hl::Study t = parse(edit(edit(kMinimal, "rate = 0.03\n", ""), "rebalances = 21", "rebalances = [21]"));
  CHECK(t.rate == 0.0);
  CHECK(t.drift == 0.0);
  CHECK(t.axes[0].listed);
  CHECK(t.axes[0].values == std::vector<double>{21});
  // steps = 0 is the explicit spelling of "automatic".
  CHECK(parse(kMinimal, {"market.steps=0"}).steps == 0);
}

TEST_CASE("experiment: overrides") {
  const hl::Study s = parse(kFull, {"market.spot=120", "hedge.rebalances=[21,84,336]", "study.name=\"x\"",
                                    "output.samples=false", "book.0.strike=105.5", "book.1.kind = 'call'",
                                    "hedge.volatility=0.3", "study.seed=7", "study.seed=8"});
  CHECK(s.spot == 120.0);
  CHECK(s.axes[0].values == std::vector<double>{21, 84, 336});
  CHECK(s.axes[0].listed);
  CHECK(s.name == "x");
  CHECK_FALSE(s.samples);
  CHECK(s.book[0].strike == 105.5);
  CHECK(s.book[1].strike == 95.0);
  CHECK(s.book[1].is_call);
  CHECK(s.axes[1].values == std::vector<double>{0.3});
  CHECK_FALSE(s.axes[1].listed);
  CHECK(s.seed == 8u);  // applied in order: the last one wins
  CHECK(s.overrides.size() == 9);
  CHECK(s.overrides[4] == "book.0.strike=105.5");
  CHECK(s.source_text == kFull);  // the original text, not the overridden one

  // Missing tables are created; an element of a value list is addressed by index too.
  const hl::Study m = parse(kMinimal, {"costs.proportional=[0.0, 0.002]", "output.quantiles=[0.1, 0.9]",
                                       "hedge.rebalances=[1, 2]", "hedge.rebalances.1=42"});
  CHECK(m.axes[2].values == std::vector<double>{0.0, 0.002});
  CHECK(m.axes[2].listed);
  CHECK(m.quantile_levels == std::vector<double>{0.1, 0.9});
  CHECK(m.axes[0].values == std::vector<double>{1, 42});
  // An override can supply a required key that the file lacks.
  CHECK(parse(edit(kMinimal, "spot = 100\n", ""), {"market.spot=90"}).spot == 90.0);
}

TEST_CASE("experiment: overrides are validated like the file") {
  CHECK_INPUT_ERROR(parse(kFull, {"market.spot=-1"}), "exp.toml: ", "market.spot", "must be > 0, got -1");
  CHECK_INPUT_ERROR(parse(kFull, {"hedge.rebalance=21"}), "unknown key 'hedge.rebalance'",
                    "did you mean 'hedge.rebalances'?");
  CHECK_INPUT_ERROR(parse(kFull, {"book.0.strik=1"}), "unknown key 'book.0.strik'", "did you mean 'book.0.strike'?");
  CHECK_INPUT_ERROR(parse(kFull, {"hedge.rebalances=[21, 21.5]"}), "hedge.rebalances.1", "expected an integer",
                    "got float 21.5");
  CHECK_INPUT_ERROR(parse(kFull, {"market=5"}), "market: expected a table, got integer 5");
  CHECK_INPUT_ERROR(parse(kFull, {"study.paths=\"many\""}), "study.paths: expected an integer, got string");
}

TEST_CASE("experiment: malformed overrides") {
  CHECK_INPUT_ERROR(parse(kFull, {"foo"}), "exp.toml: ", "override 'foo'", "expected KEY=VALUE");
  CHECK_INPUT_ERROR(parse(kFull, {"market.spot="}), "override 'market.spot='", "missing VALUE");
  CHECK_INPUT_ERROR(parse(kFull, {"hedge.rebalances=[21,"}), "override 'hedge.rebalances=[21,'",
                    "invalid TOML value");
  CHECK_INPUT_ERROR(parse(kFull, {"study.name=abc"}), "override 'study.name=abc'", "invalid TOML value");
  CHECK_INPUT_ERROR(parse(kFull, {"market..spot=1"}), "override 'market..spot=1'", "malformed KEY");
  CHECK_INPUT_ERROR(parse(kFull, {"=1"}), "override '=1'", "malformed KEY");
  CHECK_INPUT_ERROR(parse(kFull, {"market.spot=1\nmarket.rate=2"}), "VALUE must be a single TOML value");
  CHECK_INPUT_ERROR(parse(kFull, {"book.2.strike=1"}), "override 'book.2.strike=1'", "index 2 is out of range",
                    "'book' has 2 entries");
  CHECK_INPUT_ERROR(parse(edit(kFull, "rebalances = [21, 84]", "rebalances = 21"), {"hedge.rebalances.0=4"}),
                    "override 'hedge.rebalances.0=4'", "'hedge.rebalances' holds integer 21");
  CHECK_INPUT_ERROR(parse(kFull, {"book.strike=1"}), "override 'book.strike=1'", "'book' is a list",
                    "book.N");
  CHECK_INPUT_ERROR(parse(without_book(), {"book.0.strike=1"}),
                    "override 'book.0.strike=1'", "index 0 is out of range", "'book' has no entries");
  CHECK_INPUT_ERROR(parse(kFull, {"market.spot.value=1"}), "override 'market.spot.value=1'",
                    "'market.spot' holds float 100.0");
}

TEST_CASE("experiment: effective_text reruns to the same study") {
  const std::vector<std::string> overrides = {"hedge.rebalances=[21,84,336]", "costs.proportional=[0, 0.01]",
                                              "book.0.maturity=0.1234567890123456789", "market.rate=1e-3"};
  const hl::Study s = parse(kFull, overrides);
  const hl::Study again = parse(s.effective_text);
  check_same(s, again);
  CHECK(again.book[0].maturity == 0.1234567890123456789);
  CHECK(again.effective_text == s.effective_text);
  CHECK(s.effective_text.find("336") != std::string::npos);
  check_same(parse(kMinimal), parse(parse(kMinimal).effective_text));
}

TEST_CASE("experiment: load_study reads a file") {
  const auto dir = temp_dir();
  const std::string path = (dir / "my_run.toml").string();
  std::ofstream(path) << kMinimal;
  const hl::Study s = hl::load_study(path, {"study.seed=5"});
  CHECK(s.name == "my_run");  // default: the file's stem
  CHECK(s.source_path == path);
  CHECK(s.source_text == kMinimal);
  CHECK(s.seed == 5u);
  CHECK(hl::load_study(path, {"study.name='given'"}).name == "given");

  // Messages are prefixed with the path.
  std::ofstream(path) << edit(kMinimal, "spot = 100", "spot = 0");
  const std::string bad_spot = path + ": market.spot: must be > 0, got 0";
  CHECK_INPUT_ERROR(hl::load_study(path), bad_spot.c_str());
  const std::string missing = (dir / "missing.toml").string();
  const std::string cannot_read = missing + ": cannot read experiment file: ";
  CHECK_INPUT_ERROR(hl::load_study(missing), cannot_read.c_str(), "No such file");
  const std::string is_dir = dir.string() + ": cannot read experiment file: is a directory";
  CHECK_INPUT_ERROR(hl::load_study(dir.string()), is_dir.c_str());
  std::filesystem::remove_all(dir);
}

TEST_CASE("experiment: malformed TOML") {
  CHECK_INPUT_ERROR(parse("[study\npaths = 3\n"), "exp.toml:1:", "invalid TOML");
  CHECK_INPUT_ERROR(parse("[study]\npaths = = 3\n"), "exp.toml:2:", "invalid TOML");
  CHECK_INPUT_ERROR(parse(edit(kFull, "seed = 2024", "seed = 2024\nseed = 1")), "exp.toml:6:", "invalid TOML");
  CHECK_INPUT_ERROR(hl::parse_study("[x", ""), "<experiment>:1:", "invalid TOML");
}

TEST_CASE("experiment: unknown keys and tables") {
  CHECK_EDIT_ERROR("rebalances = [21, 84]", "rebalance = [21, 84]", "unknown key 'hedge.rebalance'",
                   "(did you mean 'hedge.rebalances'?)");
  CHECK_EDIT_ERROR("[hedge]", "[hedg]", "unknown table 'hedg'", "(did you mean 'hedge'?)");
  CHECK_EDIT_ERROR("strike = 95", "strik = 95", "unknown key 'book.1.strik'", "(did you mean 'book.1.strike'?)");
  CHECK_EDIT_ERROR("histogram_bins = 100", "histogram_bin = 100", "unknown key 'output.histogram_bin'",
                   "(did you mean 'output.histogram_bins'?)");
  // A key in the wrong table points at the table it belongs in.
  CHECK_INPUT_ERROR(parse(edit(kFull, "[costs]\nproportional", "proportional = 0.1\n[costs]\nproportional")),
                    "unknown key 'hedge.proportional'", "(did you mean 'costs.proportional'?)");
  CHECK_INPUT_ERROR(parse(std::string("paths = 3\n") + kFull), "unknown key 'paths'",
                    "(did you mean 'study.paths'?)");
  CHECK_EDIT_ERROR("[output]", "[market.extra]\nx = 1\n[output]", "unknown table 'market.extra'");
}

TEST_CASE("experiment: unknown keys without a close match get no suggestion") {
  for (const auto& [from, to, key] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"steps = 84", "steps = 84\nfoobarbaz = 1", "'market.foobarbaz'"},
           {"[output]", "[telemetry]\nx = 1\n[output]", "'telemetry'"},
           {"strike = 95", "strike = 95\ncolour = 'red'", "'book.1.colour'"}}) {
    const std::string msg = error_of([&] { parse(edit(kFull, from, to)); });
    CHECK_MESSAGE(msg.find("exp.toml: unknown") == 0, msg);
    CHECK_MESSAGE(msg.find(key) != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("did you mean") == std::string::npos, msg);
  }
}

TEST_CASE("experiment: wrong types") {
  CHECK_EDIT_ERROR("spot = 100.0", "spot = \"100\"", "market.spot: expected a number, got string");
  CHECK_EDIT_ERROR("rebalances = [21, 84]", "rebalances = 21.5",
                   "hedge.rebalances: expected an integer or a list of integers, got float 21.5");
  CHECK_EDIT_ERROR("rebalances = [21, 84]", "rebalances = 21.0",
                   "hedge.rebalances: expected an integer or a list of integers, got float 21.0");
  CHECK_EDIT_ERROR("rebalances = [21, 84]", "rebalances = [21, 84.0]",
                   "hedge.rebalances.1: expected an integer, got float 84.0");
  CHECK_EDIT_ERROR("volatility = [0.15, 0.2, 0.25]", "volatility = [0.15, '0.2']",
                   "hedge.volatility.1: expected a number, got string");
  CHECK_EDIT_ERROR("volatility = [0.15, 0.2, 0.25]", "volatility = true",
                   "hedge.volatility: expected a number or a list of numbers, got boolean true");
  CHECK_EDIT_ERROR("proportional = 0.001", "proportional = 'none'",
                   "costs.proportional: expected a number or a list of numbers, got string");
  CHECK_EDIT_ERROR("paths = 50000", "paths = 5e4", "study.paths: expected an integer, got float 50000.0");
  CHECK_EDIT_ERROR("seed = 2024", "seed = '2024'", "study.seed: expected an integer, got string");
  CHECK_EDIT_ERROR("steps = 84", "steps = 84.0", "market.steps: expected an integer, got float 84.0");
  CHECK_EDIT_ERROR("histogram_bins = 100", "histogram_bins = 100.5",
                   "output.histogram_bins: expected an integer, got float 100.5");
  CHECK_EDIT_ERROR("name = \"derman_kamal\"", "name = 7", "study.name: expected a string, got integer 7");
  CHECK_EDIT_ERROR("precision = \"fp64\"", "precision = 64", "study.precision: expected a string, got integer 64");
  CHECK_EDIT_ERROR("model = \"gbm\"", "model = 1", "market.model: expected a string, got integer 1");
  CHECK_EDIT_ERROR("kind = \"put\"", "kind = 0", "book.1.kind: expected a string, got integer 0");
  CHECK_EDIT_ERROR("samples = true", "samples = 1", "output.samples: expected a boolean, got integer 1");
  CHECK_EDIT_ERROR("quantiles = [0.05, 0.5, 0.95]", "quantiles = 0.5",
                   "output.quantiles: expected a list of numbers, got float 0.5");
  CHECK_EDIT_ERROR("quantity = 2.5", "quantity = 2025-01-01", "book.1.quantity: expected a number, got date");
  // A table where a value belongs, and a value where a table belongs.
  CHECK_EDIT_ERROR("spot = 100.0", "spot = { value = 100 }", "market.spot: expected a number, got table");
  CHECK_EDIT_ERROR("rate = 0.05", "rate = [0.05]", "market.rate: expected a number, got list");
  CHECK_INPUT_ERROR(parse("output = 3\n" + std::string(kMinimal)), "output: expected a table, got integer 3");
  CHECK_INPUT_ERROR(parse("book = 1\n" + without_book()),
                    "book: expected a list of [[book]] tables, got integer 1");
  CHECK_INPUT_ERROR(parse(edit(kMinimal, "[[book]]", "[book]")), "book: expected a list of [[book]] tables, got table");
  CHECK_INPUT_ERROR(parse("book = [1]\n" + without_book()),
                    "book.0: expected a table, got integer 1");
}

TEST_CASE("experiment: values out of range") {
  CHECK_EDIT_ERROR("paths = 50000", "paths = 1", "study.paths: must be >= 2, got 1");
  CHECK_EDIT_ERROR("seed = 2024", "seed = -1", "study.seed: must be >= 0, got -1");
  CHECK_EDIT_ERROR("name = \"derman_kamal\"", "name = ''", "study.name: must not be empty");
  CHECK_EDIT_ERROR("precision = \"fp64\"", "precision = \"fp32\"", "study.precision", "'fp32'", "supported: fp64");
  CHECK_EDIT_ERROR("model = \"gbm\"", "model = \"heston\"", "market.model", "'heston'", "supported: gbm");
  CHECK_EDIT_ERROR("spot = 100.0", "spot = 0", "market.spot: must be > 0, got 0");
  // upper bounds, far beyond any market, that keep a path's arithmetic in double range
  CHECK_EDIT_ERROR("rate = 0.05", "rate = 1.5", "market.rate: must be in [-1, 1], got 1.5");
  CHECK_EDIT_ERROR("drift = 0.07", "drift = -6", "market.drift: must be in [-5, 5], got -6");
  CHECK_EDIT_ERROR("volatility = 0.20", "volatility = 10.5", "market.volatility: must be <= 10, got 10.5");
  CHECK_EDIT_ERROR("volatility = [0.15, 0.2, 0.25]", "volatility = [0.15, 11]",
                   "hedge.volatility.1: must be <= 10, got 11");
  CHECK_EDIT_ERROR("maturity = 0.25", "maturity = 101", "book.1.maturity: must be <= 100 (years), got 101");
  CHECK_EDIT_ERROR("name = \"derman_kamal\"", "name = \"../x\"", "study.name: must be a plain file name", "'../x'");
  CHECK_EDIT_ERROR("name = \"derman_kamal\"", "name = \"..\"", "study.name: must be a plain file name");
  CHECK_EDIT_ERROR("volatility = 0.20", "volatility = -0.2", "market.volatility: must be > 0, got -0.2");
  CHECK_EDIT_ERROR("steps = 84", "steps = -3", "market.steps: must be >= 1", "got -3");
  CHECK_EDIT_ERROR("steps = 84", "steps = 10_000_001", "market.steps: must be <= 10000000, got 10000001");
  CHECK(parse(edit(kFull, "steps = 84", "steps = 10_000_000")).steps == 10'000'000);
  CHECK_EDIT_ERROR("kind = \"put\"", "kind = \"cal\"", "book.1.kind: must be 'call' or 'put', got 'cal'");
  CHECK_EDIT_ERROR("strike = 95", "strike = -95", "book.1.strike: must be > 0, got -95");
  CHECK_EDIT_ERROR("maturity = 0.25", "maturity = 0.0", "book.1.maturity: must be > 0, got 0.0");
  CHECK_EDIT_ERROR("quantity = 2.5", "quantity = 0", "book.1.quantity: must be non-zero, got 0");
  CHECK_EDIT_ERROR("volatility = [0.15, 0.2, 0.25]", "volatility = [0.15, 0]",
                   "hedge.volatility.1: must be > 0, got 0");
  CHECK_EDIT_ERROR("volatility = [0.15, 0.2, 0.25]", "volatility = -0.1", "hedge.volatility: must be > 0, got -0.1");
  CHECK_EDIT_ERROR("rebalances = [21, 84]", "rebalances = [21, 0]", "hedge.rebalances.1: must be >= 1, got 0");
  CHECK_EDIT_ERROR("rebalances = [21, 84]", "rebalances = 1_000_001",
                   "hedge.rebalances: must be <= 1000000, got 1000001");
  CHECK(parse(edit(kFull, "rebalances = [21, 84]", "rebalances = 1_000_000")).axes[0].values[0] == 1e6);
  CHECK_EDIT_ERROR("proportional = 0.001", "proportional = -0.001",
                   "costs.proportional: must be >= 0 and < 1, got -0.001");
  CHECK_EDIT_ERROR("proportional = 0.001", "proportional = [0, 1]",
                   "costs.proportional.1: must be >= 0 and < 1, got 1");
  CHECK_EDIT_ERROR("histogram_bins = 100", "histogram_bins = 0", "output.histogram_bins: must be in [1, 100000], got 0");
  CHECK_EDIT_ERROR("histogram_bins = 100", "histogram_bins = 100001",
                   "output.histogram_bins: must be in [1, 100000], got 100001");
  CHECK_EDIT_ERROR("quantiles = [0.05, 0.5, 0.95]", "quantiles = [0, 0.5]", "output.quantiles.0: must be in (0, 1), got 0");
  CHECK_EDIT_ERROR("quantiles = [0.05, 0.5, 0.95]", "quantiles = [0.5, 1.0]",
                   "output.quantiles.1: must be in (0, 1), got 1.0");
  CHECK_EDIT_ERROR("quantiles = [0.05, 0.5, 0.95]", "quantiles = [0.05, 0.5, 0.5]", "output.quantiles.2",
                   "strictly increasing", "got 0.5 after 0.5");
  std::string many = kMinimal;
  for (int i = 0; i < 16; ++i) many += "[[book]]\nstrike = 100\nmaturity = 0.25\n";
  CHECK_INPUT_ERROR(parse(many), "exp.toml: book: at most 16 [[book]] options", "got 17");
}

TEST_CASE("experiment: NaN and infinity are rejected everywhere") {
  CHECK_EDIT_ERROR("spot = 100.0", "spot = nan", "market.spot: must be a finite number, got nan");
  CHECK_EDIT_ERROR("rate = 0.05", "rate = inf", "market.rate: must be a finite number, got inf");
  CHECK_EDIT_ERROR("drift = 0.07", "drift = -inf", "market.drift: must be a finite number, got -inf");
  CHECK_EDIT_ERROR("volatility = 0.20", "volatility = +inf", "market.volatility: must be a finite number, got inf");
  CHECK_EDIT_ERROR("strike = 95", "strike = nan", "book.1.strike: must be a finite number, got nan");
  CHECK_EDIT_ERROR("maturity = 0.25", "maturity = inf", "book.1.maturity: must be a finite number, got inf");
  CHECK_EDIT_ERROR("quantity = 2.5", "quantity = nan", "book.1.quantity: must be a finite number, got nan");
  CHECK_EDIT_ERROR("volatility = [0.15, 0.2, 0.25]", "volatility = [0.15, nan]",
                   "hedge.volatility.1: must be a finite number, got nan");
  CHECK_EDIT_ERROR("proportional = 0.001", "proportional = nan", "costs.proportional: must be a finite number, got nan");
  CHECK_EDIT_ERROR("quantiles = [0.05, 0.5, 0.95]", "quantiles = [0.05, nan]",
                   "output.quantiles.1: must be a finite number, got nan");
}

TEST_CASE("experiment: empty lists") {
  CHECK_EDIT_ERROR("rebalances = [21, 84]", "rebalances = []", "hedge.rebalances: must not be an empty list");
  CHECK_EDIT_ERROR("volatility = [0.15, 0.2, 0.25]", "volatility = []", "hedge.volatility: must not be an empty list");
  CHECK_EDIT_ERROR("proportional = 0.001", "proportional = []", "costs.proportional: must not be an empty list");
  CHECK_EDIT_ERROR("quantiles = [0.05, 0.5, 0.95]", "quantiles = []", "output.quantiles: must not be an empty list");
}

TEST_CASE("experiment: missing required keys") {
  CHECK_EDIT_ERROR("paths = 50000\n", "", "study.paths: required key is missing");
  CHECK_EDIT_ERROR("spot = 100.0\n", "", "market.spot: required key is missing");
  CHECK_EDIT_ERROR("volatility = 0.20\n", "", "market.volatility: required key is missing");
  CHECK_EDIT_ERROR("strike = 95\n", "", "book.1.strike: required key is missing");
  CHECK_EDIT_ERROR("maturity = 0.0833333333333\n", "", "book.0.maturity: required key is missing");
  CHECK_EDIT_ERROR("rebalances = [21, 84]\n", "", "hedge.rebalances: required key is missing");
  CHECK_INPUT_ERROR(parse(edit(kMinimal, "[study]\npaths = 1000\n", "")), "study.paths: required key is missing");
  CHECK_INPUT_ERROR(parse(without_book()),
                    "exp.toml: book: at least one [[book]] option is required");
  CHECK_INPUT_ERROR(parse("book = []\n" + without_book()),
                    "exp.toml: book: at least one [[book]] option is required");
  CHECK_INPUT_ERROR(parse(""), "exp.toml: study.paths: required key is missing");
}
