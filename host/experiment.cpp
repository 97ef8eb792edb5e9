// Experiment files: TOML -> hl::Study. Every problem is reported as one line that names the dotted
// key, so a user can fix the file (or the --set override) without reading this code.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>
#include <toml++/toml.h>

#include "host/stats.hpp"
#include "host/study.hpp"
#include "host/text.hpp"
#include "kernels/params.hpp"

namespace hl {
namespace {

// Every key an experiment may hold. It drives the unknown-key check and the "did you mean" hints,
// so a key added to the reader below must be added here too.
struct TableKeys {
  std::string_view table;
  std::vector<std::string_view> keys;
};
const std::vector<TableKeys>& schema() {
  static const std::vector<TableKeys> tables = {
      {"study", {"name", "paths", "seed", "precision"}},
      {"market", {"model", "spot", "rate", "drift", "volatility", "steps", "jump_intensity", "jump_mean", "jump_std",
                  "jump_up_probability", "eta_up", "eta_down", "kappa", "theta", "xi", "rho", "v0",
                  "regime_volatilities", "regime_rates"}},
      {"stress", {"gap_time", "gap_size", "vol_shift_time", "vol_shift_to"}},
      {"book", {"kind", "strike", "maturity", "quantity"}},
      {"hedge", {"policy", "model", "rebalances", "volatility", "band", "to", "risk_aversion", "move"}},
      {"costs", {"proportional", "fixed", "half_spread", "half_spread_per_vol", "impact_eta", "volume", "lot",
                 "on_initial", "on_unwind"}},
      {"output",
       {"histogram_bins", "samples", "quantiles", "baseline", "loss_thresholds", "worst_paths", "quantile_method",
        "sketch_accuracy"}},
      {"sweep", {"zip"}},
  };
  return tables;
}


// The CLI prints the message as one line; keys and values from the file may hold line breaks.
std::string one_line(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

[[noreturn]] void raise(const std::string& src, const std::string& message) {
  throw InputError(one_line(src + ": " + message));
}

// Integral floats keep their ".0" so that "got float 21.0" does not read like an integer.
std::string num(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.1f}", v);
  return fmt::format("{}", v);
}
std::string show(double v) { return num(v); }
std::string show(std::int64_t v) { return std::to_string(v); }

std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::integer: return "integer " + show(n.as_integer()->get());
    case toml::node_type::floating_point: return "float " + num(n.as_floating_point()->get());
    case toml::node_type::boolean: return n.as_boolean()->get() ? "boolean true" : "boolean false";
    case toml::node_type::string: {
      const std::string& s = n.as_string()->get();
      return s.size() <= 40 ? "string '" + s + "'" : "string";
    }
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "list";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}


// Closest known name to an unknown key, or "" when nothing is close enough to be a plausible typo.
// `table` is the schema table the key sits in ("" at the top level); `prefix` is how that table is
// named in messages ("book.1" for a [[book]] entry).
std::string suggestion(std::string_view leaf, const std::string& dotted, std::string_view table,
                       const std::string& prefix) {
  std::string best;
  std::size_t best_d = std::string::npos;
  auto consider = [&](std::string_view typed, std::string_view known, const std::string& name) {
    const std::size_t d = levenshtein(typed, known);
    if (d <= std::max<std::size_t>(2, typed.size() / 3) && d < best_d) best_d = d, best = name;
  };
  // A near miss within the same table is the likeliest typo, so it wins over any other table.
  for (const auto& t : schema()) {
    if (table.empty()) consider(leaf, t.table, std::string(t.table));
    else if (t.table == table)
      for (auto k : t.keys) consider(leaf, k, prefix + "." + std::string(k));
  }
  if (!best.empty()) return best;
  // Then a key put in the wrong table ([study] spot) or mistyped in full.
  for (const auto& t : schema())
    for (auto k : t.keys) {
      const std::string full = std::string(t.table) + "." + std::string(k);
      consider(dotted, full, full);
      consider(leaf, k, full);
    }
  return best;
}

[[noreturn]] void unknown(const std::string& src, const toml::node& n, std::string_view leaf,
                          const std::string& dotted, std::string_view table, const std::string& prefix) {
  const std::string hint = suggestion(leaf, dotted, table, prefix);
  raise(src, fmt::format("unknown {} '{}'{}", n.is_table() ? "table" : "key", dotted,
                         hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

void check_table_keys(const std::string& src, const toml::table& tbl, std::string_view table,
                      const std::string& prefix) {
  const auto& known = std::find_if(schema().begin(), schema().end(),
                                   [&](const TableKeys& t) { return t.table == table; })->keys;
  for (auto&& [k, v] : tbl)
    if (std::find(known.begin(), known.end(), k.str()) == known.end())
      unknown(src, v, k.str(), prefix + "." + std::string(k.str()), table, prefix);
}

// Unknown keys are checked before any value, so a typo is reported as a typo rather than as the
// "required key is missing" it would otherwise cause. Misplaced types are left to the readers.
void check_keys(const std::string& src, const toml::table& doc) {
  for (auto&& [k, v] : doc) {
    const std::string_view name = k.str();
    const bool known = std::any_of(schema().begin(), schema().end(),
                                   [&](const TableKeys& t) { return t.table == name; });
    if (!known) unknown(src, v, name, std::string(name), "", "");
    if (const auto* arr = v.as_array(); arr && name == "book") {
      for (std::size_t i = 0; i < arr->size(); ++i)
        if (const auto* entry = arr->get(i)->as_table())
          check_table_keys(src, *entry, "book", fmt::format("book.{}", i));
    } else if (const auto* tbl = v.as_table()) {
      check_table_keys(src, *tbl, name, std::string(name));
    }
  }
}

// One value of the experiment, with its dotted name for messages; node is null when absent.
struct Field {
  const toml::node* node;
  std::string key;
  const std::string& src;

  bool has() const { return node != nullptr; }
  [[noreturn]] void fail(const std::string& problem) const { raise(src, key + ": " + problem); }
  const toml::node& need() const {
    if (!node) fail("required key is missing");
    return *node;
  }
  [[noreturn]] void wrong_type(std::string_view expected) const {
    fail(fmt::format("expected {}, got {}", expected, describe(*node)));
  }

  double number(std::string_view expected = "a number") const {
    const toml::node& n = need();
    double v = 0.0;
    if (const auto* i = n.as_integer()) v = static_cast<double>(i->get());
    else if (const auto* f = n.as_floating_point()) v = f->get();
    else wrong_type(expected);
    if (!std::isfinite(v)) fail("must be a finite number, got " + num(v));
    return v;
  }
  std::int64_t integer(std::string_view expected = "an integer") const {
    const auto* i = need().as_integer();
    if (!i) wrong_type(expected);
    return i->get();
  }
  std::string string() const {
    const auto* s = need().as_string();
    if (!s) wrong_type("a string");
    return s->get();
  }
  bool boolean() const {
    const auto* b = need().as_boolean();
    if (!b) wrong_type("a boolean");
    return b->get();
  }
  template <class T>
  T check(T v, bool ok, std::string_view rule) const {
    if (!ok) fail(fmt::format("{}, got {}", rule, show(v)));
    return v;
  }
  double positive() const {
    const double v = number();
    return check(v, v > 0, "must be > 0");
  }
  // Keys that will select an implementation, of which only one exists so far.
  // One of `choices`, as a plain (not sweepable) string.
  std::string one_of(const std::vector<std::string>& choices) const {
    std::string s = string();
    if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
      std::string list;
      for (const auto& c : choices) list += (list.empty() ? "'" : ", '") + c + "'";
      fail(fmt::format("must be one of {}, got '{}'", list, s));
    }
    return s;
  }
};

struct Section {
  const toml::table* tbl;  // null when the table is absent: every key reads as absent
  std::string name;
  const std::string& src;

  Field operator[](std::string_view leaf) const {
    return {tbl ? tbl->get(leaf) : nullptr, name + "." + std::string(leaf), src};
  }
};

Section section(const std::string& src, const toml::table& doc, const std::string& name) {
  const toml::node* n = doc.get(name);
  if (n && !n->is_table()) raise(src, fmt::format("{}: expected a table, got {}", name, describe(*n)));
  return {n ? n->as_table() : nullptr, name, src};
}


std::string did_you_mean(const std::string& hint) {
  return hint.empty() ? "" : " (did you mean '" + hint + "'?)";
}

using Check = std::function<void(const Field&, double)>;

// A sweepable key: a scalar is an axis of one value, a list is a sweep. A fallback is the default,
// used as it is (defaults need no check).
SweepAxis axis(const Field& f, bool integer, std::optional<double> fallback, const Check& check) {
  SweepAxis a;
  a.key = f.key;
  a.integer = integer;
  auto read = [&](const Field& e, std::string_view expected) {
    const double v = integer ? static_cast<double>(e.integer(expected)) : e.number(expected);
    check(e, v);
    a.values.push_back(v);
  };
  if (!f.has()) {
    if (!fallback) f.need();
    a.values = {*fallback};
  } else if (const auto* arr = f.node->as_array()) {
    a.listed = true;
    if (arr->empty()) f.fail("must not be an empty list");
    for (std::size_t i = 0; i < arr->size(); ++i)
      read({arr->get(i), fmt::format("{}.{}", f.key, i), f.src}, integer ? "an integer" : "a number");
  } else {
    read(f, integer ? "an integer or a list of integers" : "a number or a list of numbers");
  }
  return a;
}

// A sweepable choice ("hedge.policy"): a string or a list of strings, each one of `choices`. The
// labels are the distinct strings given, in order; the values index them.
SweepAxis choice_axis(const Field& f, const std::vector<std::string>& choices, const std::string& fallback) {
  SweepAxis a;
  a.key = f.key;
  auto read = [&](const Field& e, std::string_view expected) {
    const auto* str = e.need().as_string();
    if (!str) e.wrong_type(expected);
    const std::string& v = str->get();
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
      std::string list;
      for (const auto& c : choices) list += (list.empty() ? "'" : ", '") + c + "'";
      e.fail(fmt::format("must be one of {}, got '{}'{}", list, v, did_you_mean(nearest(v, choices))));
    }
    auto at = std::find(a.labels.begin(), a.labels.end(), v);
    if (at == a.labels.end()) at = a.labels.insert(a.labels.end(), v);
    a.values.push_back(static_cast<double>(at - a.labels.begin()));
  };
  if (!f.has()) {
    a.labels = {fallback};
    a.values = {0.0};
  } else if (const auto* arr = f.node->as_array()) {
    a.listed = true;
    if (arr->empty()) f.fail("must not be an empty list");
    for (std::size_t i = 0; i < arr->size(); ++i) read({arr->get(i), fmt::format("{}.{}", f.key, i), f.src}, "a string");
  } else {
    read(f, "a string or a list of strings");
  }
  return a;
}

// A sweepable pair ("market.regime_volatilities"): [a, b] is one value, a list of pairs a sweep. The
// values index the pairs (tuples); labels name them "a/b" (written as strings in HDF5).
SweepAxis pair_axis(const Field& f, const Check& check) {
  SweepAxis a;
  a.key = f.key;
  auto read = [&](const Field& e) {
    const auto* arr = e.need().as_array();
    if (!arr) e.wrong_type("a pair of numbers [a, b] or a list of pairs");
    if (arr->size() != 2) e.fail(fmt::format("expected a pair of numbers [a, b], got a list of {}", arr->size()));
    std::vector<double> t;
    for (std::size_t i = 0; i < 2; ++i) {
      const Field x{arr->get(i), fmt::format("{}.{}", e.key, i), e.src};
      t.push_back(x.number());
      check(x, t.back());
    }
    a.values.push_back(static_cast<double>(a.tuples.size()));
    a.tuples.push_back(t);
    a.labels.push_back(fmt::format("{}/{}", t[0], t[1]));
  };
  if (!f.has()) {  // absent: one pair of NaN, rejected by the plan where a model needs it
    const double nan = std::numeric_limits<double>::quiet_NaN();
    a.values = {0.0};
    a.tuples = {{nan, nan}};
    a.labels = {"unset"};
    return a;
  }
  const auto* arr = f.node->as_array();
  if (!arr) f.wrong_type("a pair of numbers [a, b] or a list of pairs");
  if (arr->empty()) f.fail("must not be an empty list");
  if (arr->get(0)->is_array()) {
    a.listed = true;
    for (std::size_t i = 0; i < arr->size(); ++i) read({arr->get(i), fmt::format("{}.{}", f.key, i), f.src});
  } else {
    read(f);
  }
  return a;
}

// A key that defaults to another axis: a copy of it under its own name.
SweepAxis copy_of(const SweepAxis& from, const std::string& key) {
  SweepAxis a = from;
  a.key = key;
  a.zip = -1;
  return a;
}

Check greater(double lo) {
  return [lo](const Field& f, double v) { f.check(v, v > lo, "must be > " + fmt::format("{}", lo)); };
}
Check at_least(double lo) {
  return [lo](const Field& f, double v) { f.check(v, v >= lo, "must be >= " + fmt::format("{}", lo)); };
}
Check fraction() {  // [0, 1)
  return [](const Field& f, double v) { f.check(v, v >= 0 && v < 1, "must be >= 0 and < 1"); };
}
Check volatility() {  // (0, 10]
  return [](const Field& f, double v) {
    f.check(v, v > 0, "must be > 0");
    f.check(v, v <= 10, "must be <= 10");
  };
}

// kind and maturity; strike and quantity are axes book.N.strike, book.N.quantity, appended to axes.
OptionSpec read_option(const std::string& src, const toml::node& n, std::size_t i, std::vector<SweepAxis>& axes) {
  const std::string name = fmt::format("book.{}", i);
  if (!n.is_table()) raise(src, fmt::format("{}: expected a table, got {}", name, describe(n)));
  const Section s{n.as_table(), name, src};
  OptionSpec o;
  if (const Field f = s["kind"]; f.has()) {
    const std::string kind = f.string();
    if (kind != "call" && kind != "put") f.fail("must be 'call' or 'put', got '" + kind + "'");
    o.is_call = kind == "call";
  }
  axes.push_back(axis(s["strike"], false, std::nullopt, greater(0)));
  o.strike = axes.back().values.front();
  o.maturity = s["maturity"].positive();
  s["maturity"].check(o.maturity, o.maturity <= 100, "must be <= 100 (years)");
  axes.push_back(axis(s["quantity"], false, -1.0,
                      [](const Field& f, double v) { f.check(v, v != 0, "must be non-zero"); }));
  o.quantity = axes.back().values.front();
  return o;
}

SweepAxis& axis_of(Study& s, const std::string& key) { return const_cast<SweepAxis&>(s.axis(key)); }

std::optional<std::size_t> index_of(const std::string& part) {
  if (part.empty() || part.size() > 9 || 
      !std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); })) return std::nullopt;
  return std::stoul(part);
}

// A key of the schema ("market.steps", "book.0.kind" of a study with n_book options), swept or not.
bool known_key(const std::string& key, std::size_t n_book) {
  const auto dot = key.rfind('.');
  if (dot == std::string::npos) return false;
  std::string table = key.substr(0, dot);
  const std::string leaf = key.substr(dot + 1);
  if (table.rfind("book.", 0) == 0) {
    const auto i = index_of(table.substr(5));
    if (!i || *i >= n_book) return false;
    table = "book";
  }
  for (const auto& t : schema())
    if (t.table == table) return std::find(t.keys.begin(), t.keys.end(), leaf) != t.keys.end();
  return false;
}

// [sweep] zip = [["market.volatility", "hedge.volatility"], ...]: explicit groups get zip ids 0, 1, ...
// in the order written. `defaulted` maps a key left to its default to the key it copies.
int read_zip(const std::string& src, const toml::table& doc, Study& s,
             const std::vector<std::pair<std::string, std::string>>& defaulted) {
  const Field f = section(src, doc, "sweep")["zip"];
  if (!f.has()) return 0;
  const auto* groups = f.node->as_array();
  if (!groups) f.wrong_type("a list of lists of keys");
  const std::vector<std::string> keys = sweep_keys(s.book.size());
  for (std::size_t g = 0; g < groups->size(); ++g) {
    const Field gf{groups->get(g), fmt::format("{}.{}", f.key, g), src};
    const auto* group = gf.node->as_array();
    if (!group) gf.wrong_type("a list of keys");
    if (group->size() < 2) gf.fail(fmt::format("a zip group needs at least 2 keys, got {}", group->size()));
    const SweepAxis* head = nullptr;
    for (std::size_t k = 0; k < group->size(); ++k) {
      const std::string key = Field{group->get(k), fmt::format("{}.{}", gf.key, k), src}.string();
      if (std::find(keys.begin(), keys.end(), key) == keys.end())
        f.fail(fmt::format("'{}' is not a sweepable key{}", key,
                           known_key(key, s.book.size()) ? " (it takes one value)" : did_you_mean(nearest(key, keys))));
      SweepAxis& a = axis_of(s, key);
      const auto copy = std::find_if(defaulted.begin(), defaulted.end(), [&](const auto& d) { return d.first == key; });
      if (!a.listed || copy != defaulted.end())
        f.fail(fmt::format("'{}' is not a list in the experiment: only listed keys can be zipped{}", key,
                           copy == defaulted.end() ? ""
                                                   : fmt::format(" (left out, it takes the values of '{}'{})",
                                                                 copy->second, a.listed ? " and advances with it" : "")));
      if (a.zip == static_cast<int>(g)) f.fail(fmt::format("'{}' appears twice in zip group {}", key, g));
      if (a.zip >= 0) f.fail(fmt::format("'{}' is in more than one zip group ({} and {})", key, a.zip, g));
      if (head && a.values.size() != head->values.size())
        f.fail(fmt::format("'{}' has {} values but '{}' has {}: zipped keys must have the same number of values",
                           head->key, head->values.size(), key, a.values.size()));
      a.zip = static_cast<int>(g);
      if (!head) head = &a;
    }
  }
  return static_cast<int>(groups->size());
}

Study read_study(const std::string& src, const toml::table& doc, const std::string& default_name) {
  Study s;
  const Section study = section(src, doc, "study");
  if (const Field f = study["name"]; f.has()) {
    s.name = f.string();
    if (s.name.empty()) f.fail("must not be empty");
  } else {
    s.name = default_name;
  }
  // The name becomes results/<name>.h5: no directories, no control characters.
  const bool bad_char = std::any_of(s.name.begin(), s.name.end(), [](unsigned char c) {
    return c == '/' || c == '\\' || std::iscntrl(c);
  });
  if (bad_char || s.name == "." || s.name == "..")
    raise(src, "study.name: must be a plain file name (no '/', '\\' or control characters), got '" + s.name + "'");
  const Field paths = study["paths"], seed = study["seed"];
  s.paths = paths.check(paths.integer(), paths.integer() >= 2, "must be >= 2");
  if (seed.has()) {
    const std::int64_t n = seed.integer();
    s.seed = static_cast<std::uint64_t>(seed.check(n, n >= 0, "must be >= 0"));
  }
  if (study["precision"].has()) s.precision = study["precision"].one_of(precision_names());

  // Axes are appended in the canonical order of sweep_keys(). Keys left to a default that copies
  // another axis are noted: they advance with it (zip) and cannot be zipped themselves.
  std::vector<std::pair<std::string, std::string>> defaulted;
  auto copy_axis = [&](const Field& f, const std::string& from) {
    defaulted.emplace_back(f.key, from);
    s.axes.push_back(copy_of(s.axis(from), f.key));
  };
  const Section market = section(src, doc, "market");
  s.axes.push_back(axis(market["spot"], false, std::nullopt, greater(0)));
  // Bounds far beyond any market, so that a path's arithmetic stays finite in double precision.
  s.axes.push_back(axis(market["rate"], false, 0.0,
                        [](const Field& f, double v) { f.check(v, std::fabs(v) <= 1, "must be in [-1, 1]"); }));
  if (market["drift"].has())
    s.axes.push_back(axis(market["drift"], false, std::nullopt,
                          [](const Field& f, double v) { f.check(v, std::fabs(v) <= 5, "must be in [-5, 5]"); }));
  else
    copy_axis(market["drift"], "market.rate");
  s.axes.push_back(axis(market["volatility"], false, std::nullopt, volatility()));
  s.axes.push_back(choice_axis(market["model"], model_names(), "gbm"));
  s.model = fmt::format("{}", fmt::join(s.axes.back().labels, ","));
  // Model parameters: NaN when absent; the plan asks for those that a cell's model needs.
  const double unset = std::numeric_limits<double>::quiet_NaN();
  auto range = [](double lo, double hi, bool open_lo = false) -> Check {
    return [=](const Field& f, double v) {
      f.check(v, open_lo ? v > lo : v >= lo, fmt::format("must be {} {}", open_lo ? ">" : ">=", lo));
      f.check(v, v <= hi, fmt::format("must be <= {}", hi));
    };
  };
  s.axes.push_back(axis(market["jump_intensity"], false, unset, range(0, 1000)));   // jumps per year
  s.axes.push_back(axis(market["jump_mean"], false, unset, [](const Field& f, double v) {
    f.check(v, std::fabs(v) <= 5, "must be in [-5, 5] (a log jump)");
  }));
  s.axes.push_back(axis(market["jump_std"], false, unset, range(0, 5)));
  s.axes.push_back(axis(market["jump_up_probability"], false, unset, range(0, 1)));
  // eta_up > 1: E[e^Y] must be finite for the compensator.
  s.axes.push_back(axis(market["eta_up"], false, unset, range(1, 1e6, true)));
  s.axes.push_back(axis(market["eta_down"], false, unset, range(0, 1e6, true)));
  s.axes.push_back(axis(market["kappa"], false, unset, range(0, 1000, true)));
  s.axes.push_back(axis(market["theta"], false, unset, range(0, 10, true)));      // variance
  s.axes.push_back(axis(market["xi"], false, unset, range(0, 10, true)));
  s.axes.push_back(axis(market["rho"], false, 0.0, range(-1, 1)));
  s.axes.push_back(axis(market["v0"], false, unset, range(0, 10)));               // variance
  s.axes.push_back(pair_axis(market["regime_volatilities"], volatility()));
  s.axes.push_back(pair_axis(market["regime_rates"], range(0, 1e4)));             // switches per year
  const Section stress = section(src, doc, "stress");
  s.axes.push_back(axis(stress["gap_time"], false, unset, range(0, 100, true)));  // years
  s.axes.push_back(axis(stress["gap_size"], false, 0.0, [](const Field& f, double v) {
    f.check(v, v > -1, "must be > -1 (a fraction of spot: -0.2 is a 20% fall)");
    f.check(v, v <= 10, "must be <= 10");
  }));
  s.axes.push_back(axis(stress["vol_shift_time"], false, unset, range(0, 100)));
  s.axes.push_back(axis(stress["vol_shift_to"], false, unset, volatility()));
  if (const Field steps = market["steps"]; steps.has()) {
    const std::int64_t n = steps.integer();
    steps.check(n, n >= 0, "must be >= 1 (or 0 for automatic)");
    s.steps = static_cast<int>(steps.check(n, n <= kMaxSteps, fmt::format("must be <= {}", kMaxSteps)));
  }

  const toml::node* book = doc.get("book");
  const toml::array* entries = book ? book->as_array() : nullptr;
  if (book && !entries)
    raise(src, "book: expected a list of [[book]] tables, got " + describe(*book));
  if (!entries || entries->empty()) raise(src, "book: at least one [[book]] option is required");
  if (entries->size() > static_cast<std::size_t>(kMaxBook))
    raise(src, fmt::format("book: at most {} [[book]] options are supported, got {}", kMaxBook, entries->size()));
  for (std::size_t i = 0; i < entries->size(); ++i)
    s.book.push_back(read_option(src, *entries->get(i), i, s.axes));

  const Section hedge = section(src, doc, "hedge"), costs = section(src, doc, "costs");
  s.axes.push_back(choice_axis(hedge["policy"], policy_names(), "time"));
  s.axes.push_back(choice_axis(hedge["model"], hedge_model_names(), "bs"));
  const Field rebalances = hedge["rebalances"];
  if (!rebalances.has() && s.steps > kMaxRebalances)
    rebalances.fail(fmt::format("must be <= {}, got {} (its default, market.steps): set it", kMaxRebalances, s.steps));
  if (!rebalances.has() && s.steps == 0)
    rebalances.fail("required key is missing (it defaults to market.steps only when that is set)");
  s.axes.push_back(axis(rebalances, true, static_cast<double>(s.steps), [](const Field& f, double v) {
    const auto n = static_cast<std::int64_t>(v);
    f.check(n, n >= 1, "must be >= 1");
    f.check(n, n <= kMaxRebalances, fmt::format("must be <= {}", kMaxRebalances));
  }));
  // The hedger's volatility defaults to the realised one, cell by cell.
  if (hedge["volatility"].has()) s.axes.push_back(axis(hedge["volatility"], false, std::nullopt, volatility()));
  else copy_axis(hedge["volatility"], "market.volatility");
  s.axes.push_back(axis(hedge["band"], false, 0.0, at_least(0)));        // delta units (shares)
  s.axes.push_back(choice_axis(hedge["to"], hedge_to_names(), "edge"));
  s.axes.push_back(axis(hedge["risk_aversion"], false, 1.0, greater(0)));
  s.axes.push_back(axis(hedge["move"], false, 0.0, at_least(0)));        // fraction of spot

  s.axes.push_back(axis(costs["proportional"], false, 0.0, fraction()));  // of traded notional
  s.axes.push_back(axis(costs["fixed"], false, 0.0, at_least(0)));        // currency per trading rebalance
  s.axes.push_back(axis(costs["half_spread"], false, 0.0, fraction()));   // fraction of spot
  s.axes.push_back(axis(costs["half_spread_per_vol"], false, 0.0, [](const Field& f, double v) {
    f.check(v, v >= 0, "must be >= 0");
    f.check(v, v <= 10, "must be <= 10");
  }));
  s.axes.push_back(axis(costs["impact_eta"], false, 0.0, at_least(0)));
  s.axes.push_back(axis(costs["volume"], false, 1e6, greater(0)));        // shares
  s.axes.push_back(axis(costs["lot"], false, 0.0, at_least(0)));          // shares; 0 = no rounding
  if (costs["on_initial"].has()) s.costs_on_initial = costs["on_initial"].boolean();
  if (costs["on_unwind"].has()) s.costs_on_unwind = costs["on_unwind"].boolean();

  const std::vector<std::string> keys = sweep_keys(s.book.size());
  if (s.axes.size() != keys.size()) throw std::logic_error("experiment: axes out of step with sweep_keys()");
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (s.axes[i].key != keys[i]) throw std::logic_error("experiment: axis " + s.axes[i].key + " where " + keys[i] + " belongs");

  // Zip groups: those written in [sweep], then a defaulted copy of a listed axis joins that axis'
  // group (a new one when it is in none).
  int n_zip = read_zip(src, doc, s, defaulted);
  for (const auto& [key, from] : defaulted) {
    SweepAxis& original = axis_of(s, from);
    if (!original.listed) continue;
    if (original.zip < 0) original.zip = n_zip++;
    axis_of(s, key).zip = original.zip;
  }

  const Section output = section(src, doc, "output");
  if (const Field f = output["histogram_bins"]; f.has()) {
    const std::int64_t n = f.integer();
    s.histogram_bins = static_cast<int>(f.check(n, n >= 1 && n <= 100'000, "must be in [1, 100000]"));
  }
  if (output["samples"].has()) s.samples = output["samples"].boolean();
  s.quantile_levels = default_quantile_levels();
  if (const Field f = output["quantiles"]; f.has()) {
    const auto* arr = f.node->as_array();
    if (!arr) f.wrong_type("a list of numbers");
    if (arr->empty()) f.fail("must not be an empty list");
    s.quantile_levels.clear();
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const Field e{arr->get(i), fmt::format("{}.{}", f.key, i), src};
      const double q = e.check(e.number(), e.number() > 0 && e.number() < 1, "must be in (0, 1)");
      if (i > 0 && q <= s.quantile_levels.back())
        e.fail(fmt::format("levels must be strictly increasing, got {} after {}", num(q),
                           num(s.quantile_levels.back())));
      s.quantile_levels.push_back(q);
    }
  }
  if (const Field f = output["loss_thresholds"]; f.has()) {
    const auto* arr = f.node->as_array();
    if (!arr) f.wrong_type("a list of numbers (losses, as positive amounts)");
    if (arr->size() > 64) f.fail(fmt::format("at most 64 thresholds, got {}", arr->size()));
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const Field e{arr->get(i), fmt::format("{}.{}", f.key, i), src};
      const double L = e.check(e.number(), e.number() >= 0, "must be >= 0 (a loss, as a positive amount)");
      if (i > 0 && L <= s.loss_thresholds.back())
        e.fail(fmt::format("thresholds must be strictly increasing, got {} after {}", num(L),
                           num(s.loss_thresholds.back())));
      s.loss_thresholds.push_back(L);
    }
  }
  if (const Field f = output["worst_paths"]; f.has()) {
    const std::int64_t k = f.integer();
    s.worst_paths = static_cast<int>(f.check(k, k >= 0 && k <= 10'000, "must be in [0, 10000]"));
  }
  if (const Field f = output["quantile_method"]; f.has()) {
    const std::string m = f.string();
    const std::vector<std::string> methods{"auto", "exact", "sketch"};
    if (std::find(methods.begin(), methods.end(), m) == methods.end())
      f.fail(fmt::format("must be one of 'auto', 'exact', 'sketch', got '{}'{}", m, did_you_mean(nearest(m, methods))));
    s.quantile_method = m;
  }
  if (const Field f = output["sketch_accuracy"]; f.has()) {
    const double a = f.number();
    s.sketch_accuracy = f.check(a, a >= kSketchAccuracyMin && a <= kSketchAccuracyMax, "must be in [1e-06, 0.05]");
  }
  if (const Field f = output["baseline"]; f.has()) {
    const std::int64_t b = f.check(f.integer(), f.integer() >= 0, "must be >= 0");
    const std::size_t cells = cell_count(s);
    if (static_cast<std::uint64_t>(b) >= cells)
      f.fail(fmt::format("must be < the number of cells ({}), got {}", cells, b));
    s.baseline = static_cast<int>(f.check(b, b <= std::numeric_limits<int>::max(), "must fit an int"));
  }
  return s;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}


// "KEY=VALUE" with VALUE read as TOML, applied to the raw document so that validation afterwards
// treats an override exactly like the same value written in the file.
void apply_override(const std::string& src, toml::table& doc, const std::string& ov) {
  auto bad = [&](const std::string& why) { raise(src, "override '" + ov + "': " + why); };
  const auto eq = ov.find('=');
  if (eq == std::string::npos) bad("expected KEY=VALUE");
  const std::string key = trim(std::string_view(ov).substr(0, eq));
  const std::string text = trim(std::string_view(ov).substr(eq + 1));
  std::vector<std::string> parts;
  for (std::size_t b = 0;;) {
    const auto e = key.find('.', b);
    parts.push_back(trim(std::string_view(key).substr(b, e == std::string::npos ? e : e - b)));
    if (parts.back().empty()) bad("malformed KEY '" + key + "'");
    if (e == std::string::npos) break;
    b = e + 1;
  }
  if (text.empty()) bad("missing VALUE after '='");

  toml::table parsed;
  try {
    parsed = toml::parse("v = " + text);
  } catch (const toml::parse_error& e) {
    // A bare word is the usual slip: the shell ate the quotes of a string.
    const bool bare = std::isalpha(static_cast<unsigned char>(text.front())) != 0 &&
                      text.find_first_of("\"'\\") == std::string::npos;
    bad(fmt::format("invalid TOML value '{}': {}{}", text, e.description(),
                    bare ? fmt::format(" (a string needs quotes, kept from the shell: '{}=\"{}\"')", key, text) : ""));
  }
  // A VALUE with a line break could smuggle in more keys; only the one value is wanted.
  if (parsed.size() != 1 || !parsed.contains("v")) bad("VALUE must be a single TOML value");
  toml::node& value = *parsed.get("v");

  toml::node* cur = &doc;
  std::string at;  // the dotted path walked so far
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const bool last = i + 1 == parts.size();
    if (auto* arr = cur->as_array()) {
      const auto idx = index_of(part);
      if (!idx) bad(fmt::format("'{}' is a list: address an element as {}.N", at, at));
      if (*idx >= arr->size())
        bad(fmt::format("index {} is out of range ('{}' has {} entries)", *idx, at, arr->size()));
      if (last) arr->replace(arr->cbegin() + static_cast<std::ptrdiff_t>(*idx), std::move(value));
      else cur = arr->get(*idx);
    } else if (auto* tbl = cur->as_table()) {
      if (last) {
        tbl->insert_or_assign(part, std::move(value));
      } else {
        if (!tbl->contains(part)) {
          if (index_of(parts[i + 1]))
            bad(fmt::format("index {} is out of range ('{}' has no entries)", parts[i + 1],
                            at.empty() ? part : at + "." + part));
          tbl->insert(part, toml::table{});
        }
        cur = tbl->get(part);
      }
    } else {
      bad(fmt::format("'{}' holds {}, not a table or a list", at, describe(*cur)));
    }
    at = at.empty() ? part : at + "." + part;
  }
}

Study parse_impl(const std::string& text, const std::string& source_name,
                 const std::vector<std::string>& overrides, const std::string& source_path) {
  const std::string src = source_name.empty() ? "<experiment>" : source_name;
  toml::table doc;
  try {
    doc = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw InputError(one_line(fmt::format("{}:{}:{}: invalid TOML: {}", src, at.line, at.column, e.description())));
  }
  for (const auto& ov : overrides) apply_override(src, doc, ov);
  std::ostringstream effective;
  effective << doc << "\n";

  check_keys(src, doc);
  std::string stem = source_path.empty() ? "" : std::filesystem::path(source_path).stem().string();
  Study s = read_study(src, doc, stem.empty() ? "study" : stem);
  s.source_path = source_path;
  s.source_text = text;
  s.effective_text = effective.str();
  s.overrides = overrides;
  return s;
}

}  // namespace

Study parse_study(const std::string& toml_text, const std::string& source_name,
                  const std::vector<std::string>& overrides) {
  return parse_impl(toml_text, source_name, overrides, "");
}

Study load_study(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) raise(path, "cannot read experiment file: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) raise(path, std::string("cannot read experiment file: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) raise(path, std::string("cannot read experiment file: ") + std::strerror(errno));
  return parse_impl(text.str(), path, overrides, path);
}

}  // namespace hl
