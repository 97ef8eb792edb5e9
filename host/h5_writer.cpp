#include "host/h5_writer.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <initializer_list>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace hl {
namespace {
namespace fs = std::filesystem;

constexpr const char* kPnlConvention =
    "P&L at maturity of the hedger's whole book: option premia received at t0, the delta hedge, "
    "cash accrued at market.rate, costs paid, option payoffs; positive is profit";

struct StatColumn {
  const char* name;
  double CellStats::*member;
};
constexpr StatColumn kStatColumns[] = {
    {"premium", &CellStats::premium},       {"mean", &CellStats::mean},
    {"std", &CellStats::std},               {"stderr_mean", &CellStats::stderr_mean},
    {"stderr_std", &CellStats::stderr_std}, {"skewness", &CellStats::skewness},
    {"kurtosis", &CellStats::kurtosis},     {"min", &CellStats::min},
    {"max", &CellStats::max},               {"var_95", &CellStats::var_95},
    {"es_95", &CellStats::es_95},           {"var_99", &CellStats::var_99},
    {"es_99", &CellStats::es_99},           {"mean_cost", &CellStats::mean_cost},
    {"mean_trades", &CellStats::mean_trades}, {"derman_kamal_std", &CellStats::derman_kamal_std},
    {"std_cost", &CellStats::std_cost},
    {"mean_turnover_shares", &CellStats::mean_turnover_shares},
    {"mean_turnover_notional", &CellStats::mean_turnover_notional},
    {"var_95_se", &CellStats::var_95_se},   {"var_99_se", &CellStats::var_99_se},
    {"es_95_se", &CellStats::es_95_se},     {"es_99_se", &CellStats::es_99_se},
    {"diff_mean", &CellStats::diff_mean},   {"diff_mean_se", &CellStats::diff_mean_se},
    {"diff_mean_se_unpaired", &CellStats::diff_mean_se_unpaired},
    {"diff_std", &CellStats::diff_std},     {"diff_std_se", &CellStats::diff_std_se},
    {"diff_std_se_unpaired", &CellStats::diff_std_se_unpaired},
    {"bkl_std", &CellStats::bkl_std},       {"leland_volatility", &CellStats::leland_volatility},
    {"ahmad_wilmott_mean", &CellStats::ahmad_wilmott_mean},
    {"jump_residual_std", &CellStats::jump_residual_std},
    {"var_999", &CellStats::var_999},       {"var_999_se", &CellStats::var_999_se},
    {"es_999", &CellStats::es_999},         {"es_999_se", &CellStats::es_999_se},
    {"var_99_lo", &CellStats::var_99_lo},   {"var_99_hi", &CellStats::var_99_hi},
    {"var_999_lo", &CellStats::var_999_lo}, {"var_999_hi", &CellStats::var_999_hi},
    {"es_99_lo", &CellStats::es_99_lo},     {"es_99_hi", &CellStats::es_99_hi},
    {"es_999_lo", &CellStats::es_999_lo},   {"es_999_hi", &CellStats::es_999_hi},
    {"mean_jump_pnl", &CellStats::mean_jump_pnl},
    {"mean_jump_pnl_se", &CellStats::mean_jump_pnl_se},
    {"std_jump_pnl", &CellStats::std_jump_pnl},
    {"mean_diffusive_pnl", &CellStats::mean_diffusive_pnl},
    {"mean_diffusive_pnl_se", &CellStats::mean_diffusive_pnl_se},
    {"std_diffusive_pnl", &CellStats::std_diffusive_pnl},
    {"mean_jumps", &CellStats::mean_jumps},
};

// The bins of /jumps: paths with 0, 1, 2, 3 and 4 or more random jumps.
constexpr const char* kJumpBinNames = "0,1,2,3,4+";

// The writer's temporary name; check_output_path probes with the same name so that an over-long
// file name or an unwritable directory shows up before the simulation, not after.
std::string temp_name(const std::string& path) { return fmt::format("{}.tmp-{}", path, ::getpid()); }

// Creates (or truncates) an empty file; returns 0 or the errno. Used before H5Fcreate because
// strerror gives a clearer reason than HDF5's message.
int touch(const std::string& name) {
  const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

// Why path cannot be the output file, or nullptr. A rename onto a directory fails anyway, and one
// onto a device node (running as root, "-o /dev/null") would replace it: refuse both up front.
const char* target_problem(const std::string& path) {
  if (path.empty()) return "empty path";
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (fs::is_directory(st)) return "is a directory";
  if (fs::exists(st) && !fs::is_regular_file(st)) return "exists and is not a regular file";
  if (!fs::path(path).has_filename()) return "names a directory, not a file";
  return nullptr;
}

}  // namespace

// The innermost message on HDF5's error stack (where the error was detected), on one line. The stack
// is filled even though printing is silenced.
std::string h5_reason() {
  std::string msg;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &msg);
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  return msg.empty() ? "unknown HDF5 error" : msg;
}

namespace {

// Every HDF5 call returns a negative value on failure.
template <class T>
T check(T rc, const char* call, const std::string& what) {
  if (rc < 0) throw std::runtime_error(fmt::format("{}({}): {}", call, what, h5_reason()));
  return rc;
}

// Owns an HDF5 identifier and closes it on scope exit, also while an exception unwinds.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t), const char* call, const std::string& what)
      : id_(check(id, call, what)), close_(close) {}
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  operator hid_t() const { return id_; }
  // For the file, whose close flushes everything: its failure must be reported, not ignored.
  void close(const char* call, const std::string& what) {
    const hid_t id = id_;
    id_ = -1;
    check(close_(id), call, what);
  }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// Variable-length UTF-8 so that h5py reads str, not bytes.
Handle utf8_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", "string type");
  check(H5Tset_size(t, H5T_VARIABLE), "H5Tset_size", "string type");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset", "string type");
  return t;
}

void write_attr(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, const void* value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate", name);
  Handle a(H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "H5Acreate2", name);
  check(H5Awrite(a, mem_type, value), "H5Awrite", name);
}
void attr_str(hid_t obj, const char* name, const std::string& s) {
  const Handle t = utf8_type();
  const char* p = s.c_str();
  write_attr(obj, name, t, t, &p);
}
void attr_i64(hid_t obj, const char* name, std::int64_t v) { write_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v); }
void attr_u64(hid_t obj, const char* name, std::uint64_t v) { write_attr(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v); }
void attr_f64(hid_t obj, const char* name, double v) { write_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v); }
void attr_i32(hid_t obj, const char* name, int v) { write_attr(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v); }
// A 1-D float64 attribute (an empty one for an empty v).
void attr_f64_array(hid_t obj, const char* name, const std::vector<double>& v) {
  const hsize_t dims[1] = {v.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple", name);
  Handle a(H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "H5Acreate2", name);
  if (!v.empty()) check(H5Awrite(a, H5T_NATIVE_DOUBLE, v.data()), "H5Awrite", name);
}

// A dataset of the given shape from contiguous row-major data; returned open so attributes can be added.
Handle dataset(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type, const void* data,
               std::initializer_list<hsize_t> dims, hid_t dcpl = H5P_DEFAULT) {
  Handle space(H5Screate_simple(int(dims.size()), dims.begin(), nullptr), H5Sclose, "H5Screate_simple", name);
  Handle ds(H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
            "H5Dcreate2", name);
  hsize_t n = 1;
  for (hsize_t d : dims) n *= d;
  if (n > 0) check(H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite", name);
  return ds;
}
void dataset_f64(hid_t loc, const std::string& name, const std::vector<double>& v, std::initializer_list<hsize_t> dims) {
  dataset(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v.data(), dims);
}

// Inconsistent shapes are a bug upstream; catch them before a file is created.
void validate(const RunResult& r) {
  const std::size_t n = r.cells.size(), bins = n ? r.cells[0].histogram_counts.size() : 0;
  if (r.cell_coords.size() != n)
    throw std::runtime_error(fmt::format("{} cell coordinates for {} cells", r.cell_coords.size(), n));
  for (std::size_t c = 0; c < n; ++c) {
    const CellStats& s = r.cells[c];
    const std::size_t levels = r.quantile_levels.size();
    if (r.cell_coords[c].size() != r.study.axes.size() || s.quantiles.size() != levels ||
        s.quantiles_lo.size() != levels || s.quantiles_hi.size() != levels || s.histogram_counts.size() != bins ||
        s.histogram_edges.size() != bins + 1)
      throw std::runtime_error(fmt::format("cell {}: coordinates, quantiles or histogram of the wrong size", c));
    for (std::size_t a = 0; a < r.study.axes.size(); ++a) {
      const SweepAxis& ax = r.study.axes[a];
      const double v = r.cell_coords[c][a];
      if (!ax.labels.empty() && !(v >= 0 && v < double(ax.labels.size()) && v == std::floor(v)))
        throw std::runtime_error(fmt::format("cell {}: {} = {} is not a choice index (0..{})", c, ax.key, v,
                                             ax.labels.size() - 1));
    }
  }
  // The tail and attribution arrays: the same length in every cell.
  const std::size_t thresholds = r.study.loss_thresholds.size(), worst = n ? r.cells[0].worst_index.size() : 0,
                    jump_bins = n ? r.cells[0].jump_bin_count.size() : 0;
  if (jump_bins != 0 && jump_bins != std::size_t(CellStats::kJumpBins))
    throw std::runtime_error(fmt::format("{} jump bins, not {}", jump_bins, CellStats::kJumpBins));
  for (std::size_t c = 0; c < n; ++c) {
    const CellStats& s = r.cells[c];
    if (s.loss_probability.size() != thresholds || s.loss_probability_se.size() != thresholds)
      throw std::runtime_error(fmt::format("cell {}: loss probabilities for {} thresholds, not {}", c,
                                           s.loss_probability.size(), thresholds));
    if (s.worst_index.size() != worst || s.worst_pnl.size() != worst)
      throw std::runtime_error(fmt::format("cell {}: {} worst paths ({} P&L), not {}", c, s.worst_index.size(),
                                           s.worst_pnl.size(), worst));
    if (s.jump_bin_count.size() != jump_bins || s.jump_bin_mean.size() != jump_bins ||
        s.jump_bin_mean_se.size() != jump_bins || s.jump_bin_std.size() != jump_bins)
      throw std::runtime_error(fmt::format("cell {}: jump bins of the wrong size", c));
  }
  if (n > 0 && (r.baseline < 0 || std::size_t(r.baseline) >= n))
    throw std::runtime_error(fmt::format("baseline cell {} of {} cells", r.baseline, n));
  if (!r.samples.empty() && (r.study.paths <= 0 || r.samples.size() != n * std::size_t(r.study.paths)))
    throw std::runtime_error(fmt::format("{} samples for {} cells x {} paths", r.samples.size(), n, r.study.paths));
  if (!r.samples_cost.empty() && r.samples_cost.size() != r.samples.size())
    throw std::runtime_error(fmt::format("{} cost samples for {} P&L samples", r.samples_cost.size(), r.samples.size()));
}

// What the quantile method guarantees, in words (the root attribute quantile_error_bound).
std::string quantile_error_bound(const RunResult& r) {
  if (r.quantile_method != "sketch")
    return "exact: quantiles (type 7), their intervals, VaR, ES and the histogram from the sorted P&L of every path";
  return fmt::format(
      "sketch of relative accuracy a = {}: a quantile (type 7, between the order statistics x_lo and x_hi) lies "
      "within a max(|x_lo|, |x_hi|) + x_min of the exact one, and so does VaR; each order statistic (quantiles_lo, "
      "quantiles_hi, the VaR intervals) within a |x| + x_min; an ES within a mean(|x|) over its tail + x_min; "
      "histogram counts are exact but for values within a |x| + x_min of a bin edge; x_min is each cell's "
      "/cells/quantiles attribute sketch_zero_threshold; min, max, moments, loss probabilities and worst paths "
      "are exact",
      r.sketch_accuracy);
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_file(const RunResult& r, const std::string& file_name) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate", "file access");
#if H5_VERSION_GE(1, 10, 7)
  // Lock as usual, but do not fail on file systems without locking (NFS, Lustre).
  check(H5Pset_file_locking(fapl, true, true), "H5Pset_file_locking", file_name);
#endif
  Handle file(H5Fcreate(file_name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, "H5Fcreate", file_name);
  const hsize_t n = r.cells.size();
  {
    Handle cells(H5Gcreate2(file, "cells", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "H5Gcreate2", "cells");
    std::vector<double> col(n);
    std::vector<std::string> listed;
    for (std::size_t a = 0; a < r.study.axes.size(); ++a) {
      const SweepAxis& ax = r.study.axes[a];
      std::string name = ax.key;
      std::replace(name.begin(), name.end(), '.', '_');  // a dot is legal in HDF5 but awkward in pandas/xarray
      for (std::size_t c = 0; c < n; ++c) col[c] = r.cell_coords[c][a];
      std::vector<std::int64_t> icol(n);
      for (std::size_t c = 0; c < n; ++c) icol[c] = std::llround(col[c]);
      // A string axis (hedge.policy): each cell's label, variable-length UTF-8 (str in h5py).
      std::vector<const char*> scol(n);
      for (std::size_t c = 0; !ax.labels.empty() && c < n; ++c) scol[c] = ax.labels[std::size_t(col[c])].c_str();
      const Handle str_type = utf8_type();
      Handle ds = !ax.labels.empty() ? dataset(cells, name, str_type, str_type, scol.data(), {n})
                  : ax.integer       ? dataset(cells, name, H5T_STD_I64LE, H5T_NATIVE_INT64, icol.data(), {n})
                                     : dataset(cells, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, col.data(), {n});
      attr_str(ds, "key", ax.key);
      attr_i32(ds, "listed", ax.listed ? 1 : 0);
      attr_i32(ds, "zip", ax.zip);
      if (!ax.labels.empty()) attr_str(ds, "choices", fmt::format("{}", fmt::join(ax.labels, ",")));
      if (ax.listed) listed.push_back(ax.key);
    }
    attr_str(cells, "axes", fmt::format("{}", fmt::join(listed, ",")));

    for (const StatColumn& sc : kStatColumns) {
      for (std::size_t c = 0; c < n; ++c) col[c] = r.cells[c].*sc.member;
      dataset_f64(cells, sc.name, col, {n});
    }

    const hsize_t levels = r.quantile_levels.size(), bins = n ? r.cells[0].histogram_counts.size() : 0;
    std::vector<double> quantiles, quantiles_lo, quantiles_hi, edges;
    std::vector<std::uint64_t> counts;
    for (const CellStats& s : r.cells) {
      quantiles.insert(quantiles.end(), s.quantiles.begin(), s.quantiles.end());
      quantiles_lo.insert(quantiles_lo.end(), s.quantiles_lo.begin(), s.quantiles_lo.end());
      quantiles_hi.insert(quantiles_hi.end(), s.quantiles_hi.begin(), s.quantiles_hi.end());
      counts.insert(counts.end(), s.histogram_counts.begin(), s.histogram_counts.end());
      edges.insert(edges.end(), s.histogram_edges.begin(), s.histogram_edges.end());
    }
    dataset_f64(cells, "quantile_levels", r.quantile_levels, {levels});
    {
      // How the quantiles were computed, and the sketch's zero threshold per cell (README, "Scale").
      Handle q = dataset(cells, "quantiles", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, quantiles.data(), {n, levels});
      attr_str(q, "method", r.quantile_method);
      if (r.quantile_method == "sketch") {
        std::vector<double> zero(n);
        for (std::size_t c = 0; c < n; ++c) zero[c] = r.cells[c].sketch_zero_threshold;
        attr_f64(q, "sketch_accuracy", r.sketch_accuracy);
        attr_f64_array(q, "sketch_zero_threshold", zero);
      }
    }
    dataset_f64(cells, "quantiles_lo", quantiles_lo, {n, levels});
    dataset_f64(cells, "quantiles_hi", quantiles_hi, {n, levels});
    dataset(cells, "histogram_counts", H5T_STD_U64LE, H5T_NATIVE_UINT64, counts.data(), {n, bins});
    dataset_f64(cells, "histogram_edges", edges, {n, bins + 1});

    // P(loss > L) = P(pnl < -L) for each output.loss_thresholds L: [cells x thresholds], only with thresholds.
    const std::vector<double>& thresholds = r.study.loss_thresholds;
    if (!thresholds.empty()) {
      const hsize_t t = thresholds.size();
      std::vector<double> prob, prob_se;
      for (const CellStats& s : r.cells) {
        prob.insert(prob.end(), s.loss_probability.begin(), s.loss_probability.end());
        prob_se.insert(prob_se.end(), s.loss_probability_se.begin(), s.loss_probability_se.end());
      }
      Handle lp = dataset(cells, "loss_probability", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, prob.data(), {n, t});
      attr_f64_array(lp, "thresholds", thresholds);
      Handle lps = dataset(cells, "loss_probability_se", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, prob_se.data(), {n, t});
      attr_f64_array(lps, "thresholds", thresholds);
    }
  }
  // The worst paths of each cell, worst first (ties by lower path index): [cells x K].
  if (n > 0 && !r.cells[0].worst_index.empty()) {
    Handle g(H5Gcreate2(file, "worst_paths", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "H5Gcreate2",
             "worst_paths");
    const hsize_t k = r.cells[0].worst_index.size();
    std::vector<std::int64_t> index;
    std::vector<double> pnl;
    for (const CellStats& s : r.cells) {
      index.insert(index.end(), s.worst_index.begin(), s.worst_index.end());
      pnl.insert(pnl.end(), s.worst_pnl.begin(), s.worst_pnl.end());
    }
    dataset(g, "index", H5T_STD_I64LE, H5T_NATIVE_INT64, index.data(), {n, k});
    dataset_f64(g, "pnl", pnl, {n, k});
    attr_str(g, "order", "worst (lowest P&L) first, ties by lower path index; index is the 0-based path "
                         "(hedgelab trace --path INDEX --cell ROW)");
  }
  // P&L by the number of random jumps on the path: [cells x 5], only for a run with jumps or gaps.
  if (n > 0 && !r.cells[0].jump_bin_count.empty()) {
    Handle g(H5Gcreate2(file, "jumps", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "H5Gcreate2", "jumps");
    const hsize_t b = CellStats::kJumpBins;
    std::vector<std::uint64_t> count;
    std::vector<double> mean, mean_se, sd;
    for (const CellStats& s : r.cells) {
      count.insert(count.end(), s.jump_bin_count.begin(), s.jump_bin_count.end());
      mean.insert(mean.end(), s.jump_bin_mean.begin(), s.jump_bin_mean.end());
      mean_se.insert(mean_se.end(), s.jump_bin_mean_se.begin(), s.jump_bin_mean_se.end());
      sd.insert(sd.end(), s.jump_bin_std.begin(), s.jump_bin_std.end());
    }
    dataset(g, "count", H5T_STD_U64LE, H5T_NATIVE_UINT64, count.data(), {n, b});
    dataset_f64(g, "mean_pnl", mean, {n, b});
    dataset_f64(g, "mean_pnl_se", mean_se, {n, b});
    dataset_f64(g, "std_pnl", sd, {n, b});
    attr_str(g, "bins", kJumpBinNames);
    attr_str(g, "empty_bins", "count 0 and NaN statistics; a bin of one path has NaN std_pnl and mean_pnl_se");
  }
  if (!r.samples.empty()) {
    Handle samples(H5Gcreate2(file, "samples", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "H5Gcreate2", "samples");
    const hsize_t paths = hsize_t(r.study.paths);
    // One chunk row per cell: reading one cell's P&L touches only its own chunks.
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate", "samples/pnl");
    const hsize_t chunk[2] = {1, std::min<hsize_t>(paths, 65536)};
    check(H5Pset_chunk(dcpl, 2, chunk), "H5Pset_chunk", "samples/pnl");
    check(H5Pset_shuffle(dcpl), "H5Pset_shuffle", "samples/pnl");
    check(H5Pset_deflate(dcpl, 4), "H5Pset_deflate", "samples/pnl");
    dataset(samples, "pnl", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, r.samples.data(), {n, paths}, dcpl);
    if (!r.samples_cost.empty())
      dataset(samples, "cost", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, r.samples_cost.data(), {n, paths}, dcpl);
  }

  const Study& s = r.study;
  const Provenance& p = r.prov;
  attr_str(file, "version", p.version);
  attr_str(file, "git_commit", p.git_commit);
  attr_str(file, "backend", p.backend);
  attr_str(file, "device", p.device);
  attr_str(file, "precision", p.precision);
  attr_u64(file, "seed", s.seed);
  attr_i64(file, "paths", s.paths);
  attr_i64(file, "threads", p.threads);
  attr_f64(file, "elapsed_seconds", p.elapsed_seconds);
  attr_i64(file, "baseline", r.baseline);
  attr_str(file, "study_name", s.name);
  attr_str(file, "model", s.model);
  attr_str(file, "experiment", s.effective_text);
  attr_str(file, "experiment_source", s.source_text);
  attr_str(file, "experiment_path", s.source_path);
  attr_str(file, "overrides", fmt::format("{}", fmt::join(s.overrides, "\n")));
  attr_str(file, "created_utc", utc_now());
  attr_str(file, "pnl_convention", kPnlConvention);
  attr_str(file, "quantile_method", r.quantile_method);
  attr_f64(file, "sketch_accuracy", r.sketch_accuracy);
  attr_str(file, "quantile_error_bound", quantile_error_bound(r));
  file.close("H5Fclose", file_name);
}

// Data on disk before the rename makes the file visible under its final name.
void sync_file(const std::string& name) {
  const int fd = ::open(name.c_str(), O_RDONLY);
  const bool ok = fd >= 0 && ::fsync(fd) == 0;
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (!ok) throw std::runtime_error(fmt::format("fsync: {}", std::strerror(err)));
}

}  // namespace

void check_output_path(const std::string& path) {
  auto fail = [&](const std::string& why) {
    throw InputError(fmt::format("output: cannot write '{}': {}", path, why));
  };
  if (const char* why = target_problem(path)) fail(why);
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) fail(fmt::format("'{}' is not a directory", dir.string()));
    fs::create_directories(dir, ec);
    if (ec) fail(fmt::format("cannot create directory '{}': {}", dir.string(), ec.message()));
  }
  const std::string probe = temp_name(path);
  if (const int err = touch(probe)) fail(std::strerror(err));
  ::unlink(probe.c_str());
}

void write_results_h5(const RunResult& r, const std::string& path) {
  const std::string tmp = temp_name(path);
  try {
    if (const char* why = target_problem(path)) throw std::runtime_error(why);
    validate(r);
    check(H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr), "H5Eset_auto2", "");  // we report errors, in one line
    if (const int err = touch(tmp)) throw std::runtime_error(fmt::format("cannot create '{}': {}", tmp, std::strerror(err)));
    write_file(r, tmp);
    sync_file(tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw std::runtime_error(fmt::format("rename from '{}': {}", tmp, std::strerror(errno)));
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    std::string why = e.what();
    std::replace(why.begin(), why.end(), '\n', ' ');
    throw std::runtime_error(fmt::format("output: cannot write '{}': {}", path, why));
  }
}

}  // namespace hl
