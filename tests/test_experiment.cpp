// The experiment file is the user-facing interface: these tests pin down every key, default and
// error message (one line, naming the key and the problem).
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "host/plan.hpp"
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

using Strings = std::vector<std::string>;
using Doubles = std::vector<double>;

// Equal, NaN equal to NaN: the value of a model parameter left unset.
bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
bool same(const Doubles& a, const Doubles& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](double x, double y) { return same(x, y); });
}
bool same(const std::vector<Doubles>& a, const std::vector<Doubles>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](const Doubles& x, const Doubles& y) { return same(x, y); });
}

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
    CAPTURE(a.axes[i].key);
    CHECK(a.axes[i].key == b.axes[i].key);
    CHECK(same(a.axes[i].values, b.axes[i].values));
    CHECK(same(a.axes[i].tuples, b.axes[i].tuples));
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
  CHECK(a.loss_thresholds == b.loss_thresholds);
  CHECK(a.worst_paths == b.worst_paths);
  CHECK(a.quantile_method == b.quantile_method);
  CHECK(a.sketch_accuracy == b.sketch_accuracy);
}

std::vector<double> values(const hl::Study& s, const std::string& key) { return s.axis(key).values; }

// The axis' single value is an unset model parameter.
bool unset(const hl::Study& s, const std::string& key) {
  const auto& v = s.axis(key).values;
  return v.size() == 1 && std::isnan(v[0]);
}

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
  const Strings keys = hl::sweep_keys(2);
  CHECK(axis_keys(s) == keys);
  REQUIRE(s.axes.size() == keys.size());
  // 5 market keys, the model parameters, 4 stress keys, 2 per option, 8 hedge keys and 7 costs.
  CHECK(keys.size() == 5 + hl::model_parameter_keys().size() + 4 + 2 * 2 + 8 + 7);
  CHECK(s.axes.front().key == "market.spot");
  CHECK(s.axes.back().key == "costs.lot");
  // The market (its model right after the volatility, then the model's parameters), the stress
  // overlays, the book, the hedger, the costs.
  const auto at = [&](const std::string& k) { return s.axis_index(k); };
  CHECK(at("market.model") == at("market.volatility") + 1);
  for (std::size_t i = 0; i < hl::model_parameter_keys().size(); ++i)
    CHECK(at(hl::model_parameter_keys()[i]) == at("market.model") + 1 + i);
  CHECK(at("stress.gap_time") == at("market.regime_rates") + 1);
  CHECK(at("book.0.strike") == at("stress.vol_shift_to") + 1);
  CHECK(at("book.1.quantity") == at("book.0.strike") + 3);
  CHECK(at("hedge.policy") == at("book.1.quantity") + 1);
  CHECK(at("hedge.model") == at("hedge.policy") + 1);
  CHECK(at("costs.proportional") < at("costs.lot"));
  const std::set<std::string> choices = {"market.model", "hedge.policy", "hedge.model", "hedge.to"};
  const std::set<std::string> pairs = {"market.regime_volatilities", "market.regime_rates"};
  for (const auto& a : s.axes) {
    CHECK_MESSAGE(a.integer == (a.key == "hedge.rebalances"), a.key);
    CHECK_MESSAGE(a.zip == -1, a.key);
    CHECK_MESSAGE(a.labels.empty() == (choices.count(a.key) == 0 && pairs.count(a.key) == 0), a.key);
    CHECK_MESSAGE(a.tuples.empty() == (pairs.count(a.key) == 0), a.key);
    const bool listed = a.key == "hedge.policy" || a.key == "hedge.rebalances" || a.key == "hedge.volatility";
    CHECK_MESSAGE(a.listed == listed, a.key);
  }
  CHECK(s.axis("market.model").labels == Strings{"gbm"});
  CHECK(values(s, "market.model") == Doubles{0});
  CHECK(s.axis("hedge.model").labels == Strings{"bs"});
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
  // Every axis holds one value (its default where the file has none) and is neither listed nor zipped.
  // Model parameters and stress times left out are unset (NaN): the plan asks for those a model needs.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::pair<std::string, double>> expected = {
      {"market.spot", 100.0},
      {"market.rate", 0.03},
      {"market.drift", 0.03},  // drift defaults to the rate
      {"market.volatility", 0.2},
      {"market.model", 0.0},  // "gbm"
      {"market.jump_intensity", nan},
      {"market.jump_mean", nan},
      {"market.jump_std", nan},
      {"market.jump_up_probability", nan},
      {"market.eta_up", nan},
      {"market.eta_down", nan},
      {"market.kappa", nan},
      {"market.theta", nan},
      {"market.xi", nan},
      {"market.rho", 0.0},
      {"market.v0", nan},
      {"market.regime_volatilities", 0.0},  // the one (unset) pair
      {"market.regime_rates", 0.0},
      {"stress.gap_time", nan},
      {"stress.gap_size", 0.0},  // no gap
      {"stress.vol_shift_time", nan},
      {"stress.vol_shift_to", nan},
      {"book.0.strike", 100.0},
      {"book.0.quantity", -1.0},
      {"hedge.policy", 0.0},
      {"hedge.model", 0.0},  // "bs"
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
  // Each key once, and every axis covered.
  std::set<std::string> distinct;
  for (const auto& e : expected) distinct.insert(e.first);
  CHECK(distinct.size() == expected.size());
  REQUIRE(expected.size() == s.axes.size());
  const Strings keys = axis_keys(s);
  for (const auto& [key, value] : expected) {
    REQUIRE_MESSAGE(std::find(keys.begin(), keys.end(), key) != keys.end(), "no axis " << key);
    const hl::SweepAxis& a = s.axis(key);
    CHECK_MESSAGE(same(a.values, Doubles{value}), a.key);
    CHECK_MESSAGE(!a.listed, a.key);
    CHECK_MESSAGE(a.zip == -1, a.key);
    CHECK_MESSAGE(a.integer == (a.key == "hedge.rebalances"), a.key);
  }
  CHECK(s.axis("market.model").labels == Strings{"gbm"});
  CHECK(s.axis("hedge.model").labels == Strings{"bs"});
  CHECK(unset(s, "market.jump_intensity"));
  CHECK(unset(s, "stress.gap_time"));
  CHECK_FALSE(unset(s, "market.rho"));
  CHECK_FALSE(unset(s, "stress.gap_size"));
  for (const char* pair : {"market.regime_volatilities", "market.regime_rates"}) {
    const hl::SweepAxis& a = s.axis(pair);
    CHECK_MESSAGE(a.labels == Strings{"unset"}, pair);
    REQUIRE_MESSAGE(a.tuples.size() == 1, pair);
    REQUIRE_MESSAGE(a.tuples[0].size() == 2, pair);
    CHECK_MESSAGE((std::isnan(a.tuples[0][0]) && std::isnan(a.tuples[0][1])), pair);
  }
  for (const auto& a : s.axes)
    if (a.key != "market.regime_volatilities" && a.key != "market.regime_rates") CHECK_MESSAGE(a.tuples.empty(), a.key);
  CHECK(s.worst_paths == 10);
  CHECK(s.loss_thresholds.empty());
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

  // Unset model parameters (NaN) and pair axes survive the round trip too.
  const hl::Study m = parse(kMinimal, {R"(market.model=["gbm", "regime", "merton"])", "market.jump_intensity=[0.5, 2]",
                                       "market.regime_volatilities=[[0.1, 0.3], [0.15, 0.45]]",
                                       "market.regime_rates=[2, 8]", "stress.gap_size=-0.1", "stress.gap_time=0.2",
                                       "hedge.model=['bs', 'merton']", "output.loss_thresholds=[0.5, 1]",
                                       "output.worst_paths=3"});
  const hl::Study m_again = parse(m.effective_text);
  check_same(m, m_again);
  CHECK(m_again.effective_text == m.effective_text);
  CHECK(m_again.model == "gbm,regime,merton");
  CHECK(unset(m_again, "market.jump_mean"));
  CHECK(same(m_again.axis("market.regime_volatilities").tuples, std::vector<Doubles>{{0.1, 0.3}, {0.15, 0.45}}));
  CHECK(same(m_again.axis("market.regime_rates").tuples, std::vector<Doubles>{{2, 8}}));
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
  CHECK_EDIT_ERROR("model = \"gbm\"", "model = 1",
                   "market.model: expected a string or a list of strings, got integer 1");
  CHECK_EDIT_ERROR("model = \"gbm\"", "model = [\"gbm\", 2]", "market.model.1: expected a string, got integer 2");
  CHECK_EDIT_ERROR("policy = [\"time\", \"band\"]", "policy = [\"time\", \"band\"]\nmodel = true",
                   "hedge.model: expected a string or a list of strings, got boolean true");
  CHECK_EDIT_ERROR("steps = 84", "steps = 84\njump_intensity = '1'",
                   "market.jump_intensity: expected a number or a list of numbers, got string '1'");
  CHECK_EDIT_ERROR("steps = 84", "steps = 84\nrho = [-0.5, 'x']", "market.rho.1: expected a number, got string 'x'");
  CHECK_EDIT_ERROR("[output]", "[stress]\ngap_size = true\n[output]",
                   "stress.gap_size: expected a number or a list of numbers, got boolean true");
  CHECK_EDIT_ERROR("[output]", "[stress]\ngap_time = 2025-01-01\n[output]",
                   "stress.gap_time: expected a number or a list of numbers, got date");
  CHECK_INPUT_ERROR(parse("stress = 3\n" + std::string(kMinimal)), "exp.toml: stress: expected a table, got integer 3");
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
  CHECK(parse(edit(kFull, "precision = \"fp64\"", "precision = \"mixed\"")).precision == "mixed");
  CHECK_EDIT_ERROR("precision = \"fp64\"", "precision = \"fp16\"",
                   "study.precision: must be one of 'fp64', 'fp32', 'mixed', got 'fp16'");
  // Every model is accepted; an unknown one lists the choices and suggests the nearest.
  CHECK(parse(edit(kFull, "model = \"gbm\"", "model = \"heston\"")).model == "heston");
  CHECK_EDIT_ERROR("model = \"gbm\"", "model = \"hestn\"",
                   "market.model: must be one of 'gbm', 'merton', 'kou', 'heston', 'regime', got 'hestn'",
                   "(did you mean 'heston'?)");
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
  const Strings lists = {"market.spot=[90, 110]", "market.rate=[0, 0.05]", "market.drift=[0.1, 0.2]",
                         "market.volatility=[0.1, 0.3]", "book.1.strike=[90, 95, 100]",
                         "book.0.quantity=[-1, -2]", "hedge.band=[0, 0.1]", "hedge.risk_aversion=[1, 4]",
                         "hedge.move=[0.01, 0.05]", "costs.fixed=[0, 1]", "costs.half_spread=[0, 0.001]",
                         "costs.half_spread_per_vol=[0, 0.5]", "costs.impact_eta=[0, 0.5]",
                         "costs.volume=[1e5, 1e7]", "costs.lot=[0, 100]", "costs.proportional=[0, 0.01]",
                         // the model parameters and stress keys
                         "market.jump_intensity=[0, 1]", "market.jump_mean=[-0.1, 0.1]", "market.jump_std=[0.1, 0.2]",
                         "market.jump_up_probability=[0.3, 0.6]", "market.eta_up=[10, 20]",
                         "market.eta_down=[5, 10]", "market.kappa=[1, 2]", "market.theta=[0.04, 0.09]",
                         "market.xi=[0.3, 0.5]", "market.rho=[-0.7, 0]", "market.v0=[0.04, 0.09]",
                         "stress.gap_time=[0.01, 0.02]", "stress.gap_size=[0, -0.2]",
                         "stress.vol_shift_time=[0.01, 0.02]", "stress.vol_shift_to=[0.3, 0.4]"};
  const hl::Study s = parse(kFull, lists);
  // Listed: the keys above and kFull's lists; the rest keep one value.
  std::set<std::string> listed = {"hedge.policy", "hedge.rebalances", "hedge.volatility"};
  for (const auto& ov : lists) listed.insert(ov.substr(0, ov.find('=')));
  for (const auto& a : s.axes) {
    CHECK_MESSAGE(a.listed == (listed.count(a.key) == 1), a.key);
    CHECK_MESSAGE(a.zip == -1, a.key);  // all given explicitly: crossed, not zipped
    if (!a.listed) CHECK_MESSAGE(a.values.size() == 1, a.key);
  }
  CHECK(values(s, "book.1.strike") == Doubles{90, 95, 100});
  CHECK(s.book[1].strike == 90);  // the first value
  CHECK(values(s, "book.0.quantity") == Doubles{-1, -2});
  CHECK(s.book[0].quantity == -1);
  CHECK(values(s, "costs.volume") == Doubles{1e5, 1e7});
  CHECK(values(s, "market.drift") == Doubles{0.1, 0.2});
  CHECK(values(s, "market.rho") == Doubles{-0.7, 0});
  CHECK(values(s, "stress.gap_size") == Doubles{0, -0.2});
  CHECK(values(s, "stress.vol_shift_to") == Doubles{0.3, 0.4});
  // 3 strikes, 2 policies, 2 rebalance counts, 3 hedge vols, and 30 axes of 2.
  CHECK(hl::cell_count(s) == std::size_t{3} * 2 * 2 * 3 * (std::size_t{1} << 30));

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
    CHECK(idx[s.axis_index("market.volatility")] == c);
    CHECK(idx[s.axis_index("hedge.volatility")] == c);
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
    CHECK(idx[s.axis_index("market.rate")] == c);
    CHECK(idx[s.axis_index("market.drift")] == c);
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

TEST_CASE("experiment: market.model and hedge.model") {
  // A file that names a model and its parameters.
  const std::string merton = edit(kMinimal, "volatility = 0.2\n",
                                  "volatility = 0.2\nmodel = \"merton\"\njump_intensity = 0.5\njump_mean = -0.1\n"
                                  "jump_std = 0.15\n");
  const hl::Study m = parse(merton);
  CHECK(m.model == "merton");
  CHECK(m.axis("market.model").labels == Strings{"merton"});
  CHECK(values(m, "market.model") == Doubles{0});
  CHECK_FALSE(m.axis("market.model").listed);
  CHECK(values(m, "market.jump_intensity") == Doubles{0.5});
  CHECK(values(m, "market.jump_mean") == Doubles{-0.1});
  CHECK(values(m, "market.jump_std") == Doubles{0.15});
  CHECK(unset(m, "market.eta_up"));
  CHECK(unset(m, "market.kappa"));
  CHECK(hl::cell_count(m) == 1);

  // Every model and hedge model is accepted; a list is a sweep whose values index the labels.
  const hl::Study all = parse(kMinimal, {R"(market.model=["gbm", "merton", "kou", "heston", "regime"])",
                                         R"(hedge.model=["bs", "merton", "kou", "min_variance"])"});
  CHECK(all.axis("market.model").labels == hl::model_names());
  CHECK(values(all, "market.model") == Doubles{0, 1, 2, 3, 4});
  CHECK(all.axis("market.model").listed);
  CHECK(all.axis("hedge.model").labels == hl::hedge_model_names());
  CHECK(values(all, "hedge.model") == Doubles{0, 1, 2, 3});
  CHECK(all.axis("hedge.model").listed);
  CHECK_FALSE(all.axis("hedge.model").integer);
  CHECK(all.model == "gbm,merton,kou,heston,regime");  // for messages
  CHECK(hl::cell_count(all) == 20);
  // A repeated choice shares its label (zipped with a parameter, say).
  const hl::Study rep = parse(kMinimal, {R"(market.model=["merton", "gbm", "merton"])", "market.jump_intensity=[1, 0, 2]",
                                         R"(sweep.zip=[["market.model", "market.jump_intensity"]])"});
  CHECK(rep.axis("market.model").labels == Strings{"merton", "gbm"});
  CHECK(values(rep, "market.model") == Doubles{0, 1, 0});
  CHECK(rep.model == "merton,gbm");
  CHECK(rep.axis("market.model").zip == 0);
  CHECK(rep.axis("market.jump_intensity").zip == 0);
  CHECK(hl::cell_count(rep) == 3);
  // A single hedge model.
  const hl::Study one = parse(kMinimal, {"hedge.model='kou'"});
  CHECK(one.axis("hedge.model").labels == Strings{"kou"});
  CHECK_FALSE(one.axis("hedge.model").listed);
  CHECK(one.model == "gbm");

  // A sweep of a model parameter.
  const hl::Study lam = parse(merton, {"market.jump_intensity=[0, 0.5, 1, 5]"});
  CHECK(values(lam, "market.jump_intensity") == Doubles{0, 0.5, 1, 5});
  CHECK(lam.axis("market.jump_intensity").listed);
  CHECK(lam.axis("market.jump_intensity").zip == -1);
  CHECK(hl::cell_count(lam) == 4);
  CHECK(hl::cell_count(parse(merton, {"market.jump_intensity=[0, 1]", "market.jump_mean=[-0.2, 0, 0.2]"})) == 6);

  // Unknown names list the choices and suggest the nearest.
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.model='mertn'"}),
                    "exp.toml: market.model: must be one of 'gbm', 'merton', 'kou', 'heston', 'regime', got 'mertn'",
                    "(did you mean 'merton'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {R"(market.model=["gbm", "hestn"])"}), "exp.toml: market.model.1: must be one of",
                    "got 'hestn'", "(did you mean 'heston'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.model='min_varianc'"}),
                    "exp.toml: hedge.model: must be one of 'bs', 'merton', 'kou', 'min_variance', got 'min_varianc'",
                    "(did you mean 'min_variance'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {R"(hedge.model=["bs", "black_scholes"])"}), "hedge.model.1: must be one of",
                    "got 'black_scholes'");
  const std::string far = error_of([&] { parse(kMinimal, {"market.model='sabr_local_vol'"}); });
  CHECK_MESSAGE(far.find("exp.toml: market.model: must be one of 'gbm',") == 0, far);
  CHECK_MESSAGE(far.find("did you mean") == std::string::npos, far);
  // The hedge models are not market models, nor the reverse.
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.model='bs'"}), "market.model: must be one of", "got 'bs'");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.model='heston'"}), "hedge.model: must be one of", "got 'heston'");
  // Types.
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.model=[]"}), "exp.toml: market.model: must not be an empty list");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.model=[]"}), "exp.toml: hedge.model: must not be an empty list");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.model=0"}),
                    "exp.toml: hedge.model: expected a string or a list of strings, got integer 0");
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.jump_intensity=[]"}), "exp.toml: market.jump_intensity: must not be an empty list");
}

TEST_CASE("experiment: pair axes (market.regime_volatilities, market.regime_rates)") {
  // One pair: an axis of one value.
  const hl::Study one = parse(kMinimal, {"market.model='regime'", "market.regime_volatilities=[0.15, 0.45]",
                                         "market.regime_rates=[2, 8]"});
  const hl::SweepAxis& v = one.axis("market.regime_volatilities");
  CHECK(v.values == Doubles{0});
  CHECK(v.tuples == std::vector<Doubles>{{0.15, 0.45}});
  CHECK(v.labels == Strings{"0.15/0.45"});
  CHECK_FALSE(v.listed);
  CHECK_FALSE(v.integer);
  CHECK(v.zip == -1);
  CHECK(one.axis("market.regime_rates").tuples == std::vector<Doubles>{{2, 8}});
  CHECK(one.axis("market.regime_rates").labels == Strings{"2/8"});
  CHECK(hl::cell_count(one) == 1);

  // A list of pairs: a sweep, values index the pairs in order.
  const hl::Study list = parse(kMinimal, {"market.regime_volatilities=[[0.1, 0.3], [0.15, 0.45], [0.2, 0.6]]"});
  const hl::SweepAxis& l = list.axis("market.regime_volatilities");
  CHECK(l.listed);
  CHECK(l.values == Doubles{0, 1, 2});
  CHECK(l.tuples == std::vector<Doubles>{{0.1, 0.3}, {0.15, 0.45}, {0.2, 0.6}});
  CHECK(l.labels == Strings{"0.1/0.3", "0.15/0.45", "0.2/0.6"});
  CHECK(hl::cell_count(list) == 3);
  // A one-element list of pairs is still a sweep axis (listed).
  const hl::Study single = parse(kMinimal, {"market.regime_rates=[[1, 4]]"});
  CHECK(single.axis("market.regime_rates").listed);
  CHECK(single.axis("market.regime_rates").tuples == std::vector<Doubles>{{1, 4}});
  // Pairs cross with other axes and zip like any listed key.
  CHECK(hl::cell_count(parse(kMinimal, {"market.regime_volatilities=[[0.1, 0.3], [0.2, 0.6]]",
                                        "market.regime_rates=[[1, 4], [2, 8]]"})) == 4);
  const hl::Study zipped = parse(kMinimal, {"market.regime_volatilities=[[0.1, 0.3], [0.2, 0.6]]",
                                            "market.regime_rates=[[1, 4], [2, 8]]",
                                            R"(sweep.zip=[["market.regime_volatilities", "market.regime_rates"]])"});
  CHECK(zipped.axis("market.regime_volatilities").zip == 0);
  CHECK(zipped.axis("market.regime_rates").zip == 0);
  CHECK(hl::cell_count(zipped) == 2);
  // The bounds themselves: a volatility in (0, 10], a switching rate >= 0.
  CHECK(parse(kMinimal, {"market.regime_volatilities=[1e-9, 10]"}).axis("market.regime_volatilities").tuples ==
        std::vector<Doubles>{{1e-9, 10}});
  CHECK(parse(kMinimal, {"market.regime_rates=[0, 0]"}).axis("market.regime_rates").tuples ==
        std::vector<Doubles>{{0, 0}});

  // Wrong shapes, each named by key (and index).
  using Case = std::tuple<std::string, std::string>;  // override, expected message
  for (const auto& [ov, expected] : std::vector<Case>{
           {"market.regime_volatilities=[0.1]",
            "market.regime_volatilities: expected a pair of numbers [a, b], got a list of 1"},
           {"market.regime_volatilities=[0.1, 0.2, 0.3]",
            "market.regime_volatilities: expected a pair of numbers [a, b], got a list of 3"},
           {"market.regime_volatilities=[[0.1, 0.2, 0.3]]",
            "market.regime_volatilities.0: expected a pair of numbers [a, b], got a list of 3"},
           {"market.regime_volatilities=[[0.1, 0.2], [0.3]]",
            "market.regime_volatilities.1: expected a pair of numbers [a, b], got a list of 1"},
           {"market.regime_volatilities='0.1/0.3'",
            "market.regime_volatilities: expected a pair of numbers [a, b] or a list of pairs, got string '0.1/0.3'"},
           {"market.regime_rates=2", "market.regime_rates: expected a pair of numbers [a, b] or a list of pairs, got "
                                     "integer 2"},
           {"market.regime_volatilities=[0.1, 'x']", "market.regime_volatilities.1: expected a number, got string 'x'"},
           {"market.regime_volatilities=[0.1, [0.2, 0.3]]",
            "market.regime_volatilities.1: expected a number, got list"},
           {"market.regime_volatilities=[0.1, nan]", "market.regime_volatilities.1: must be a finite number, got nan"},
           // Out of range, element by element.
           {"market.regime_volatilities=[0.1, 0]", "market.regime_volatilities.1: must be > 0, got 0.0"},
           {"market.regime_volatilities=[-0.1, 0.3]", "market.regime_volatilities.0: must be > 0, got -0.1"},
           {"market.regime_volatilities=[[0.1, 0.3], [0.2, 11]]",
            "market.regime_volatilities.1.1: must be <= 10, got 11.0"},
           {"market.regime_rates=[-1, 2]", "market.regime_rates.0: must be >= 0, got -1.0"},
           {"market.regime_rates=[[1, 2], [3, -4]]", "market.regime_rates.1.1: must be >= 0, got -4.0"},
       }) {
    CAPTURE(ov);
    const std::string msg = error_of([&] { parse(kMinimal, {ov}); });
    CHECK_MESSAGE(msg == "exp.toml: " + expected, msg);
  }
  // Too large a switching rate.
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.regime_rates=[1, 1e5]"}), "exp.toml: market.regime_rates.1: must be <=");
  // An element of a pair is addressed by index in an override.
  const hl::Study ov = parse(kMinimal, {"market.regime_volatilities=[[0.1, 0.3], [0.2, 0.6]]",
                                        "market.regime_volatilities.1.0=0.25", "market.regime_rates=[1, 4]",
                                        "market.regime_rates.1=5"});
  CHECK(ov.axis("market.regime_volatilities").tuples == std::vector<Doubles>{{0.1, 0.3}, {0.25, 0.6}});
  CHECK(ov.axis("market.regime_rates").tuples == std::vector<Doubles>{{1, 5}});
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.regime_rates=[1, 4]", "market.regime_rates.2=5"}),
                    "override 'market.regime_rates.2=5'", "index 2 is out of range");
}

TEST_CASE("experiment: range checks of the model and stress keys") {
  using Case = std::tuple<std::string, std::string>;  // override, expected message
  for (const auto& [ov, expected] : std::vector<Case>{
           {"market.jump_intensity=-1", "market.jump_intensity: must be >= 0, got -1.0"},
           {"market.jump_intensity=1001", "market.jump_intensity: must be <= 1000, got 1001.0"},
           {"market.jump_intensity=[1, -0.5]", "market.jump_intensity.1: must be >= 0, got -0.5"},
           {"market.jump_mean=6", "market.jump_mean: must be in [-5, 5] (a log jump), got 6.0"},
           {"market.jump_mean=-5.5", "market.jump_mean: must be in [-5, 5] (a log jump), got -5.5"},
           {"market.jump_std=-0.1", "market.jump_std: must be >= 0, got -0.1"},
           {"market.jump_std=6", "market.jump_std: must be <= 5, got 6.0"},
           {"market.jump_up_probability=1.5", "market.jump_up_probability: must be <= 1, got 1.5"},
           {"market.jump_up_probability=-0.1", "market.jump_up_probability: must be >= 0, got -0.1"},
           {"market.eta_up=1", "market.eta_up: must be > 1, got 1.0"},
           {"market.eta_up=0.5", "market.eta_up: must be > 1, got 0.5"},
           {"market.eta_down=0", "market.eta_down: must be > 0, got 0.0"},
           {"market.kappa=0", "market.kappa: must be > 0, got 0.0"},
           {"market.kappa=1001", "market.kappa: must be <= 1000, got 1001.0"},
           {"market.theta=0", "market.theta: must be > 0, got 0.0"},
           {"market.theta=11", "market.theta: must be <= 10, got 11.0"},
           {"market.xi=-0.1", "market.xi: must be > 0, got -0.1"},
           {"market.xi=0", "market.xi: must be > 0, got 0.0"},
           {"market.xi=11", "market.xi: must be <= 10, got 11.0"},
           {"market.rho=1.5", "market.rho: must be <= 1, got 1.5"},
           {"market.rho=-1.01", "market.rho: must be >= -1, got -1.01"},
           {"market.rho=[0, -2]", "market.rho.1: must be >= -1, got -2.0"},
           {"market.v0=-0.01", "market.v0: must be >= 0, got -0.01"},
           {"market.v0=11", "market.v0: must be <= 10, got 11.0"},
           {"stress.gap_time=0", "stress.gap_time: must be > 0, got 0.0"},
           {"stress.gap_time=101", "stress.gap_time: must be <= 100, got 101.0"},
           {"stress.gap_size=-1", "stress.gap_size: must be > -1 (a fraction of spot: -0.2 is a 20% fall), got -1.0"},
           {"stress.gap_size=-1.5", "stress.gap_size: must be > -1 (a fraction of spot: -0.2 is a 20% fall), got -1.5"},
           {"stress.gap_size=11", "stress.gap_size: must be <= 10, got 11.0"},
           {"stress.vol_shift_time=-1", "stress.vol_shift_time: must be >= 0, got -1.0"},
           {"stress.vol_shift_to=0", "stress.vol_shift_to: must be > 0, got 0.0"},
           {"stress.vol_shift_to=10.5", "stress.vol_shift_to: must be <= 10, got 10.5"},
           {"stress.vol_shift_to=[0.3, -0.3]", "stress.vol_shift_to.1: must be > 0, got -0.3"},
           {"market.kappa=nan", "market.kappa: must be a finite number, got nan"},
           {"market.jump_intensity=inf", "market.jump_intensity: must be a finite number, got inf"},
           {"stress.gap_size=nan", "stress.gap_size: must be a finite number, got nan"},
           {"market.rho='none'", "market.rho: expected a number or a list of numbers, got string 'none'"},
       }) {
    CAPTURE(ov);
    const std::string msg = error_of([&] { parse(kMinimal, {ov}); });
    CHECK_MESSAGE(msg == "exp.toml: " + expected, msg);
  }
  // The bounds themselves are accepted (the plan asks more of some, e.g. market.xi > 0 for heston).
  const hl::Study s = parse(kMinimal, {"market.jump_intensity=1000", "market.jump_mean=-5", "market.jump_std=0",
                                       "market.jump_up_probability=1", "market.eta_up=1.0001", "market.eta_down=1e-9",
                                       "market.kappa=1000", "market.theta=10", "market.xi=10", "market.rho=-1",
                                       "market.v0=0", "stress.gap_time=100", "stress.gap_size=10",
                                       "stress.vol_shift_time=0", "stress.vol_shift_to=10"});
  CHECK(s.first("market.jump_intensity") == 1000);
  CHECK(s.first("market.eta_up") == 1.0001);
  CHECK(s.first("market.xi") == 10);
  CHECK(s.first("market.rho") == -1);
  CHECK(s.first("stress.gap_size") == 10);
  CHECK(s.first("stress.vol_shift_to") == 10);
  CHECK(parse(kMinimal, {"market.rho=1", "market.jump_up_probability=0", "stress.gap_size=-0.999"}).first("market.rho") == 1);
  // Given in the file, not only by override.
  CHECK_EDIT_ERROR("drift = 0.07", "drift = 0.07\nrho = 2", "market.rho: must be <= 1, got 2");
  CHECK_EDIT_ERROR("[output]", "[stress]\ngap_size = -2\n[output]", "stress.gap_size: must be > -1");
}

TEST_CASE("experiment: the [stress] table") {
  const std::string text = std::string(kMinimal) + "[stress]\ngap_time = 0.1\ngap_size = -0.2\nvol_shift_time = 0.15\n"
                                                   "vol_shift_to = 0.4\n";
  const hl::Study s = parse(text);
  CHECK(values(s, "stress.gap_time") == Doubles{0.1});
  CHECK(values(s, "stress.gap_size") == Doubles{-0.2});
  CHECK(values(s, "stress.vol_shift_time") == Doubles{0.15});
  CHECK(values(s, "stress.vol_shift_to") == Doubles{0.4});
  // An empty table is the same as none.
  check_same(parse(std::string(kMinimal) + "[stress]\n"), parse(kMinimal));

  // Unknown keys and tables, with a hint.
  CHECK_INPUT_ERROR(parse(edit(text, "gap_time = 0.1", "gap_tim = 0.1")), "exp.toml: unknown key 'stress.gap_tim'",
                    "(did you mean 'stress.gap_time'?)");
  CHECK_INPUT_ERROR(parse(edit(text, "vol_shift_to = 0.4", "vol_shift = 0.4")), "unknown key 'stress.vol_shift'",
                    "(did you mean 'stress.vol_shift_");
  CHECK_INPUT_ERROR(parse(edit(text, "[stress]", "[stres]")), "exp.toml: unknown table 'stres'", "(did you mean 'stress'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"stress.gap_sise=-0.1"}), "unknown key 'stress.gap_sise'",
                    "(did you mean 'stress.gap_size'?)");
  // A stress key in [market] points at [stress], and a model key in [stress] at [market].
  CHECK_INPUT_ERROR(parse(edit(kMinimal, "rate = 0.03", "rate = 0.03\ngap_size = -0.2")),
                    "unknown key 'market.gap_size'", "(did you mean 'stress.gap_size'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"stress.jump_intensity=1"}), "unknown key 'stress.jump_intensity'",
                    "(did you mean 'market.jump_intensity'?)");
  // Typos of the new [market], [hedge] and [output] keys.
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.jump_intensty=1"}), "unknown key 'market.jump_intensty'",
                    "(did you mean 'market.jump_intensity'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.regime_volatility=[0.1, 0.2]"}), "unknown key 'market.regime_volatility'",
                    "(did you mean 'market.regime_volatilities'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.modle='bs'"}), "unknown key 'hedge.modle'", "(did you mean 'hedge.model'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"output.worst_path=3"}), "unknown key 'output.worst_path'",
                    "(did you mean 'output.worst_paths'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"output.loss_threshold=[1]"}), "unknown key 'output.loss_threshold'",
                    "(did you mean 'output.loss_thresholds'?)");
  // Stress keys are sweepable; zipped like any listed key.
  const hl::Study z = parse(kMinimal, {"stress.gap_time=[0.05, 0.1]", "stress.gap_size=[-0.1, -0.3]",
                                       R"(sweep.zip=[["stress.gap_time", "stress.gap_size"]])"});
  CHECK(z.axis("stress.gap_time").zip == 0);
  CHECK(hl::cell_count(z) == 2);
  CHECK_INPUT_ERROR(parse(kMinimal, {"stress.gap_size=[-0.1, -0.3]", R"(sweep.zip=[["stress.gap_size", "stress.gap_tme"]])"}),
                    "sweep.zip: 'stress.gap_tme' is not a sweepable key (did you mean 'stress.gap_time'?)");
}

TEST_CASE("experiment: --set overrides of the model, stress and output keys") {
  const hl::Study s = parse(kMinimal, {"market.model=\"merton\"", "market.jump_intensity=[0.5, 1]", "market.jump_mean=-0.1",
                                       "market.jump_std=0.2", "stress.gap_size=-0.2", "stress.gap_time=0.1",
                                       "stress.vol_shift_time=0.2", "stress.vol_shift_to=0.35", "market.rho=-0.5",
                                       "hedge.model='merton'", "output.loss_thresholds=[0.5, 1, 2.5]",
                                       "output.worst_paths=0"});
  CHECK(s.model == "merton");
  CHECK(s.axis("market.model").labels == Strings{"merton"});
  CHECK(values(s, "market.jump_intensity") == Doubles{0.5, 1});
  CHECK(s.axis("market.jump_intensity").listed);
  CHECK(values(s, "market.jump_mean") == Doubles{-0.1});
  CHECK(values(s, "market.jump_std") == Doubles{0.2});
  CHECK(values(s, "stress.gap_size") == Doubles{-0.2});
  CHECK(values(s, "stress.gap_time") == Doubles{0.1});
  CHECK(values(s, "stress.vol_shift_time") == Doubles{0.2});
  CHECK(values(s, "stress.vol_shift_to") == Doubles{0.35});
  CHECK(values(s, "market.rho") == Doubles{-0.5});
  CHECK(s.axis("hedge.model").labels == Strings{"merton"});
  CHECK(s.loss_thresholds == Doubles{0.5, 1, 2.5});
  CHECK(s.worst_paths == 0);
  CHECK(hl::cell_count(s) == 2);
  // Overrides replace what the file says, the last one winning, and elements are addressed by index.
  const std::string file = std::string(kMinimal) + "[stress]\ngap_size = -0.1\ngap_time = 0.05\n";
  const hl::Study o = parse(edit(file, "volatility = 0.2\n", "volatility = 0.2\nmodel = [\"gbm\", \"kou\"]\n"),
                            {"stress.gap_size=-0.3", "market.model.1='heston'", "stress.gap_time=0.2",
                             "stress.gap_time=0.25"});
  CHECK(values(o, "stress.gap_size") == Doubles{-0.3});
  CHECK(values(o, "stress.gap_time") == Doubles{0.25});
  CHECK(o.axis("market.model").labels == Strings{"gbm", "heston"});
  CHECK(o.model == "gbm,heston");
  // Validated like the file.
  CHECK_INPUT_ERROR(parse(kMinimal, {"stress.gap_size=-1.2"}), "exp.toml: stress.gap_size: must be > -1");
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.model='jumps'"}), "exp.toml: market.model: must be one of");
  CHECK_INPUT_ERROR(parse(kMinimal, {"hedge.model=['bs', 'mertn']"}), "hedge.model.1: must be one of",
                    "(did you mean 'merton'?)");
  CHECK_INPUT_ERROR(parse(kMinimal, {"market.eta_up=[2, 1]"}), "exp.toml: market.eta_up.1: must be > 1, got 1");
  CHECK_INPUT_ERROR(parse(kMinimal, {"stress=1"}), "exp.toml: stress: expected a table, got integer 1");
  CHECK_INPUT_ERROR(parse(kMinimal, {"stress.gap_size=-0.1", "stress.gap_size.0=1"}),
                    "override 'stress.gap_size.0=1'", "'stress.gap_size' holds float -0.1");
  // effective_text holds them and reruns to the same study.
  check_same(s, parse(s.effective_text));
  check_same(o, parse(o.effective_text));
}

TEST_CASE("experiment: output.loss_thresholds and output.worst_paths") {
  CHECK(parse(kMinimal).loss_thresholds.empty());
  CHECK(parse(kMinimal).worst_paths == 10);
  CHECK(parse(kFull).worst_paths == 10);
  const hl::Study s = parse(edit(kFull, "baseline = 1", "baseline = 1\nloss_thresholds = [0.5, 1, 2]\nworst_paths = 25"));
  CHECK(s.loss_thresholds == Doubles{0.5, 1, 2});
  CHECK(s.worst_paths == 25);
  CHECK(parse(kMinimal, {"output.loss_thresholds=[3]"}).loss_thresholds == Doubles{3});
  CHECK(parse(kMinimal, {"output.loss_thresholds=[]"}).loss_thresholds.empty());
  // The bounds of worst_paths.
  CHECK(parse(kMinimal, {"output.worst_paths=0"}).worst_paths == 0);
  CHECK(parse(kMinimal, {"output.worst_paths=10000"}).worst_paths == 10000);
  Doubles many(64, 1.0);
  std::string many_text = "output.loss_thresholds=[1";
  for (int i = 1; i < 64; ++i) {
    many[i] = 1.0 + i;
    many_text += ", " + std::to_string(1 + i);
  }
  CHECK(parse(kMinimal, {many_text + "]"}).loss_thresholds == many);

  using Case = std::tuple<std::string, std::string>;  // override, expected message
  for (const auto& [ov, expected] : std::vector<Case>{
           {"output.loss_thresholds=0.5",
            "output.loss_thresholds: expected a list of numbers (losses, as positive amounts), got float 0.5"},
           {"output.loss_thresholds='1'",
            "output.loss_thresholds: expected a list of numbers (losses, as positive amounts), got string '1'"},
           {"output.loss_thresholds=[1, 'x']", "output.loss_thresholds.1: expected a number, got string 'x'"},
           {"output.loss_thresholds=[1, true]", "output.loss_thresholds.1: expected a number, got boolean true"},
           {"output.loss_thresholds=[nan]", "output.loss_thresholds.0: must be a finite number, got nan"},
           {"output.loss_thresholds=[1, inf]", "output.loss_thresholds.1: must be a finite number, got inf"},
           {many_text + ", 1]", "output.loss_thresholds: at most 64 thresholds, got 65"},
           {"output.loss_thresholds=[-1]", "output.loss_thresholds.0: must be >= 0 (a loss, as a positive amount), got -1.0"},
           {"output.loss_thresholds=[2, 2]",
            "output.loss_thresholds.1: thresholds must be strictly increasing, got 2.0 after 2.0"},
           {"output.worst_paths=-1", "output.worst_paths: must be in [0, 10000], got -1"},
           {"output.worst_paths=10001", "output.worst_paths: must be in [0, 10000], got 10001"},
           {"output.worst_paths=2.0", "output.worst_paths: expected an integer, got float 2.0"},
           {"output.worst_paths='10'", "output.worst_paths: expected an integer, got string '10'"},
           {"output.worst_paths=[10]", "output.worst_paths: expected an integer, got list"},
       }) {
    CAPTURE(ov);
    const std::string msg = error_of([&] { parse(kMinimal, {ov}); });
    CHECK_MESSAGE(msg == "exp.toml: " + expected, msg);
  }
}

namespace {

hl::Plan plan_of(const std::vector<std::string>& overrides) { return hl::make_plan(parse(kMinimal, overrides)); }

// make_plan throws InputError whose one-line message holds every given part.
#define CHECK_PLAN_ERROR(overrides, ...) CHECK_INPUT_ERROR(plan_of(overrides), __VA_ARGS__)

using Overrides = std::vector<std::string>;
const Overrides kMerton = {"market.model='merton'", "market.jump_intensity=1", "market.jump_mean=-0.1",
                           "market.jump_std=0.1"};
const Overrides kKou = {"market.model='kou'", "market.jump_intensity=1", "market.jump_up_probability=0.4",
                        "market.eta_up=10", "market.eta_down=5"};
const Overrides kHeston = {"market.model='heston'", "market.kappa=2", "market.theta=0.04", "market.xi=0.3",
                           "market.v0=0.04", "market.rho=-0.7"};
const Overrides kRegime = {"market.model='regime'", "market.regime_volatilities=[0.15, 0.45]",
                           "market.regime_rates=[2, 8]"};

// base without the overrides of the given keys, plus extra.
Overrides but(const Overrides& base, const std::set<std::string>& drop, const Overrides& extra = {}) {
  Overrides out;
  for (const auto& ov : base)
    if (drop.count(ov.substr(0, ov.find('='))) == 0) out.push_back(ov);
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace

TEST_CASE("experiment: the plan checks what a model and an overlay need") {
  // Complete configurations plan (kMinimal: one option of 0.25 years, 21 rebalances).
  CHECK_NOTHROW(plan_of(kMerton));
  CHECK_NOTHROW(plan_of(kHeston));
  CHECK_NOTHROW(plan_of(kRegime));
  CHECK_NOTHROW(plan_of(but(kMerton, {}, {"hedge.model='merton'"})));
  CHECK_NOTHROW(plan_of({"stress.gap_size=-0.2", "stress.gap_time=0.1"}));
  CHECK_NOTHROW(plan_of({"stress.gap_size=-0.2", "stress.gap_time=0.25"}));  // at the horizon
  CHECK_NOTHROW(plan_of({"stress.vol_shift_time=0.1", "stress.vol_shift_to=0.4"}));
  CHECK_NOTHROW(plan_of({"stress.gap_time=0.1"}));  // no gap_size: no gap

  // A model without its parameters.
  CHECK_PLAN_ERROR(but(kMerton, {"market.jump_mean"}), "market.jump_mean: required for market.model 'merton' (cell 0)");
  CHECK_PLAN_ERROR(but(kMerton, {"market.jump_intensity"}), "market.jump_intensity: required for market.model 'merton'");
  CHECK_PLAN_ERROR(but(kKou, {"market.eta_down"}), "market.eta_down: required for market.model 'kou' (cell 0)");
  CHECK_PLAN_ERROR(but(kKou, {"market.jump_up_probability"}), "market.jump_up_probability: required for market.model 'kou'");
  CHECK_PLAN_ERROR(but(kHeston, {"market.v0"}), "market.v0: required for market.model 'heston' (cell 0)");
  CHECK_PLAN_ERROR(but(kHeston, {"market.kappa"}), "market.kappa: required for market.model 'heston'");
  CHECK_PLAN_ERROR(but(kHeston, {"market.xi"}), "market.xi: required for market.model 'heston' (cell 0)");
  CHECK_PLAN_ERROR(but(kRegime, {"market.regime_rates"}), "market.regime_rates: required for market.model 'regime' (cell 0)");
  CHECK_PLAN_ERROR(but(kRegime, {"market.regime_volatilities"}), "market.regime_volatilities: required for market.model 'regime'");
  // The cell is named: the gbm cell 0 plans, the merton cell 1 lacks its jumps.
  CHECK_PLAN_ERROR(Overrides({R"(market.model=["gbm", "merton"])"}),
                   "market.jump_intensity: required for market.model 'merton' (cell 1)");

  // Stress overlays.
  CHECK_PLAN_ERROR(Overrides({"stress.gap_size=-0.2"}), "stress.gap_time: required for a gap", "stress.gap_size is -0.2",
                   "cell 0");
  CHECK_PLAN_ERROR(Overrides({"stress.gap_size=-0.2", "stress.gap_time=0.5"}), "stress.gap_time: 0.5 is after the horizon 0.25",
                   "(cell 0)");
  CHECK_PLAN_ERROR(Overrides({"stress.gap_size=[0, -0.2]"}), "stress.gap_time: required for a gap", "cell 1");
  CHECK_PLAN_ERROR(Overrides({"stress.vol_shift_to=0.4"}), "stress.vol_shift_time: required for a volatility shift (cell 0)");
  CHECK_PLAN_ERROR(Overrides({"stress.vol_shift_time=0.1"}), "stress.vol_shift_to: required for a volatility shift (cell 0)");
  CHECK_PLAN_ERROR(Overrides({"stress.vol_shift_time=0.25", "stress.vol_shift_to=0.4"}),
                   "stress.vol_shift_time: 0.25 is not before the horizon 0.25");

  // The hedger's model.
  CHECK_PLAN_ERROR(Overrides({"hedge.model='min_variance'"}), "hedge.model: 'min_variance' needs a jump market",
                   "got 'gbm' (cell 0)");
  CHECK_PLAN_ERROR(but(kHeston, {}, {"hedge.model='min_variance'"}), "hedge.model: 'min_variance' needs a jump market",
                   "got 'heston'");
  CHECK_PLAN_ERROR(but(kMerton, {}, {"hedge.model='merton'", "hedge.policy='whalley_wilmott'", "costs.proportional=0.001"}),
                   "hedge.model: policy 'whalley_wilmott' is defined for Black-Scholes hedging only, got 'merton' (cell 0)");
  CHECK_PLAN_ERROR(but(kMerton, {}, {"hedge.model='merton'", "hedge.policy='leland'", "costs.proportional=0.001"}),
                   "hedge.model: policy 'leland' is defined for Black-Scholes hedging only");
  CHECK_PLAN_ERROR(Overrides({"hedge.model='merton'"}), "market.jump_intensity: required for hedge.model 'merton' (cell 0)");
  CHECK_PLAN_ERROR(Overrides({"hedge.model='kou'"}), "market.jump_intensity: required for hedge.model 'kou'");
}
