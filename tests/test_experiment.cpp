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
policy = ["time", "band"]
volatility = [0.15, 0.2, 0.25]
rebalances = [21, 84]
band = 0.05
to = "target"
risk_aversion = 2.5
move = 0.02

[costs]
proportional = 0.001
fixed = 0.03
half_spread = 0.0005
half_spread_per_vol = 0.004
impact_eta = 0.7
volume = 5e5
lot = 10
on_initial = false
on_unwind = false

[output]
histogram_bins = 100
samples = true
quantiles = [0.05, 0.5, 0.95]
baseline = 1
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
    CHECK(a.axes[i].labels == b.axes[i].labels);
    CHECK(a.axes[i].zip == b.axes[i].zip);
  }
  CHECK(a.costs_on_initial == b.costs_on_initial);
  CHECK(a.costs_on_unwind == b.costs_on_unwind);
  CHECK(a.baseline == b.baseline);
  CHECK(a.histogram_bins == b.histogram_bins);
  CHECK(a.samples == b.samples);
  CHECK(a.quantile_levels == b.quantile_levels);
}

std::vector<double> values(const hl::Study& s, const std::string& key) { return s.axis(key).values; }
using Strings = std::vector<std::string>;
using Doubles = std::vector<double>;

// The axes' keys in order.
Strings axis_keys(const hl::Study& s) {
  Strings k;
  for (const auto& a : s.axes) k.push_back(a.key);
  return k;
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
  CHECK(s.first("market.spot") == 100.0);
  CHECK(s.first("market.rate") == 0.05);
  CHECK(s.first("market.drift") == 0.07);
  CHECK(s.first("market.volatility") == 0.20);
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
  CHECK(values(s, "book.0.strike") == Doubles{100.0});
  CHECK(values(s, "book.0.quantity") == Doubles{-1.0});
  CHECK(values(s, "book.1.strike") == Doubles{95.0});
  CHECK(values(s, "book.1.quantity") == Doubles{2.5});

  // One axis per sweepable key, in the canonical order.
  CHECK(axis_keys(s) == hl::sweep_keys(2));
  REQUIRE(s.axes.size() == 22);
  CHECK(s.axes[0].key == "market.spot");
  CHECK(s.axes[4].key == "book.0.strike");
  CHECK(s.axes[7].key == "book.1.quantity");
  CHECK(s.axes[21].key == "costs.lot");
  for (const auto& a : s.axes) {
    CHECK_MESSAGE(a.integer == (a.key == "hedge.rebalances"), a.key);
    CHECK_MESSAGE(a.zip == -1, a.key);
    CHECK_MESSAGE(a.labels.empty() == (a.key != "hedge.policy" && a.key != "hedge.to"), a.key);
    const bool listed = a.key == "hedge.policy" || a.key == "hedge.rebalances" || a.key == "hedge.volatility";
    CHECK_MESSAGE(a.listed == listed, a.key);
  }
  const hl::SweepAxis& policy = s.axis("hedge.policy");
  CHECK(policy.labels == Strings{"time", "band"});
  CHECK(policy.values == Doubles{0, 1});
  CHECK(values(s, "hedge.rebalances") == Doubles{21, 84});
  CHECK(values(s, "hedge.volatility") == Doubles{0.15, 0.2, 0.25});
  CHECK(values(s, "hedge.band") == Doubles{0.05});
  CHECK(s.axis("hedge.to").labels == Strings{"target"});
  CHECK(values(s, "hedge.to") == Doubles{0});
  CHECK(values(s, "hedge.risk_aversion") == Doubles{2.5});
  CHECK(values(s, "hedge.move") == Doubles{0.02});
  CHECK(values(s, "costs.proportional") == Doubles{0.001});
  CHECK(values(s, "costs.fixed") == Doubles{0.03});
  CHECK(values(s, "costs.half_spread") == Doubles{0.0005});
  CHECK(values(s, "costs.half_spread_per_vol") == Doubles{0.004});
  CHECK(values(s, "costs.impact_eta") == Doubles{0.7});
  CHECK(values(s, "costs.volume") == Doubles{5e5});
  CHECK(values(s, "costs.lot") == Doubles{10});
  CHECK_FALSE(s.costs_on_initial);
  CHECK_FALSE(s.costs_on_unwind);
  CHECK(hl::cell_count(s) == 12);  // 2 policies x 2 rebalance counts x 3 hedge volatilities
  CHECK(s.baseline == 1);
  CHECK(s.histogram_bins == 100);
  CHECK(s.samples);
  CHECK(s.quantile_levels == Doubles{0.05, 0.5, 0.95});
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
  CHECK(s.steps == 0);
  REQUIRE(s.book.size() == 1);
  CHECK(s.book[0].is_call);
  CHECK(s.book[0].strike == 100.0);
  CHECK(s.book[0].quantity == -1.0);
  CHECK(axis_keys(s) == hl::sweep_keys(1));
  REQUIRE(s.axes.size() == 20);
  // Every axis holds one value (its default where the file has none) and is neither listed nor zipped.
  const std::vector<std::pair<std::string, double>> expected = {
      {"market.spot", 100.0},
      {"market.rate", 0.03},
      {"market.drift", 0.03},  // drift defaults to the rate
      {"market.volatility", 0.2},
      {"book.0.strike", 100.0},
      {"book.0.quantity", -1.0},
      {"hedge.policy", 0.0},
      {"hedge.rebalances", 21.0},
      {"hedge.volatility", 0.2},  // defaults to market.volatility
      {"hedge.band", 0.0},
      {"hedge.to", 0.0},
      {"hedge.risk_aversion", 1.0},
      {"hedge.move", 0.0},
      {"costs.proportional", 0.0},
      {"costs.fixed", 0.0},
      {"costs.half_spread", 0.0},
      {"costs.half_spread_per_vol", 0.0},
      {"costs.impact_eta", 0.0},
      {"costs.volume", 1e6},
      {"costs.lot", 0.0}};
  REQUIRE(expected.size() == s.axes.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const hl::SweepAxis& a = s.axes[i];
    CHECK(a.key == expected[i].first);
    CHECK_MESSAGE(a.values == Doubles{expected[i].second}, a.key);
    CHECK_MESSAGE(!a.listed, a.key);
    CHECK_MESSAGE(a.zip == -1, a.key);
    CHECK_MESSAGE(a.integer == (a.key == "hedge.rebalances"), a.key);
  }
  CHECK(s.axis("hedge.policy").labels == Strings{"time"});
  CHECK(s.axis("hedge.to").labels == Strings{"edge"});
  CHECK(s.axis("costs.lot").labels.empty());
  CHECK(s.costs_on_initial);
  CHECK(s.costs_on_unwind);
  CHECK(s.baseline == 0);
  CHECK(hl::cell_count(s) == 1);
  CHECK(s.histogram_bins == 200);
  CHECK_FALSE(s.samples);
  CHECK(s.quantile_levels == Doubles{0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999});

  // No rate: both are 0. A one-element list is still a sweep axis (listed).
  const hl::Study t = parse(edit(edit(kMinimal, "rate = 0.03\n", ""), "rebalances = 21", "rebalances = [21]"));
  CHECK(values(t, "market.rate") == Doubles{0.0});
  CHECK(values(t, "market.drift") == Doubles{0.0});
  CHECK_FALSE(t.axis("market.drift").listed);
  CHECK(t.axis("hedge.rebalances").listed);
  CHECK(values(t, "hedge.rebalances") == Doubles{21});
  // steps = 0 is the explicit spelling of "automatic".
  CHECK(parse(kMinimal, {"market.steps=0"}).steps == 0);
  // A given drift does not follow the rate.
  const hl::Study d = parse(kMinimal, {"market.drift=0.1", "market.rate=[0.01, 0.02]"});
  CHECK(values(d, "market.drift") == Doubles{0.1});
  CHECK_FALSE(d.axis("market.drift").listed);
  CHECK(d.axis("market.drift").zip == -1);
  CHECK(d.axis("market.rate").zip == -1);
  CHECK(hl::cell_count(d) == 2);
}

TEST_CASE("experiment: overrides") {
  const hl::Study s = parse(kFull, {"market.spot=120", "hedge.rebalances=[21,84,336]", "study.name=\"x\"",
                                    "output.samples=false", "book.0.strike=105.5", "book.1.kind = 'call'",
                                    "hedge.volatility=0.3", "study.seed=7", "study.seed=8"});
  CHECK(values(s, "market.spot") == Doubles{120.0});
  CHECK(values(s, "hedge.rebalances") == Doubles{21, 84, 336});
  CHECK(s.axis("hedge.rebalances").listed);
  CHECK(s.name == "x");
  CHECK_FALSE(s.samples);
  CHECK(s.book[0].strike == 105.5);
  CHECK(values(s, "book.0.strike") == Doubles{105.5});
  CHECK(s.book[1].strike == 95.0);
  CHECK(s.book[1].is_call);
  CHECK(values(s, "hedge.volatility") == Doubles{0.3});
  CHECK_FALSE(s.axis("hedge.volatility").listed);
  CHECK(s.seed == 8u);  // applied in order: the last one wins
  CHECK(s.overrides.size() == 9);
  CHECK(s.overrides[4] == "book.0.strike=105.5");
  CHECK(s.source_text == kFull);  // the original text, not the overridden one

  // Missing tables are created; an element of a value list is addressed by index too.
  const hl::Study m = parse(kMinimal, {"costs.proportional=[0.0, 0.002]", "output.quantiles=[0.1, 0.9]",
                                       "hedge.rebalances=[1, 2]", "hedge.rebalances.1=42"});
  CHECK(values(m, "costs.proportional") == Doubles{0.0, 0.002});
  CHECK(m.axis("costs.proportional").listed);
  CHECK(m.quantile_levels == Doubles{0.1, 0.9});
  CHECK(values(m, "hedge.rebalances") == Doubles{1, 42});
  // An override can supply a required key that the file lacks.
  CHECK(parse(edit(kMinimal, "spot = 100\n", ""), {"market.spot=90"}).first("market.spot") == 90.0);
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
  CHECK_EDIT_ERROR("spot = 100.0", "spot = \"100\"", "market.spot: expected a number or a list of numbers, got string");
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
  CHECK_EDIT_ERROR("quantity = 2.5", "quantity = 2025-01-01",
                   "book.1.quantity: expected a number or a list of numbers, got date");
  // A table where a value belongs, and a value where a table belongs.
  CHECK_EDIT_ERROR("spot = 100.0", "spot = { value = 100 }",
                   "market.spot: expected a number or a list of numbers, got table");
  CHECK_EDIT_ERROR("maturity = 0.25", "maturity = [0.25]", "book.1.maturity: expected a number, got list");
  CHECK_EDIT_ERROR("steps = 84", "steps = [84]", "market.steps: expected an integer, got list");
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
  CHECK(parse(edit(kFull, "rebalances = [21, 84]", "rebalances = 1_000_000")).first("hedge.rebalances") == 1e6);
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
  CHECK_INPUT_ERROR(parse(edit(kMinimal, "rebalances = 21\n", "")), "exp.toml: hedge.rebalances: required key is missing");
  CHECK_INPUT_ERROR(parse(edit(kMinimal, "[study]\npaths = 1000\n", "")), "study.paths: required key is missing");
  CHECK_INPUT_ERROR(parse(without_book()),
                    "exp.toml: book: at least one [[book]] option is required");
  CHECK_INPUT_ERROR(parse("book = []\n" + without_book()),
                    "exp.toml: book: at least one [[book]] option is required");
  CHECK_INPUT_ERROR(parse(""), "exp.toml: study.paths: required key is missing");
}

TEST_CASE("experiment: string axes") {
  // A list of policies: labels in the order given, values index them.
  const hl::Study s = parse(kMinimal, {R"(hedge.policy=["band", "whalley_wilmott", "none"])"});
  const hl::SweepAxis& p = s.axis("hedge.policy");
  CHECK(p.labels == Strings{"band", "whalley_wilmott", "none"});
  CHECK(p.values == Doubles{0, 1, 2});
  CHECK(p.listed);
  CHECK_FALSE(p.integer);
  CHECK(hl::cell_count(s) == 3);
  // A single string: an axis of one value.
  const hl::Study one = parse(kMinimal, {"hedge.policy='zakamouline'", "hedge.to='target'"});
  CHECK(one.axis("hedge.policy").labels == Strings{"zakamouline"});
  CHECK(values(one, "hedge.policy") == Doubles{0});
  CHECK_FALSE(one.axis("hedge.policy").listed);
  CHECK(one.axis("hedge.to").labels == Strings{"target"});
  // Every policy and hedge target is accepted.
  const hl::Study all = parse(kMinimal, {R"(hedge.policy=["time", "band", "whalley_wilmott", "zakamouline", "move",
                                                          "leland", "static", "none"])",
                                         R"(hedge.to=["target", "edge"])"});
  CHECK(all.axis("hedge.policy").labels == hl::policy_names());
  CHECK(values(all, "hedge.policy") == Doubles{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(all.axis("hedge.to").labels == Strings{"target", "edge"});
  CHECK(values(all, "hedge.to") == Doubles{0, 1});
  CHECK(hl::cell_count(all) == 16);
  // A repeated choice (useful when zipped with a parameter) shares its label.
  const hl::Study rep = parse(kMinimal, {R"(hedge.policy=["time", "band", "band"])", "hedge.band=[0, 0.1, 0.2]",
                                         R"(sweep.zip=[["hedge.policy", "hedge.band"]])"});
  CHECK(rep.axis("hedge.policy").labels == Strings{"time", "band"});
  CHECK(values(rep, "hedge.policy") == Doubles{0, 1, 1});
  CHECK(hl::cell_count(rep) == 3);

  // Unknown names list the choices and suggest the nearest.
  CHECK_INPUT_ERROR(parse(kMinimal, {R"(hedge.policy=["time", "bnad"])"}), "exp.toml: hedge.policy.1: must be one of",
                    "'time', 'band', 'whalley_wilmott', 'zakamouline', 'move', 'leland', 'static', 'none'",
                    "got 'bnad'", "(did you mean 'band'?)");
  const std::string msg = error_of([&] { parse(kMinimal, {"hedge.policy='delta_gamma'"}); });
  CHECK_MESSAGE(msg.find("exp.toml: hedge.policy: must be one of 'time',") == 0, msg);
  CHECK_MESSAGE(msg.find("got 'delta_gamma'") != std::string::npos, msg);
  CHECK_MESSAGE(msg.find("did you mean") == std::string::npos, msg);
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.to='edges'"}), "exp.toml: hedge.to: must be one of 'edge', 'target', got 'edges'",
                    "(did you mean 'edge'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {R"(hedge.to=["edge", "middle"])"}), "hedge.to.1: must be one of 'edge', 'target'",
                    "got 'middle'");
  // Types.
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.policy=3"}),
                    "exp.toml: hedge.policy: expected a string or a list of strings, got integer 3");
  CHECK_INPUT_ERROR(parse(kMinimal, {R"(hedge.policy=["time", 2])"}), "hedge.policy.1: expected a string, got integer 2");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.to=true"}), "hedge.to: expected a string or a list of strings, got boolean true");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.policy=[]"}), "exp.toml: hedge.policy: must not be an empty list");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.to=[]"}), "exp.toml: hedge.to: must not be an empty list");
}

TEST_CASE("experiment: every numeric key may be a list") {
  const hl::Study s = parse(kFull, {"market.spot=[90, 110]", "market.rate=[0, 0.05]", "market.drift=[0.1, 0.2]",
                                    "market.volatility=[0.1, 0.3]", "book.1.strike=[90, 95, 100]",
                                    "book.0.quantity=[-1, -2]", "hedge.band=[0, 0.1]", "hedge.risk_aversion=[1, 4]",
                                    "hedge.move=[0.01, 0.05]", "costs.fixed=[0, 1]", "costs.half_spread=[0, 0.001]",
                                    "costs.half_spread_per_vol=[0, 0.5]", "costs.impact_eta=[0, 0.5]",
                                    "costs.volume=[1e5, 1e7]", "costs.lot=[0, 100]", "costs.proportional=[0, 0.01]"});
  for (const auto& a : s.axes) {
    if (a.key == "book.0.strike" || a.key == "book.1.quantity" || a.key == "hedge.to") {
      CHECK_MESSAGE(!a.listed, a.key);
      continue;
    }
    CHECK_MESSAGE(a.listed, a.key);
    CHECK_MESSAGE(a.zip == -1, a.key);  // all given explicitly: crossed, not zipped
  }
  CHECK(values(s, "book.1.strike") == Doubles{90, 95, 100});
  CHECK(s.book[1].strike == 90);  // the first value
  CHECK(values(s, "book.0.quantity") == Doubles{-1, -2});
  CHECK(s.book[0].quantity == -1);
  CHECK(values(s, "costs.volume") == Doubles{1e5, 1e7});
  CHECK(values(s, "market.drift") == Doubles{0.1, 0.2});
  // 3 strikes, 2 policies, 2 rebalance counts, 3 hedge vols, and 15 axes of 2.
  CHECK(hl::cell_count(s) == std::size_t{3} * 2 * 2 * 3 * (std::size_t{1} << 15));

  // The list elements are checked one by one and named by index.
  CHECK_INPUT_ERROR(parse(kFull, {"market.spot=[100, 0]"}), "exp.toml: market.spot.1: must be > 0, got 0");
  CHECK_INPUT_ERROR(parse(kFull, {"market.rate=[0, -1.5]"}), "market.rate.1: must be in [-1, 1], got -1.5");
  CHECK_INPUT_ERROR(parse(kFull, {"market.drift=[0.1, 5.5]"}), "market.drift.1: must be in [-5, 5], got 5.5");
  CHECK_INPUT_ERROR(parse(kFull, {"market.volatility=[0.2, 0]"}), "market.volatility.1: must be > 0, got 0");
  CHECK_INPUT_ERROR(parse(kFull, {"market.volatility=[0.2, 12]"}), "market.volatility.1: must be <= 10, got 12");
  CHECK_INPUT_ERROR(parse(kFull, {"book.0.strike=[100, -1]"}), "exp.toml: book.0.strike.1: must be > 0, got -1");
  CHECK_INPUT_ERROR(parse(kFull, {"book.1.quantity=[1, 0]"}), "book.1.quantity.1: must be non-zero, got 0");
  CHECK_INPUT_ERROR(parse(kFull, {"book.0.strike=[100, 'x']"}), "book.0.strike.1: expected a number, got string");
  CHECK_INPUT_ERROR(parse(kFull, {"book.0.strike=[100, nan]"}), "book.0.strike.1: must be a finite number, got nan");
  CHECK_INPUT_ERROR(parse(kFull, {"book.0.strike=[]"}), "book.0.strike: must not be an empty list");
  CHECK_INPUT_ERROR(parse(kFull, {"market.spot=[]"}), "market.spot: must not be an empty list");
  CHECK_INPUT_ERROR(parse(kFull, {"costs.lot=[]"}), "costs.lot: must not be an empty list");
}

TEST_CASE("experiment: range checks of the hedge and cost keys") {
  using Case = std::tuple<std::string, std::string>;  // override, expected message
  for (const auto& [ov, expected] : std::vector<Case>{
           {"hedge.band=-0.1", "hedge.band: must be >= 0, got -0.1"},
           {"hedge.band=[0, -1]", "hedge.band.1: must be >= 0, got -1.0"},
           {"hedge.risk_aversion=0", "hedge.risk_aversion: must be > 0, got 0.0"},
           {"hedge.risk_aversion=[1, -2]", "hedge.risk_aversion.1: must be > 0, got -2.0"},
           {"hedge.move=-0.01", "hedge.move: must be >= 0, got -0.01"},
           {"hedge.volatility=0", "hedge.volatility: must be > 0, got 0.0"},
           {"hedge.volatility=10.5", "hedge.volatility: must be <= 10, got 10.5"},
           {"hedge.rebalances=0", "hedge.rebalances: must be >= 1, got 0"},
           {"costs.proportional=1", "costs.proportional: must be >= 0 and < 1, got 1.0"},
           {"costs.fixed=-1", "costs.fixed: must be >= 0, got -1.0"},
           {"costs.half_spread=1.0", "costs.half_spread: must be >= 0 and < 1, got 1.0"},
           {"costs.half_spread=-0.001", "costs.half_spread: must be >= 0 and < 1, got -0.001"},
           {"costs.half_spread_per_vol=-0.1", "costs.half_spread_per_vol: must be >= 0, got -0.1"},
           {"costs.half_spread_per_vol=10.5", "costs.half_spread_per_vol: must be <= 10, got 10.5"},
           {"costs.impact_eta=-0.5", "costs.impact_eta: must be >= 0, got -0.5"},
           {"costs.volume=0", "costs.volume: must be > 0, got 0.0"},
           {"costs.volume=[1e6, -5]", "costs.volume.1: must be > 0, got -5.0"},
           {"costs.lot=-100", "costs.lot: must be >= 0, got -100.0"},
           {"costs.fixed=nan", "costs.fixed: must be a finite number, got nan"},
           {"costs.volume=inf", "costs.volume: must be a finite number, got inf"},
           {"hedge.band='wide'", "hedge.band: expected a number or a list of numbers, got string 'wide'"},
           {"costs.lot=[1, true]", "costs.lot.1: expected a number, got boolean true"},
           {"costs.on_initial=1", "costs.on_initial: expected a boolean, got integer 1"},
           {"costs.on_unwind=[true]", "costs.on_unwind: expected a boolean, got list"},
       }) {
    CAPTURE(ov);
    const std::string msg = error_of([&] { parse(kMinimal, {ov}); });
    CHECK_MESSAGE(msg == "exp.toml: " + expected, msg);
  }
  // The bounds themselves are accepted.
  const hl::Study s = parse(kMinimal, {"hedge.band=0", "hedge.move=0", "costs.fixed=0", "costs.half_spread=0.999",
                                       "costs.half_spread_per_vol=10", "costs.impact_eta=0", "costs.lot=0",
                                       "hedge.risk_aversion=1e-9", "costs.volume=1", "hedge.volatility=10"});
  CHECK(s.first("costs.half_spread_per_vol") == 10);
  CHECK(s.first("hedge.volatility") == 10);
  CHECK(s.first("costs.half_spread") == 0.999);
  // Booleans both ways.
  const hl::Study b = parse(kMinimal, {"costs.on_initial=false", "costs.on_unwind=true"});
  CHECK_FALSE(b.costs_on_initial);
  CHECK(b.costs_on_unwind);
  const hl::Study c = parse(kMinimal, {"costs.on_initial=true", "costs.on_unwind=false"});
  CHECK(c.costs_on_initial);
  CHECK_FALSE(c.costs_on_unwind);
}

TEST_CASE("experiment: zip") {
  const std::string text = edit(edit(edit(kMinimal, "volatility = 0.2", "volatility = [0.1, 0.2, 0.3]"),
                                     "rebalances = 21", "rebalances = 21\nvolatility = [0.15, 0.25, 0.35]"),
                                "[hedge]", "[costs]\nproportional = [0, 0.01]\n[hedge]") +
                           "[sweep]\nzip = [[\"market.volatility\", \"hedge.volatility\"]]\n";
  const hl::Study s = parse(text);
  CHECK(s.axis("market.volatility").zip == 0);
  CHECK(s.axis("hedge.volatility").zip == 0);
  CHECK(s.axis("costs.proportional").zip == -1);
  REQUIRE(hl::cell_count(s) == 6);  // 3 zipped volatility pairs x 2 costs, not 3 x 3 x 2
  const auto keys = hl::sweep_keys(1);
  const auto pos = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) - keys.begin(); };
  for (std::size_t c = 0; c < 6; ++c) {
    CAPTURE(c);
    const auto idx = hl::cell_indices(s, c);
    REQUIRE(idx.size() == s.axes.size());
    CHECK(idx[pos("market.volatility")] == c / 2);
    CHECK(idx[pos("hedge.volatility")] == c / 2);  // in step with market.volatility
    CHECK(idx[pos("costs.proportional")] == c % 2);  // the last axis varies fastest
    std::size_t others = 0;
    for (std::size_t a = 0; a < idx.size(); ++a)
      if (s.axes[a].key != "market.volatility" && s.axes[a].key != "hedge.volatility" &&
          s.axes[a].key != "costs.proportional")
        others += idx[a];
    CHECK(others == 0);
  }
  // Without the zip the same lists cross.
  CHECK(hl::cell_count(parse(edit(text, "zip = [[\"market.volatility\", \"hedge.volatility\"]]", "zip = []"))) == 18);

  // Two groups get ids 0 and 1 in the order written; a group may hold more than two keys.
  const hl::Study two = parse(text, {R"(sweep.zip=[["costs.proportional", "costs.fixed"],
                                                  ["hedge.volatility", "market.volatility", "book.0.strike"]])",
                                     "costs.fixed=[0, 1]", "book.0.strike=[90, 100, 110]"});
  CHECK(two.axis("costs.proportional").zip == 0);
  CHECK(two.axis("costs.fixed").zip == 0);
  CHECK(two.axis("hedge.volatility").zip == 1);
  CHECK(two.axis("market.volatility").zip == 1);
  CHECK(two.axis("book.0.strike").zip == 1);
  CHECK(hl::cell_count(two) == 6);
  const auto idx = hl::cell_indices(two, 5);
  CHECK(idx[pos("book.0.strike")] == 2);
  CHECK(idx[pos("costs.fixed")] == 1);
  CHECK(idx[pos("costs.proportional")] == 1);

  // Policies zipped with their parameter.
  const hl::Study pol = parse(kMinimal, {R"(hedge.policy=["time", "band", "move"])", "hedge.band=[0, 0.1, 0]",
                                         "hedge.move=[0, 0, 0.02]", "hedge.rebalances=[10, 20]",
                                         R"(sweep.zip=[["hedge.policy", "hedge.band", "hedge.move"]])"});
  CHECK(hl::cell_count(pol) == 6);
}

TEST_CASE("experiment: zip errors") {
  const std::vector<std::string> lists = {"market.volatility=[0.1, 0.2, 0.3]", "hedge.volatility=[0.1, 0.2, 0.3]",
                                          "costs.proportional=[0, 0.01]", "costs.fixed=[0, 1]"};
  auto with = [&](const std::string& zip) {
    auto ov = lists;
    ov.push_back("sweep.zip=" + zip);
    return parse(kMinimal, ov);
  };
  CHECK(hl::cell_count(with("[]")) == 36);
  CHECK_INPUT_ERROR(with(R"([["market.volatility", "hedge.volatilty"]])"),
                    "exp.toml: sweep.zip: 'hedge.volatilty' is not a sweepable key (did you mean 'hedge.volatility'?)");
  CHECK_INPUT_ERROR(with(R"([["market.volatility", "market.steps"]])"),
                    "exp.toml: sweep.zip: 'market.steps' is not a sweepable key (it takes one value)");
  CHECK_INPUT_ERROR(with(R"([["market.volatility", "book.0.kind"]])"),
                    "sweep.zip: 'book.0.kind' is not a sweepable key (it takes one value)");
  const std::string no_book = error_of([&] { with(R"([["book.1.strike", "market.volatility"]])"); });
  CHECK_MESSAGE(no_book.find("exp.toml: sweep.zip: 'book.1.strike' is not a sweepable key") == 0, no_book);
  CHECK_MESSAGE(no_book.find("takes one value") == std::string::npos, no_book);
  CHECK_INPUT_ERROR(with(R"([["market.volatility", "costs.lot"]])"),
                    "exp.toml: sweep.zip: 'costs.lot' is not a list in the experiment: only listed keys can be zipped");
  CHECK_INPUT_ERROR(with(R"([["market.spot", "costs.fixed"]])"),
                    "sweep.zip: 'market.spot' is not a list in the experiment: only listed keys can be zipped");
  CHECK_INPUT_ERROR(with(R"([["market.volatility", "hedge.volatility"], ["costs.fixed", "hedge.volatility"]])"),
                    "exp.toml: sweep.zip: 'hedge.volatility' is in more than one zip group (0 and 1)");
  CHECK_INPUT_ERROR(with(R"([["costs.fixed", "costs.fixed"]])"),
                    "exp.toml: sweep.zip: 'costs.fixed' appears twice in zip group 0");
  CHECK_INPUT_ERROR(with(R"([["costs.fixed"]])"), "exp.toml: sweep.zip.0: a zip group needs at least 2 keys, got 1");
  CHECK_INPUT_ERROR(with(R"([["costs.fixed", "costs.proportional"], []])"),
                    "exp.toml: sweep.zip.1: a zip group needs at least 2 keys, got 0");
  CHECK_INPUT_ERROR(with(R"([["market.volatility", "costs.fixed"]])"),
                    "exp.toml: sweep.zip: 'market.volatility' has 3 values but 'costs.fixed' has 2: zipped keys must "
                    "have the same number of values");
  CHECK_INPUT_ERROR(with(R"([["costs.fixed", "costs.proportional", "hedge.volatility"]])"),
                    "'costs.fixed' has 2 values but 'hedge.volatility' has 3");
  // Types.
  CHECK_INPUT_ERROR(with("'market.volatility'"),
                    "exp.toml: sweep.zip: expected a list of lists of keys, got string 'market.volatility'");
  CHECK_INPUT_ERROR(with(R"(["market.volatility", "hedge.volatility"])"),
                    "exp.toml: sweep.zip.0: expected a list of keys, got string 'market.volatility'");
  CHECK_INPUT_ERROR(with(R"([["market.volatility", 3]])"), "exp.toml: sweep.zip.0.1: expected a string, got integer 3");
  CHECK_INPUT_ERROR(parse(kMinimal, {"sweep=3"}), "exp.toml: sweep: expected a table, got integer 3");
  CHECK_INPUT_ERROR(parse(kMinimal, {"sweep.zipp=[]"}), "unknown key 'sweep.zipp'", "(did you mean 'sweep.zip'?)");
  CHECK_INPUT_ERROR(parse(std::string(kMinimal) + "[swep]\nzip = []\n"), "unknown table 'swep'",
                    "(did you mean 'sweep'?)");
}

TEST_CASE("experiment: hedge.volatility defaults to market.volatility, cell by cell") {
  const hl::Study s = parse(kMinimal, {"market.volatility=[0.1, 0.2, 0.3]"});
  const hl::SweepAxis &m = s.axis("market.volatility"), &h = s.axis("hedge.volatility");
  CHECK(h.values == Doubles{0.1, 0.2, 0.3});
  CHECK(h.listed);
  CHECK(m.zip >= 0);
  CHECK(h.zip == m.zip);
  CHECK(hl::cell_count(s) == 3);  // each cell hedges at its own realised volatility
  for (std::size_t c = 0; c < 3; ++c) {
    const auto idx = hl::cell_indices(s, c);
    CHECK(idx[3] == c);  // market.volatility
    CHECK(idx[8] == c);  // hedge.volatility
  }
  // A group of [sweep] keeps its id; the default copy joins it.
  const hl::Study g = parse(kMinimal, {"market.volatility=[0.1, 0.2]", "costs.fixed=[0, 1]", "hedge.band=[0, 0.1]",
                                       R"(sweep.zip=[["hedge.band", "hedge.move"], ["costs.fixed", "market.volatility"]])",
                                       "hedge.move=[0, 0.01]"});
  CHECK(g.axis("hedge.band").zip == 0);
  CHECK(g.axis("costs.fixed").zip == 1);
  CHECK(g.axis("market.volatility").zip == 1);
  CHECK(g.axis("hedge.volatility").zip == 1);
  CHECK(hl::cell_count(g) == 4);
  // One volatility: a plain one-value axis.
  const hl::Study one = parse(kMinimal, {"market.volatility=0.3"});
  CHECK(values(one, "hedge.volatility") == Doubles{0.3});
  CHECK_FALSE(one.axis("hedge.volatility").listed);
  CHECK(one.axis("hedge.volatility").zip == -1);
  CHECK(one.axis("market.volatility").zip == -1);
  // A one-element list is listed, and so is its copy.
  const hl::Study single = parse(kMinimal, {"market.volatility=[0.3]"});
  CHECK(single.axis("hedge.volatility").listed);
  CHECK(single.axis("hedge.volatility").zip == single.axis("market.volatility").zip);
  CHECK(hl::cell_count(single) == 1);
  // A given hedge volatility crosses with the realised one.
  const hl::Study crossed = parse(kMinimal, {"market.volatility=[0.1, 0.2, 0.3]", "hedge.volatility=[0.1, 0.2, 0.3]"});
  CHECK(crossed.axis("hedge.volatility").zip == -1);
  CHECK(crossed.axis("market.volatility").zip == -1);
  CHECK(hl::cell_count(crossed) == 9);
  // The default copy cannot be zipped by hand: it already advances with market.volatility.
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.volatility=[0.1, 0.2]",
                                     R"(sweep.zip=[["market.volatility", "hedge.volatility"]])"}),
                    "exp.toml: sweep.zip: 'hedge.volatility' is not a list in the experiment: only listed keys can be "
                    "zipped (left out, it takes the values of 'market.volatility' and advances with it)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"costs.fixed=[0, 1]", R"(sweep.zip=[["costs.fixed", "hedge.volatility"]])"}),
                    "sweep.zip: 'hedge.volatility' is not a list in the experiment: only listed keys can be zipped "
                    "(left out, it takes the values of 'market.volatility')");
}

TEST_CASE("experiment: market.drift defaults to market.rate, cell by cell") {
  const hl::Study s = parse(kMinimal, {"market.rate=[0.01, 0.02, 0.05]"});
  CHECK(values(s, "market.drift") == Doubles{0.01, 0.02, 0.05});
  CHECK(s.axis("market.drift").listed);
  CHECK(s.axis("market.rate").zip >= 0);
  CHECK(s.axis("market.drift").zip == s.axis("market.rate").zip);
  CHECK(hl::cell_count(s) == 3);
  for (std::size_t c = 0; c < 3; ++c) {
    const auto idx = hl::cell_indices(s, c);
    CHECK(idx[1] == c);  // market.rate
    CHECK(idx[2] == c);  // market.drift
  }
  // Implicit groups come after those of [sweep], rate's before volatility's (canonical order).
  const hl::Study ids = parse(kMinimal, {"market.rate=[0.01, 0.02]", "market.volatility=[0.1, 0.2, 0.3]",
                                         "hedge.band=[0, 0.1]", "hedge.move=[0, 0.01]",
                                         R"(sweep.zip=[["hedge.band", "hedge.move"]])"});
  CHECK(ids.axis("hedge.band").zip == 0);
  CHECK(ids.axis("hedge.move").zip == 0);
  CHECK(ids.axis("market.rate").zip == 1);
  CHECK(ids.axis("market.drift").zip == 1);
  CHECK(ids.axis("market.volatility").zip == 2);
  CHECK(ids.axis("hedge.volatility").zip == 2);
  CHECK(hl::cell_count(ids) == 12);
  // A rate zipped by hand takes the drift along into that group.
  const hl::Study hand = parse(kMinimal, {"market.rate=[0.01, 0.02]", "costs.fixed=[0, 1]",
                                          R"(sweep.zip=[["costs.fixed", "market.rate"]])"});
  CHECK(hand.axis("market.drift").zip == 0);
  CHECK(hand.axis("market.rate").zip == 0);
  CHECK(hl::cell_count(hand) == 2);
  // A drift given as a list crosses with the rate.
  CHECK(hl::cell_count(parse(kMinimal, {"market.rate=[0.01, 0.02]", "market.drift=[0, 0.1]"})) == 4);
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.rate=[0.01, 0.02]", R"(sweep.zip=[["market.rate", "market.drift"]])"}),
                    "sweep.zip: 'market.drift' is not a list in the experiment",
                    "(left out, it takes the values of 'market.rate' and advances with it)");
}

TEST_CASE("experiment: hedge.rebalances defaults to market.steps") {
  const std::string no_rebalances = edit(kMinimal, "rebalances = 21\n", "");
  const hl::Study s = parse(no_rebalances, {"market.steps=63"});
  CHECK(values(s, "hedge.rebalances") == Doubles{63});
  CHECK_FALSE(s.axis("hedge.rebalances").listed);
  CHECK(s.axis("hedge.rebalances").integer);
  CHECK(s.steps == 63);
  // kFull names market.steps = 84.
  CHECK(parse(edit(kFull, "rebalances = [21, 84]\n", "")).first("hedge.rebalances") == 84);
  // Given, it wins.
  CHECK(values(parse(kMinimal, {"market.steps=84"}), "hedge.rebalances") == Doubles{21});
  // No steps, or steps = 0 (automatic): required.
  CHECK_INPUT_ERROR(parse(no_rebalances), "exp.toml: hedge.rebalances: required key is missing",
                    "defaults to market.steps");
  CHECK_INPUT_ERROR(parse(no_rebalances, {"market.steps=0"}), "exp.toml: hedge.rebalances: required key is missing");
  // A default past the bound of rebalances says where it came from.
  CHECK_INPUT_ERROR(parse(no_rebalances, {"market.steps=2000000"}),
                    "exp.toml: hedge.rebalances: must be <= 1000000, got 2000000 (its default, market.steps)");
  CHECK(parse(no_rebalances, {"market.steps=1000000"}).first("hedge.rebalances") == 1e6);
}

TEST_CASE("experiment: output.baseline") {
  CHECK(parse(kMinimal).baseline == 0);
  CHECK(parse(kFull).baseline == 1);
  // kFull has 12 cells: 0..11 are valid.
  CHECK(parse(kFull, {"output.baseline=0"}).baseline == 0);
  CHECK(parse(kFull, {"output.baseline=11"}).baseline == 11);
  CHECK_INPUT_ERROR(parse(kFull, {"output.baseline=12"}),
                    "exp.toml: output.baseline: must be < the number of cells (12), got 12");
  CHECK_INPUT_ERROR(parse(kMinimal, {"output.baseline=1"}),
                    "exp.toml: output.baseline: must be < the number of cells (1), got 1");
  CHECK_INPUT_ERROR(parse(kFull, {"output.baseline=-1"}), "exp.toml: output.baseline: must be >= 0, got -1");
  CHECK_INPUT_ERROR(parse(kFull, {"output.baseline=1.0"}), "exp.toml: output.baseline: expected an integer, got float 1.0");
  CHECK_INPUT_ERROR(parse(kFull, {"output.baseline=[0]"}), "output.baseline: expected an integer, got list");
  // Counted after zipping: 3 zipped pairs.
  const std::vector<std::string> zipped = {"market.volatility=[0.1, 0.2, 0.3]"};
  CHECK(parse(kMinimal, {zipped[0], "output.baseline=2"}).baseline == 2);
  CHECK_INPUT_ERROR(parse(kMinimal, {zipped[0], "output.baseline=3"}),
                    "output.baseline: must be < the number of cells (3), got 3");
  CHECK_INPUT_ERROR(parse(kMinimal, {"output.baselin=0"}), "unknown key 'output.baselin'",
                    "(did you mean 'output.baseline'?)");
}

TEST_CASE("experiment: overrides of the new keys") {
  const hl::Study s = parse(kMinimal, {R"(hedge.policy=["time","band"])", "hedge.to='target'", "hedge.band=[0.1, 0.2]",
                                       "market.volatility=[0.1, 0.2, 0.3]", "hedge.volatility=[0.15, 0.25, 0.35]",
                                       R"(sweep.zip=[["market.volatility","hedge.volatility"]])", "costs.on_unwind=false",
                                       "costs.lot=100", "output.baseline=5", "book.0.strike=[95, 105]",
                                       "hedge.policy.1='leland'"});
  CHECK(s.axis("hedge.policy").labels == Strings{"time", "leland"});  // the element override applies
  CHECK(s.axis("hedge.policy").listed);
  CHECK(s.axis("hedge.to").labels == Strings{"target"});
  CHECK(values(s, "hedge.band") == Doubles{0.1, 0.2});
  CHECK(s.axis("market.volatility").zip == 0);
  CHECK(s.axis("hedge.volatility").zip == 0);
  CHECK(values(s, "hedge.volatility") == Doubles{0.15, 0.25, 0.35});
  CHECK_FALSE(s.costs_on_unwind);
  CHECK(s.costs_on_initial);
  CHECK(s.first("costs.lot") == 100);
  CHECK(values(s, "book.0.strike") == Doubles{95, 105});
  CHECK(s.book[0].strike == 95);
  CHECK(hl::cell_count(s) == 2 * 2 * 3 * 2);
  CHECK(s.baseline == 5);
  // An override replaces a zip of the file, and validates like it.
  const std::string zipped_file = std::string(kFull) + "[sweep]\nzip = [[\"hedge.policy\", \"hedge.rebalances\"]]\n";
  CHECK(hl::cell_count(parse(zipped_file)) == 6);
  CHECK(hl::cell_count(parse(zipped_file, {"sweep.zip=[]"})) == 12);
  CHECK_INPUT_ERROR(parse(zipped_file, {"sweep.zip.0.1='hedge.volatility'"}),
                    "sweep.zip: 'hedge.policy' has 2 values but 'hedge.volatility' has 3");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.polcy='band'"}), "unknown key 'hedge.polcy'", "(did you mean 'hedge.policy'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"costs.on_intial=false"}), "unknown key 'costs.on_intial'",
                    "(did you mean 'costs.on_initial'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.policy=[\"time\",\"bnad\"]"}), "hedge.policy.1: must be one of");

  // effective_text holds the new keys and reruns to the same study.
  const hl::Study again = parse(s.effective_text);
  check_same(s, again);
  CHECK(again.effective_text == s.effective_text);
  CHECK(s.effective_text.find("[sweep]") != std::string::npos);
  check_same(parse(zipped_file), parse(parse(zipped_file).effective_text));
  check_same(parse(kFull), parse(parse(kFull).effective_text));
}
