// The HDF5 schema is the user-facing interface: these tests read files back with the plain HDF5 C
// API and check every dataset's shape, type class and values, and the attributes.
#include <doctest/doctest.h>

#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "host/h5_writer.hpp"

namespace {
namespace fs = std::filesystem;
using hl::CellStats;

constexpr const char* kConvention =
    "P&L at maturity of the hedger's whole book: option premia received at t0, the delta hedge, "
    "cash accrued at market.rate, costs paid, option payoffs; positive is profit";

// Written independently of the writer's own table, so a missing or misnamed column fails.
struct Col {
  const char* name;
  double CellStats::*m;
};
const Col kStats[] = {
    {"premium", &CellStats::premium},         {"mean", &CellStats::mean},
    {"std", &CellStats::std},                 {"stderr_mean", &CellStats::stderr_mean},
    {"stderr_std", &CellStats::stderr_std},   {"skewness", &CellStats::skewness},
    {"kurtosis", &CellStats::kurtosis},       {"min", &CellStats::min},
    {"max", &CellStats::max},                 {"var_95", &CellStats::var_95},
    {"es_95", &CellStats::es_95},             {"var_99", &CellStats::var_99},
    {"es_99", &CellStats::es_99},             {"mean_cost", &CellStats::mean_cost},
    {"mean_trades", &CellStats::mean_trades}, {"derman_kamal_std", &CellStats::derman_kamal_std},
    {"std_cost", &CellStats::std_cost},
    {"mean_turnover_shares", &CellStats::mean_turnover_shares},
    {"mean_turnover_notional", &CellStats::mean_turnover_notional},
    {"var_95_se", &CellStats::var_95_se},     {"var_99_se", &CellStats::var_99_se},
    {"es_95_se", &CellStats::es_95_se},       {"es_99_se", &CellStats::es_99_se},
    {"diff_mean", &CellStats::diff_mean},     {"diff_mean_se", &CellStats::diff_mean_se},
    {"diff_mean_se_unpaired", &CellStats::diff_mean_se_unpaired},
    {"diff_std", &CellStats::diff_std},       {"diff_std_se", &CellStats::diff_std_se},
    {"diff_std_se_unpaired", &CellStats::diff_std_se_unpaired},
    {"bkl_std", &CellStats::bkl_std},         {"leland_volatility", &CellStats::leland_volatility},
    {"ahmad_wilmott_mean", &CellStats::ahmad_wilmott_mean},
    {"jump_residual_std", &CellStats::jump_residual_std},
    {"var_999", &CellStats::var_999},         {"var_999_se", &CellStats::var_999_se},
    {"es_999", &CellStats::es_999},           {"es_999_se", &CellStats::es_999_se},
    {"var_99_lo", &CellStats::var_99_lo},     {"var_99_hi", &CellStats::var_99_hi},
    {"var_999_lo", &CellStats::var_999_lo},   {"var_999_hi", &CellStats::var_999_hi},
    {"es_99_lo", &CellStats::es_99_lo},       {"es_99_hi", &CellStats::es_99_hi},
    {"es_999_lo", &CellStats::es_999_lo},     {"es_999_hi", &CellStats::es_999_hi},
    {"mean_jump_pnl", &CellStats::mean_jump_pnl}, {"mean_jump_pnl_se", &CellStats::mean_jump_pnl_se},
    {"std_jump_pnl", &CellStats::std_jump_pnl},
    {"mean_diffusive_pnl", &CellStats::mean_diffusive_pnl},
    {"mean_diffusive_pnl_se", &CellStats::mean_diffusive_pnl_se},
    {"std_diffusive_pnl", &CellStats::std_diffusive_pnl},
    {"mean_jumps", &CellStats::mean_jumps},
};

struct TempDir {
  fs::path dir;
  TempDir() {
    static int counter = 0;
    dir = fs::temp_directory_path() / ("hedgelab_test_hdf5_" + std::to_string(::getpid()) + "_" +
                                       std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

using hl::test::axis;

// Three axes (a listed string axis and a listed float axis zipped together, and an unlisted
// integer axis, so "listed", "integer" and "zip" cannot be confused), 3 cells, 3 quantile levels,
// 4 bins, 5 paths. Values like k/3 are not exact in float32 or in short decimal, so any lossy path
// fails the exact comparisons. The string axis' values are not 0, 1, 2 in order, and one label is
// not ASCII, so writing the index or the wrong label fails.
hl::RunResult make_result(bool samples) {
  hl::RunResult r;
  hl::Study& s = r.study;
  s.name = "unit study \xE2\x9C\x93";  // non-ASCII: checks UTF-8
  s.paths = 5;
  s.seed = 18446744073709551557ull;  // above INT64_MAX: a signed seed would fail
  s.model = "gbm";
  s.samples = samples;
  s.axes = {axis("hedge.policy", {2, 0, 1}, {"time", "band", "whalley_wilmott \xE2\x9C\x93"}, false, true, 0),
            axis("hedge.rebalances", {52}, {}, true, false, -1),
            axis("costs.proportional", {0.001, 0.0025, 1.0 / 3}, {}, false, true, 0)};
  s.source_path = "experiments/unit.toml";
  s.source_text = "[study]\nname = \"unit\"\n";
  s.effective_text = "[study]\nname = \"unit study\"\npaths = 5\n";
  s.overrides = {"study.paths=5", "study.name=\"unit study\""};
  r.quantile_levels = {0.05, 0.5, 1.0 / 3};
  for (int c = 0; c < 3; ++c) {
    r.cell_coords.push_back({s.axes[0].values[c], 52, s.axes[2].values[c]});
    CellStats st;
    int k = 0;
    for (const Col& col : kStats) st.*col.m = (c * 100 + ++k) / 3.0;
    if (c == 1) st.derman_kamal_std = st.bkl_std = std::numeric_limits<double>::quiet_NaN();
    for (int j = 0; j < 3; ++j) {
      st.quantiles.push_back((c * 10 + j) / 7.0);
      st.quantiles_lo.push_back((c * 10 + j) / 7.0 - 1.0 / 9);
      st.quantiles_hi.push_back((c * 10 + j) / 7.0 + 1.0 / 11);
    }
    for (int b = 0; b < 4; ++b) st.histogram_counts.push_back((std::uint64_t(1) << 40) + c * 4 + b);
    for (int b = 0; b <= 4; ++b) st.histogram_edges.push_back(c - 1 + b / 3.0);
    r.cells.push_back(st);
    if (samples)
      for (int p = 0; p < 5; ++p) r.samples.push_back((c * 5 + p) / 11.0 - 0.2);
  }
  r.prov = {"0.1.0", "abc123def456", "cpu", "test cpu \xC3\xA9", "fp64", 7, 12.5};
  r.baseline = 2;  // not the default 0
  return r;
}

// Minimal RAII for the reader side.
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() {
    if (id >= 0) close(id);
  }
  operator hid_t() const { return id; }
};

struct Data {
  std::vector<hsize_t> dims;
  H5T_class_t cls = H5T_NO_CLASS;
  std::size_t size = 0;
  H5T_sign_t sign = H5T_SGN_ERROR;
  std::vector<double> f;
  std::vector<std::int64_t> i;
  std::vector<std::uint64_t> u;
};

Data read(hid_t file, const std::string& name) {
  INFO("dataset ", name);
  Id ds{H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose};
  REQUIRE(ds.id >= 0);
  Id type{H5Dget_type(ds), H5Tclose}, space{H5Dget_space(ds), H5Sclose};
  REQUIRE((type.id >= 0 && space.id >= 0));
  Data d;
  d.dims.resize(std::max(0, H5Sget_simple_extent_ndims(space)));
  H5Sget_simple_extent_dims(space, d.dims.data(), nullptr);
  d.cls = H5Tget_class(type);
  d.size = H5Tget_size(type);
  hsize_t n = 1;
  for (hsize_t x : d.dims) n *= x;
  if (d.cls == H5T_FLOAT) {
    d.f.resize(n);
    REQUIRE(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.f.data()) >= 0);
  } else if (d.cls == H5T_INTEGER) {
    d.sign = H5Tget_sign(type);
    if (d.sign == H5T_SGN_NONE) {
      d.u.resize(n);
      REQUIRE(H5Dread(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.u.data()) >= 0);
    } else {
      d.i.resize(n);
      REQUIRE(H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.i.data()) >= 0);
    }
  }
  return d;
}

// A 1-D variable-length UTF-8 string dataset, read back as strings.
std::vector<std::string> read_strings(hid_t file, const std::string& name) {
  INFO("dataset ", name);
  Id ds{H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose};
  REQUIRE(ds.id >= 0);
  Id type{H5Dget_type(ds), H5Tclose}, space{H5Dget_space(ds), H5Sclose};
  REQUIRE((type.id >= 0 && space.id >= 0));
  CHECK(H5Tget_class(type) == H5T_STRING);
  CHECK(H5Tis_variable_str(type) > 0);
  CHECK(H5Tget_cset(type) == H5T_CSET_UTF8);
  REQUIRE(H5Sget_simple_extent_ndims(space) == 1);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  Id mt{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(mt, H5T_VARIABLE);
  H5Tset_cset(mt, H5T_CSET_UTF8);
  std::vector<char*> p(n, nullptr);
  REQUIRE(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) >= 0);
  std::vector<std::string> out;
  for (char* q : p) {
    out.push_back(q ? q : "<null>");
    H5free_memory(q);
  }
  return out;
}

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

void check_f64(const Data& d, std::vector<hsize_t> dims, const std::vector<double>& want) {
  CHECK(d.cls == H5T_FLOAT);
  CHECK(d.size == 8);
  CHECK(d.dims == dims);
  REQUIRE(d.f.size() == want.size());
  for (std::size_t k = 0; k < want.size(); ++k) CHECK_MESSAGE(same(d.f[k], want[k]), "element ", k);
}

std::string str_attr(hid_t file, const char* obj, const char* name) {
  INFO("attribute ", obj, " ", name);
  Id a{H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  REQUIRE(a.id >= 0);
  Id t{H5Aget_type(a), H5Tclose};
  CHECK(H5Tget_class(t) == H5T_STRING);
  CHECK(H5Tis_variable_str(t) > 0);
  CHECK(H5Tget_cset(t) == H5T_CSET_UTF8);
  Id mt{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(mt, H5T_VARIABLE);
  H5Tset_cset(mt, H5T_CSET_UTF8);
  char* p = nullptr;
  REQUIRE(H5Aread(a, mt, &p) >= 0);
  std::string s = p ? p : "<null>";
  H5free_memory(p);
  return s;
}

// Reads a numeric attribute, checking its stored class, size and signedness.
template <class T>
T num_attr(hid_t file, const char* obj, const char* name, hid_t mem_type, H5T_class_t cls, std::size_t size,
           H5T_sign_t sign = H5T_SGN_ERROR) {
  INFO("attribute ", obj, " ", name);
  Id a{H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  REQUIRE(a.id >= 0);
  Id t{H5Aget_type(a), H5Tclose};
  CHECK(H5Tget_class(t) == cls);
  CHECK(H5Tget_size(t) == size);
  if (cls == H5T_INTEGER) CHECK(H5Tget_sign(t) == sign);
  T v{};
  REQUIRE(H5Aread(a, mem_type, &v) >= 0);
  return v;
}

struct File : Id {
  explicit File(const std::string& path)
      : Id{(H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr), H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)),
           H5Fclose} {
    REQUIRE_MESSAGE(id >= 0, "cannot open ", path);
  }
};

hsize_t links(hid_t file, const char* group) {
  H5G_info_t info{};
  REQUIRE(H5Gget_info_by_name(file, group, &info, H5P_DEFAULT) >= 0);
  return info.nlinks;
}

bool no_temp_files(const fs::path& dir) {
  for (const auto& name : listing(dir))
    if (name.find(".tmp-") != std::string::npos) return false;
  return true;
}

// The message of the InputError that f throws ("" when it throws none; other types propagate).
template <class F>
std::string input_error(F f) {
  try {
    f();
  } catch (const hl::InputError& e) {
    return e.what();
  }
  return "";
}
template <class F>
std::string runtime_error(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("hdf5: the file follows the documented schema exactly") {
  TempDir tmp;
  const hl::RunResult r = make_result(true);
  const std::string path = tmp / "run.h5";
  hl::write_results_h5(r, path);
  CHECK(listing(tmp.dir) == std::vector<std::string>{"run.h5"});
  File f(path);

  // Sweep axes: named with underscores, a label per cell for string axes, int64 for integer axes,
  // with key/listed/zip attributes (and choices for string axes).
  CHECK(read_strings(f, "/cells/hedge_policy") ==
        std::vector<std::string>{"whalley_wilmott \xE2\x9C\x93", "time", "band"});
  CHECK(str_attr(f, "/cells/hedge_policy", "key") == "hedge.policy");
  CHECK(str_attr(f, "/cells/hedge_policy", "choices") == "time,band,whalley_wilmott \xE2\x9C\x93");
  CHECK(num_attr<int>(f, "/cells/hedge_policy", "listed", H5T_NATIVE_INT, H5T_INTEGER, 4, H5T_SGN_2) == 1);
  CHECK(num_attr<int>(f, "/cells/hedge_policy", "zip", H5T_NATIVE_INT, H5T_INTEGER, 4, H5T_SGN_2) == 0);
  CHECK(num_attr<int>(f, "/cells/hedge_rebalances", "zip", H5T_NATIVE_INT, H5T_INTEGER, 4, H5T_SGN_2) == -1);
  CHECK(num_attr<int>(f, "/cells/costs_proportional", "zip", H5T_NATIVE_INT, H5T_INTEGER, 4, H5T_SGN_2) == 0);
  CHECK(H5Aexists_by_name(f, "/cells/hedge_rebalances", "choices", H5P_DEFAULT) == 0);
  CHECK(H5Aexists_by_name(f, "/cells/costs_proportional", "choices", H5P_DEFAULT) == 0);
  Data reb = read(f, "/cells/hedge_rebalances");
  CHECK(reb.cls == H5T_INTEGER);
  CHECK(reb.size == 8);
  CHECK(reb.sign == H5T_SGN_2);
  CHECK(reb.dims == std::vector<hsize_t>{3});
  CHECK(reb.i == std::vector<std::int64_t>{52, 52, 52});
  check_f64(read(f, "/cells/costs_proportional"), {3}, {0.001, 0.0025, 1.0 / 3});
  CHECK(str_attr(f, "/cells/hedge_rebalances", "key") == "hedge.rebalances");
  CHECK(str_attr(f, "/cells/costs_proportional", "key") == "costs.proportional");
  CHECK(num_attr<int>(f, "/cells/hedge_rebalances", "listed", H5T_NATIVE_INT, H5T_INTEGER, 4, H5T_SGN_2) == 0);
  CHECK(num_attr<int>(f, "/cells/costs_proportional", "listed", H5T_NATIVE_INT, H5T_INTEGER, 4, H5T_SGN_2) == 1);
  CHECK(str_attr(f, "/cells", "axes") == "hedge.policy,costs.proportional");

  // CellStats columns, NaN preserved.
  for (const Col& col : kStats) {
    INFO("column ", col.name);
    std::vector<double> want;
    for (const CellStats& s : r.cells) want.push_back(s.*col.m);
    check_f64(read(f, std::string("/cells/") + col.name), {3}, want);
  }
  CHECK(std::isnan(read(f, "/cells/derman_kamal_std").f.at(1)));
  CHECK(std::isfinite(read(f, "/cells/derman_kamal_std").f.at(0)));
  CHECK(std::isnan(read(f, "/cells/bkl_std").f.at(1)));
  CHECK(std::isfinite(read(f, "/cells/bkl_std").f.at(2)));

  check_f64(read(f, "/cells/quantile_levels"), {3}, r.quantile_levels);
  std::vector<double> q, qlo, qhi, e;
  std::vector<std::uint64_t> counts;
  for (const CellStats& s : r.cells) {
    q.insert(q.end(), s.quantiles.begin(), s.quantiles.end());
    qlo.insert(qlo.end(), s.quantiles_lo.begin(), s.quantiles_lo.end());
    qhi.insert(qhi.end(), s.quantiles_hi.begin(), s.quantiles_hi.end());
    e.insert(e.end(), s.histogram_edges.begin(), s.histogram_edges.end());
    counts.insert(counts.end(), s.histogram_counts.begin(), s.histogram_counts.end());
  }
  check_f64(read(f, "/cells/quantiles"), {3, 3}, q);
  check_f64(read(f, "/cells/quantiles_lo"), {3, 3}, qlo);
  check_f64(read(f, "/cells/quantiles_hi"), {3, 3}, qhi);
  check_f64(read(f, "/cells/histogram_edges"), {3, 5}, e);
  Data hc = read(f, "/cells/histogram_counts");
  CHECK(hc.cls == H5T_INTEGER);
  CHECK(hc.size == 8);
  CHECK(hc.sign == H5T_SGN_NONE);
  CHECK(hc.dims == std::vector<hsize_t>{3, 4});
  CHECK(hc.u == counts);
  CHECK(links(f, "/cells") == 3 + std::size(kStats) + 6);  // nothing extra, nothing missing
  // No loss thresholds, worst paths or jump arrays in this result: none of their datasets.
  CHECK(H5Lexists(f, "/cells/loss_probability", H5P_DEFAULT) == 0);
  CHECK(H5Lexists(f, "worst_paths", H5P_DEFAULT) == 0);
  CHECK(H5Lexists(f, "jumps", H5P_DEFAULT) == 0);
  CHECK(links(f, "/") == 2);  // cells, samples

  // Samples: cells x paths, chunked one row per cell, shuffle + deflate.
  check_f64(read(f, "/samples/pnl"), {3, 5}, r.samples);
  {
    Id ds{H5Dopen2(f, "/samples/pnl", H5P_DEFAULT), H5Dclose};
    Id dcpl{H5Dget_create_plist(ds), H5Pclose};
    REQUIRE(dcpl.id >= 0);
    CHECK(H5Pget_layout(dcpl) == H5D_CHUNKED);
    hsize_t chunk[2] = {0, 0};
    CHECK(H5Pget_chunk(dcpl, 2, chunk) == 2);
    CHECK(chunk[0] == 1);
    CHECK(chunk[1] == 5);
    REQUIRE(H5Pget_nfilters(dcpl) == 2);
    unsigned flags = 0, level = 0;
    std::size_t nvals = 1;
    CHECK(H5Pget_filter2(dcpl, 0, &flags, nullptr, nullptr, 0, nullptr, nullptr) == H5Z_FILTER_SHUFFLE);
    CHECK(H5Pget_filter2(dcpl, 1, &flags, &nvals, &level, 0, nullptr, nullptr) == H5Z_FILTER_DEFLATE);
    CHECK(level == 4);
  }

  // Root attributes.
  CHECK(str_attr(f, "/", "version") == "0.1.0");
  CHECK(str_attr(f, "/", "git_commit") == "abc123def456");
  CHECK(str_attr(f, "/", "backend") == "cpu");
  CHECK(str_attr(f, "/", "device") == "test cpu \xC3\xA9");
  CHECK(str_attr(f, "/", "precision") == "fp64");
  CHECK(num_attr<std::uint64_t>(f, "/", "seed", H5T_NATIVE_UINT64, H5T_INTEGER, 8, H5T_SGN_NONE) ==
        18446744073709551557ull);
  CHECK(num_attr<std::int64_t>(f, "/", "paths", H5T_NATIVE_INT64, H5T_INTEGER, 8, H5T_SGN_2) == 5);
  CHECK(num_attr<std::int64_t>(f, "/", "threads", H5T_NATIVE_INT64, H5T_INTEGER, 8, H5T_SGN_2) == 7);
  CHECK(num_attr<double>(f, "/", "elapsed_seconds", H5T_NATIVE_DOUBLE, H5T_FLOAT, 8) == 12.5);
  CHECK(num_attr<std::int64_t>(f, "/", "baseline", H5T_NATIVE_INT64, H5T_INTEGER, 8, H5T_SGN_2) == 2);
  CHECK(str_attr(f, "/", "study_name") == "unit study \xE2\x9C\x93");
  CHECK(str_attr(f, "/", "model") == "gbm");
  CHECK(str_attr(f, "/", "experiment") == r.study.effective_text);
  CHECK(str_attr(f, "/", "experiment_source") == r.study.source_text);
  CHECK(str_attr(f, "/", "experiment_path") == "experiments/unit.toml");
  CHECK(str_attr(f, "/", "overrides") == "study.paths=5\nstudy.name=\"unit study\"");
  CHECK(str_attr(f, "/", "pnl_convention") == kConvention);
  const std::string created = str_attr(f, "/", "created_utc");  // e.g. 2025-01-31T12:34:56Z
  REQUIRE(created.size() == 20);
  CHECK(created[4] == '-');
  CHECK(created[10] == 'T');
  CHECK(created[13] == ':');
  CHECK(created.back() == 'Z');
  CHECK(created.substr(0, 2) == "20");
}

TEST_CASE("hdf5: overwriting replaces the file; samples absent unless present in the result") {
  TempDir tmp;
  const std::string path = tmp / "out.h5";
  { std::ofstream(path) << "not an HDF5 file"; }
  hl::write_results_h5(make_result(true), path);
  {
    File f(path);
    CHECK(H5Lexists(f, "samples", H5P_DEFAULT) > 0);
  }
  hl::RunResult r = make_result(false);
  r.study.name = "second";
  r.study.axes[0].listed = r.study.axes[2].listed = false;
  hl::write_results_h5(r, path);
  CHECK(listing(tmp.dir) == std::vector<std::string>{"out.h5"});
  File f(path);
  CHECK(H5Lexists(f, "samples", H5P_DEFAULT) == 0);
  CHECK(str_attr(f, "/", "study_name") == "second");
  CHECK(str_attr(f, "/cells", "axes") == "");  // no listed axis left
}

TEST_CASE("hdf5: check_output_path creates missing parent directories and leaves no probe") {
  TempDir tmp;
  const std::string path = tmp / "a/b/c/run.h5";
  hl::check_output_path(path);
  CHECK(fs::is_directory(tmp.dir / "a/b/c"));
  CHECK(listing(tmp.dir / "a/b/c").empty());
  CHECK_NOTHROW(hl::check_output_path(path));  // idempotent
  // A bare file name (empty parent path) means the current directory.
  const fs::path cwd = fs::current_path();
  fs::current_path(tmp.dir);
  CHECK_NOTHROW(hl::check_output_path("bare.h5"));
  fs::current_path(cwd);
  CHECK(listing(tmp.dir) == std::vector<std::string>{"a"});
}

TEST_CASE("hdf5: check_output_path rejects unusable paths with an InputError") {
  TempDir tmp;
  { std::ofstream(tmp / "afile") << "x"; }
  for (const std::string& path : {tmp / "afile/x.h5", tmp / "afile/sub/x.h5", tmp.dir.string(), tmp / "",
                                 std::string("/proc/hedgelab_test.h5"), std::string("/dev/null")}) {
    INFO("path ", path);
    const std::string msg = input_error([&] { hl::check_output_path(path); });
    CHECK(msg.rfind("output: cannot write '" + path + "': ", 0) == 0);
    CHECK(msg.find('\n') == std::string::npos);
  }
  CHECK(listing(tmp.dir) == std::vector<std::string>{"afile"});
  CHECK(fs::is_regular_file(tmp.dir / "afile"));
  CHECK_FALSE(fs::exists("/proc/hedgelab_test.h5"));
}

TEST_CASE("hdf5: a failed write throws one line and leaves no file behind") {
  TempDir tmp;
  { std::ofstream(tmp / "afile") << "x"; }
  const hl::RunResult r = make_result(true);
  for (const std::string& path : {std::string("/proc/hedgelab_test.h5"), tmp / "afile/x.h5", tmp / "nodir/x.h5"}) {
    INFO("path ", path);
    const std::string msg = runtime_error([&] { hl::write_results_h5(r, path); });
    CHECK(msg.rfind("output: cannot write '" + path + "': ", 0) == 0);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK_FALSE(fs::exists(path));
  }
  CHECK(listing(tmp.dir) == std::vector<std::string>{"afile"});

  // A failure in the middle of writing (an axis column colliding with the "mean" column), over an
  // existing good file: the temporary file is removed and the old file is untouched.
  const std::string path = tmp / "good.h5";
  hl::write_results_h5(r, path);
  hl::RunResult bad = make_result(true);
  bad.study.name = "bad";
  bad.study.axes[1].key = "mean";
  const std::string msg = runtime_error([&] { hl::write_results_h5(bad, path); });
  CHECK(msg.rfind("output: cannot write '" + path + "': ", 0) == 0);
  CHECK(msg.find("mean") != std::string::npos);
  CHECK(msg.find("already exists") != std::string::npos);  // HDF5's own reason is passed on
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(no_temp_files(tmp.dir));
  CHECK(str_attr(File(path), "/", "study_name") == r.study.name);

  // Inconsistent shapes are refused before anything is created.
  bad = make_result(true);
  bad.samples.pop_back();
  CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "short.h5"); }) != "");
  bad = make_result(false);
  bad.cells[2].histogram_edges.pop_back();
  CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "edges.h5"); }) != "");
  bad = make_result(false);
  bad.cell_coords[1].pop_back();
  CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "coords.h5"); }) != "");
  bad = make_result(false);
  bad.cells[0].quantiles_hi.pop_back();
  CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "qhi.h5"); }) != "");
  bad = make_result(false);
  bad.cells[1].quantiles_lo.push_back(0.0);
  CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "qlo.h5"); }) != "");
  for (const double v : {3.0, -1.0, 0.5}) {  // not an index into the string axis' labels
    INFO("label index ", v);
    bad = make_result(false);
    bad.cell_coords[2][0] = v;
    CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "label.h5"); }).find("hedge.policy") !=
          std::string::npos);
  }
  for (const int b : {3, -1}) {
    INFO("baseline ", b);
    bad = make_result(false);
    bad.baseline = b;
    CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "baseline.h5"); }).find("baseline") !=
          std::string::npos);
  }
  CHECK(listing(tmp.dir).size() == 2);  // afile, good.h5

  // A directory at path is refused, not replaced.
  fs::create_directory(tmp.dir / "adir");
  CHECK(runtime_error([&] { hl::write_results_h5(r, tmp / "adir"); }).find("is a directory") != std::string::npos);
  CHECK(fs::is_directory(tmp.dir / "adir"));
}

namespace {
// A 1-D float64 attribute of an object.
std::vector<double> f64_array_attr(hid_t file, const char* obj, const char* name) {
  INFO("attribute ", obj, " ", name);
  Id a{H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  REQUIRE(a.id >= 0);
  Id t{H5Aget_type(a), H5Tclose}, space{H5Aget_space(a), H5Sclose};
  CHECK(H5Tget_class(t) == H5T_FLOAT);
  CHECK(H5Tget_size(t) == 8);
  REQUIRE(H5Sget_simple_extent_ndims(space) == 1);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  std::vector<double> v(n);
  if (n > 0) REQUIRE(H5Aread(a, H5T_NATIVE_DOUBLE, v.data()) >= 0);
  return v;
}

// make_result plus loss thresholds, 2 worst paths and jump bins, with values that a transposed or
// misplaced write would not reproduce.
hl::RunResult tail_result() {
  hl::RunResult r = make_result(false);
  r.study.loss_thresholds = {0.5, 1.0 / 3, 2.0, 7.0};
  r.study.worst_paths = 2;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int c = 0; c < 3; ++c) {
    CellStats& s = r.cells[c];
    for (int t = 0; t < 4; ++t) {
      s.loss_probability.push_back((c * 4 + t) / 13.0);
      s.loss_probability_se.push_back((c * 4 + t) / 17.0);
    }
    s.worst_index = {c * 2 + 1, (std::int64_t(1) << 40) + c};
    s.worst_pnl = {-(c + 1) / 3.0, -(c + 1) / 7.0};
    for (int b = 0; b < 5; ++b) {
      s.jump_bin_count.push_back((std::uint64_t(1) << 33) + c * 5 + b);
      s.jump_bin_mean.push_back((c * 5 + b) / 9.0);
      s.jump_bin_mean_se.push_back((c * 5 + b) / 11.0);
      s.jump_bin_std.push_back((c * 5 + b) / 13.0);
    }
  }
  r.cells[1].jump_bin_count[3] = 0;  // an empty bin
  r.cells[1].jump_bin_mean[3] = r.cells[1].jump_bin_mean_se[3] = r.cells[1].jump_bin_std[3] = nan;
  return r;
}
}  // namespace

TEST_CASE("hdf5: loss probabilities, worst paths and P&L by number of jumps") {
  TempDir tmp;
  const hl::RunResult r = tail_result();
  const std::string path = tmp / "tails.h5";
  hl::write_results_h5(r, path);
  File f(path);

  std::vector<double> lp, lps, wp, mean, mean_se, sd;
  std::vector<std::int64_t> wi;
  std::vector<std::uint64_t> count;
  for (const CellStats& s : r.cells) {
    lp.insert(lp.end(), s.loss_probability.begin(), s.loss_probability.end());
    lps.insert(lps.end(), s.loss_probability_se.begin(), s.loss_probability_se.end());
    wi.insert(wi.end(), s.worst_index.begin(), s.worst_index.end());
    wp.insert(wp.end(), s.worst_pnl.begin(), s.worst_pnl.end());
    count.insert(count.end(), s.jump_bin_count.begin(), s.jump_bin_count.end());
    mean.insert(mean.end(), s.jump_bin_mean.begin(), s.jump_bin_mean.end());
    mean_se.insert(mean_se.end(), s.jump_bin_mean_se.begin(), s.jump_bin_mean_se.end());
    sd.insert(sd.end(), s.jump_bin_std.begin(), s.jump_bin_std.end());
  }
  // [cells x thresholds], each with the thresholds as an attribute.
  check_f64(read(f, "/cells/loss_probability"), {3, 4}, lp);
  check_f64(read(f, "/cells/loss_probability_se"), {3, 4}, lps);
  CHECK(f64_array_attr(f, "/cells/loss_probability", "thresholds") == r.study.loss_thresholds);
  CHECK(f64_array_attr(f, "/cells/loss_probability_se", "thresholds") == r.study.loss_thresholds);
  CHECK(links(f, "/cells") == 3 + std::size(kStats) + 6 + 2);

  // [cells x K], int64 indices, worst first.
  Data index = read(f, "/worst_paths/index");
  CHECK(index.cls == H5T_INTEGER);
  CHECK(index.size == 8);
  CHECK(index.sign == H5T_SGN_2);
  CHECK(index.dims == std::vector<hsize_t>{3, 2});
  CHECK(index.i == wi);
  check_f64(read(f, "/worst_paths/pnl"), {3, 2}, wp);
  CHECK(links(f, "/worst_paths") == 2);

  // [cells x 5] by jump count, with the bins named.
  Data c = read(f, "/jumps/count");
  CHECK(c.cls == H5T_INTEGER);
  CHECK(c.size == 8);
  CHECK(c.sign == H5T_SGN_NONE);
  CHECK(c.dims == std::vector<hsize_t>{3, 5});
  CHECK(c.u == count);
  check_f64(read(f, "/jumps/mean_pnl"), {3, 5}, mean);
  check_f64(read(f, "/jumps/mean_pnl_se"), {3, 5}, mean_se);
  check_f64(read(f, "/jumps/std_pnl"), {3, 5}, sd);
  CHECK(std::isnan(read(f, "/jumps/mean_pnl").f.at(5 + 3)));
  CHECK(str_attr(f, "/jumps", "bins") == "0,1,2,3,4+");
  CHECK(links(f, "/jumps") == 4);
  CHECK(links(f, "/") == 3);  // cells, worst_paths, jumps

  // Inconsistent shapes are refused before anything is created.
  hl::RunResult bad = tail_result();
  bad.cells[2].loss_probability.pop_back();
  CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "lp.h5"); }).find("thresholds") != std::string::npos);
  bad = tail_result();
  bad.cells[1].worst_pnl.pop_back();
  CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "worst.h5"); }).find("worst") != std::string::npos);
  bad = tail_result();
  bad.cells[0].jump_bin_std.pop_back();
  CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "jumps.h5"); }).find("jump") != std::string::npos);
  bad = tail_result();
  for (CellStats& s : bad.cells) s.jump_bin_count.pop_back(), s.jump_bin_mean.pop_back(), s.jump_bin_mean_se.pop_back(),
                                 s.jump_bin_std.pop_back();
  CHECK(runtime_error([&] { hl::write_results_h5(bad, tmp / "bins.h5"); }).find("jump bins") != std::string::npos);
  CHECK(listing(tmp.dir) == std::vector<std::string>{"tails.h5"});
}

TEST_CASE("hdf5: the quantile method and the sketch's bound are attributes") {
  TempDir tmp;
  hl::RunResult r = make_result(false);
  hl::write_results_h5(r, tmp / "exact.h5");
  {
    File f(tmp / "exact.h5");
    CHECK(str_attr(f, "/", "quantile_method") == "exact");
    CHECK(std::isnan(num_attr<double>(f, "/", "sketch_accuracy", H5T_NATIVE_DOUBLE, H5T_FLOAT, 8)));
    CHECK(str_attr(f, "/", "quantile_error_bound").rfind("exact: ", 0) == 0);
    CHECK(str_attr(f, "/cells/quantiles", "method") == "exact");
    CHECK(H5Aexists_by_name(f, "/cells/quantiles", "sketch_zero_threshold", H5P_DEFAULT) == 0);
  }
  r.quantile_method = "sketch";
  r.sketch_accuracy = 1e-4;
  for (std::size_t c = 0; c < r.cells.size(); ++c) r.cells[c].sketch_zero_threshold = 1e-9 * double(c + 1);
  hl::write_results_h5(r, tmp / "sketch.h5");
  File f(tmp / "sketch.h5");
  CHECK(str_attr(f, "/", "quantile_method") == "sketch");
  CHECK(num_attr<double>(f, "/", "sketch_accuracy", H5T_NATIVE_DOUBLE, H5T_FLOAT, 8) == 1e-4);
  const std::string bound = str_attr(f, "/", "quantile_error_bound");
  CHECK(bound.rfind("sketch of relative accuracy a = 0.0001: ", 0) == 0);
  CHECK(bound.find("a max(|x_lo|, |x_hi|) + x_min") != std::string::npos);
  CHECK(str_attr(f, "/cells/quantiles", "method") == "sketch");
  CHECK(num_attr<double>(f, "/cells/quantiles", "sketch_accuracy", H5T_NATIVE_DOUBLE, H5T_FLOAT, 8) == 1e-4);
  CHECK(f64_array_attr(f, "/cells/quantiles", "sketch_zero_threshold") ==
        std::vector<double>{r.cells[0].sketch_zero_threshold, r.cells[1].sketch_zero_threshold,
                            r.cells[2].sketch_zero_threshold});
}
