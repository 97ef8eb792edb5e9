#include "host/table.hpp"
#include "host/h5_writer.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "host/study.hpp"
#include "host/text.hpp"  // InputError

namespace hl {
namespace {
namespace fs = std::filesystem;

// The standard error printed with a statistic, where the file has it.
const char* se_column_of(const std::string& name) {
  static const std::pair<const char*, const char*> kPairs[] = {
      {"mean", "stderr_mean"},   {"std", "stderr_std"},     {"var_95", "var_95_se"},
      {"var_99", "var_99_se"},   {"es_95", "es_95_se"},     {"es_99", "es_99_se"},
      {"var_999", "var_999_se"}, {"es_999", "es_999_se"},
      {"diff_mean", "diff_mean_se"}, {"diff_std", "diff_std_se"},
      {"mean_jump_pnl", "mean_jump_pnl_se"}, {"mean_diffusive_pnl", "mean_diffusive_pnl_se"},
  };
  for (const auto& [stat, se] : kPairs)
    if (name == stat) return se;
  return nullptr;
}



std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = s.find(sep, start);
    std::string part = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const std::size_t a = part.find_first_not_of(" \t"), b = part.find_last_not_of(" \t");
    parts.push_back(a == std::string::npos ? std::string() : part.substr(a, b - a + 1));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// ---- HDF5 reading -------------------------------------------------------------------------------


// Owns an HDF5 identifier; closes it on scope exit, also while an exception unwinds.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      if (id_ >= 0) close_(id_);
      id_ = std::exchange(o.id_, -1);
      close_ = o.close_;
    }
    return *this;
  }
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// One column of /cells as read: numbers (float), whole numbers (integer) or labels (string).
struct ColumnData {
  enum Kind { kFloat, kInteger, kText } kind = kFloat;
  std::vector<double> f;
  std::vector<long long> i;
  std::vector<std::string> s;
};

// Reads a hedgelab results file; every failure is an InputError that names the file.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)), fapl_(-1, H5Pclose), file_(-1, H5Fclose) {}

  [[noreturn]] void fail(const std::string& what) const { throw InputError(fmt::format("'{}': {}", path_, what)); }

  template <class T>
  T check(T rc, const char* call, const std::string& what) const {
    if (rc < 0) fail(fmt::format("cannot read {}: {} failed: {}", what, call, h5_reason()));
    return rc;
  }
  Handle own(hid_t id, herr_t (*close)(hid_t), const char* call, const std::string& what) const {
    check(id, call, what);
    return Handle(id, close);
  }

  void open() {
    std::error_code ec;
    const auto st = fs::status(path_, ec);
    if (!fs::exists(st)) fail("no such file");
    if (fs::is_directory(st)) fail("is a directory, not a results file");
    {
      std::ifstream probe(path_, std::ios::binary);
      if (!probe) fail(fmt::format("cannot read: {}", std::strerror(errno)));
    }
    check(H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr), "H5Eset_auto2", "the file");  // we report, in one line
    fapl_ = own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate", "the file");
#if H5_VERSION_GE(1, 10, 7)
    // Lock as usual, but do not fail on file systems without locking (NFS, Lustre).
    check(H5Pset_file_locking(fapl_, true, true), "H5Pset_file_locking", "the file");
#endif
#if H5_VERSION_GE(1, 12, 0)
    const htri_t is_h5 = H5Fis_accessible(path_.c_str(), fapl_);
#else
    const htri_t is_h5 = H5Fis_hdf5(path_.c_str());
#endif
    if (is_h5 <= 0) fail("not an HDF5 file");
    file_ = own(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, fapl_), H5Fclose, "H5Fopen", "the file");
  }

  hid_t file() const { return file_; }

  bool has_link(hid_t loc, const char* name, const std::string& what) const {
    return check(H5Lexists(loc, name, H5P_DEFAULT), "H5Lexists", what) > 0;
  }
  bool has_attr(hid_t obj, const char* name, const std::string& what) const {
    return check(H5Aexists(obj, name), "H5Aexists", what) > 0;
  }

  // The names of the links in a group, in name order.
  std::vector<std::string> link_names(hid_t group, const std::string& what) const {
    H5G_info_t info{};
    check(H5Gget_info(group, &info), "H5Gget_info", what);
    std::vector<std::string> names;
    for (hsize_t k = 0; k < info.nlinks; ++k) {
      const ssize_t len = check(H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, k, nullptr, 0, H5P_DEFAULT),
                                "H5Lget_name_by_idx", what);
      std::vector<char> buf(std::size_t(len) + 1, '\0');
      check(H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, k, buf.data(), buf.size(), H5P_DEFAULT),
            "H5Lget_name_by_idx", what);
      names.emplace_back(buf.data(), std::size_t(len));
    }
    return names;
  }

  // A memory type for reading strings of file type ft: variable length, or fixed of the same size.
  Handle string_mem_type(hid_t ft, bool variable, const std::string& what) const {
    Handle mt = own(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", what);
    const std::size_t size = variable ? H5T_VARIABLE : H5Tget_size(ft);
    if (size == 0) fail(fmt::format("cannot read {}: H5Tget_size failed: {}", what, h5_reason()));
    check(H5Tset_size(mt, size), "H5Tset_size", what);
    check(H5Tset_cset(mt, check(H5Tget_cset(ft), "H5Tget_cset", what)), "H5Tset_cset", what);
    if (!variable) check(H5Tset_strpad(mt, check(H5Tget_strpad(ft), "H5Tget_strpad", what)), "H5Tset_strpad", what);
    return mt;
  }
  // A fixed-length string as stored: up to the first NUL, without space padding.
  static std::string fixed_string(const char* p, std::size_t size, H5T_str_t pad) {
    std::string s(p, strnlen(p, size));
    if (pad == H5T_STR_SPACEPAD) s.erase(s.find_last_not_of(' ') + 1);
    return s;
  }

  // A scalar string attribute.
  std::string str_attr(hid_t obj, const char* name, const std::string& what) const {
    Handle a = own(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, "H5Aopen", what);
    Handle ft = own(H5Aget_type(a), H5Tclose, "H5Aget_type", what);
    if (check(H5Tget_class(ft), "H5Tget_class", what) != H5T_STRING) fail(what + " is not a string");
    Handle space = own(H5Aget_space(a), H5Sclose, "H5Aget_space", what);
    if (check(H5Sget_simple_extent_npoints(space), "H5Sget_simple_extent_npoints", what) != 1)
      fail(what + " is not a single string");
    const bool variable = check(H5Tis_variable_str(ft), "H5Tis_variable_str", what) > 0;
    Handle mt = string_mem_type(ft, variable, what);
    if (variable) {
      char* p = nullptr;
      check(H5Aread(a, mt, &p), "H5Aread", what);
      std::string s = p ? p : "";
      H5free_memory(p);
      return s;
    }
    std::vector<char> buf(H5Tget_size(mt) + 1, '\0');
    check(H5Aread(a, mt, buf.data()), "H5Aread", what);
    return fixed_string(buf.data(), buf.size() - 1, H5Tget_strpad(mt));
  }

  // A scalar whole-number attribute, as read into mem_type (a native 64-bit integer type).
  template <class T>
  T int_attr(hid_t obj, const char* name, hid_t mem_type, const std::string& what) const {
    Handle a = own(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, "H5Aopen", what);
    Handle ft = own(H5Aget_type(a), H5Tclose, "H5Aget_type", what);
    if (check(H5Tget_class(ft), "H5Tget_class", what) != H5T_INTEGER) fail(what + " is not an integer");
    T v{};
    check(H5Aread(a, mem_type, &v), "H5Aread", what);
    return v;
  }

  // The shape of a dataset: its extents (rank = size).
  std::vector<hsize_t> shape(hid_t ds, const std::string& what) const {
    Handle space = own(H5Dget_space(ds), H5Sclose, "H5Dget_space", what);
    const int rank = check(H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims", what);
    std::vector<hsize_t> dims(std::size_t(rank), 0);
    if (rank > 0) check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), "H5Sget_simple_extent_dims", what);
    return dims;
  }

  // Whether /cells/<name> is a dataset of one value per cell (n cells).
  bool per_cell(hid_t cells, const std::string& name, hsize_t n) const {
    if (name == "quantile_levels") return false;  // one value per level, whatever their number
    const std::string what = "/cells/" + name;
    Handle obj = own(H5Oopen(cells, name.c_str(), H5P_DEFAULT), H5Oclose, "H5Oopen", what);
    if (check(H5Iget_type(obj), "H5Iget_type", what) != H5I_DATASET) return false;
    return shape(obj, what) == std::vector<hsize_t>{n};
  }

  // /cells/<name>, one value per cell.
  ColumnData column(hid_t cells, const std::string& name, hsize_t n) const {
    const std::string what = "/cells/" + name;
    Handle ds = own(H5Dopen2(cells, name.c_str(), H5P_DEFAULT), H5Dclose, "H5Dopen2", what);
    if (shape(ds, what) != std::vector<hsize_t>{n}) fail(what + " is not one value per cell");
    Handle ft = own(H5Dget_type(ds), H5Tclose, "H5Dget_type", what);
    ColumnData c;
    switch (check(H5Tget_class(ft), "H5Tget_class", what)) {
      case H5T_FLOAT:
        c.kind = ColumnData::kFloat;
        c.f.resize(n);
        if (n > 0) check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.f.data()), "H5Dread", what);
        return c;
      case H5T_INTEGER:
        c.kind = ColumnData::kInteger;
        c.i.resize(n);
        if (n > 0) check(H5Dread(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.i.data()), "H5Dread", what);
        return c;
      case H5T_STRING: {
        c.kind = ColumnData::kText;
        const bool variable = check(H5Tis_variable_str(ft), "H5Tis_variable_str", what) > 0;
        Handle mt = string_mem_type(ft, variable, what);
        if (n == 0) return c;
        if (variable) {
          std::vector<char*> p(n, nullptr);
          const herr_t rc = H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data());
          for (char* q : p) {
            if (rc >= 0) c.s.push_back(q ? q : "");
            H5free_memory(q);
          }
          check(rc, "H5Dread", what);
        } else {
          const std::size_t size = H5Tget_size(mt);
          std::vector<char> buf(n * size + 1, '\0');
          check(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "H5Dread", what);
          const H5T_str_t pad = H5Tget_strpad(mt);
          for (hsize_t k = 0; k < n; ++k) c.s.push_back(fixed_string(buf.data() + k * size, size, pad));
        }
        return c;
      }
      default: fail(what + " is neither numbers nor strings");
    }
  }

 private:
  std::string path_;
  Handle fapl_, file_;
};

// ---- the table ----------------------------------------------------------------------------------

// A column of the printed table.
struct Column {
  enum Kind { kText, kInteger, kAxisNumber, kStat } kind = kStat;
  std::string header, se_header;  // se_header: "" when printed without a standard error
  std::vector<std::string> text;  // kText, kInteger: as printed (before escaping)
  std::vector<double> v, se;      // kAxisNumber, kStat; se only with a se_header
};

struct Table {
  std::string study;  // "" when the file does not say
  std::optional<std::int64_t> paths;
  std::optional<std::uint64_t> seed;
  std::size_t rows = 0;
  std::vector<Column> cols;
  bool any_se() const {
    return std::any_of(cols.begin(), cols.end(), [](const Column& c) { return !c.se_header.empty(); });
  }
};

Column from_data(std::string header, ColumnData d, bool axis) {
  Column c;
  c.header = std::move(header);
  switch (d.kind) {
    case ColumnData::kText:
      c.kind = Column::kText;
      c.text = std::move(d.s);
      break;
    case ColumnData::kInteger:
      c.kind = Column::kInteger;
      for (long long x : d.i) c.text.push_back(fmt::format("{}", x));
      break;
    case ColumnData::kFloat:
      c.kind = axis ? Column::kAxisNumber : Column::kStat;
      c.v = std::move(d.f);
      break;
  }
  return c;
}

Table read_table(const std::string& path, const std::vector<std::string>& wanted) {
  Reader rd(path);
  rd.open();
  if (!rd.has_link(rd.file(), "cells", "/cells")) rd.fail("not a hedgelab results file (no /cells)");
  Handle cells = rd.own(H5Oopen(rd.file(), "cells", H5P_DEFAULT), H5Oclose, "H5Oopen", "/cells");
  if (rd.check(H5Iget_type(cells), "H5Iget_type", "/cells") != H5I_GROUP)
    rd.fail("not a hedgelab results file (/cells is not a group)");
  const std::vector<std::string> names = rd.link_names(cells, "/cells");
  auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  if (!has("mean")) rd.fail("not a hedgelab results file (no /cells/mean)");
  if (!rd.has_attr(cells, "axes", "/cells")) rd.fail("not a hedgelab results file (no /cells attribute 'axes')");

  Table t;
  {
    Handle mean = rd.own(H5Dopen2(cells, "mean", H5P_DEFAULT), H5Dclose, "H5Dopen2", "/cells/mean");
    const std::vector<hsize_t> dims = rd.shape(mean, "/cells/mean");
    if (dims.size() != 1) rd.fail("not a hedgelab results file (/cells/mean is not one value per cell)");
    t.rows = dims[0];
  }
  const hsize_t n = t.rows;

  // Check every requested column before reading any, so that a typo is reported first.
  for (const std::string& name : wanted) {
    if (has(name) && rd.per_cell(cells, name, n)) continue;
    if (has(name)) rd.fail(fmt::format("--columns: '{}' is not a per-cell column (one value per cell)", name));
    std::vector<std::string> known;
    for (const std::string& k : names)
      if (rd.per_cell(cells, k, n)) known.push_back(k);
    const std::string hint = nearest(name, known);
    rd.fail(hint.empty() ? fmt::format("--columns: unknown column '{}' (columns: {})", name, fmt::join(known, ", "))
                         : fmt::format("--columns: unknown column '{}' (did you mean '{}'?)", name, hint));
  }

  const std::string axes = rd.str_attr(cells, "axes", "/cells attribute 'axes'");
  if (!axes.empty())
    for (const std::string& key : split(axes, ',')) {
      std::string name = key;
      std::replace(name.begin(), name.end(), '.', '_');
      if (key.empty() || !has(name))
        rd.fail(fmt::format("not a hedgelab results file (no /cells column for the axis '{}')", key));
      t.cols.push_back(from_data(key, rd.column(cells, name, n), true));
    }
  for (const std::string& name : wanted) {
    Column c = from_data(name, rd.column(cells, name, n), false);
    const char* se = se_column_of(name);
    if (c.kind == Column::kStat && se && has(se) && rd.per_cell(cells, se, n)) {
      ColumnData d = rd.column(cells, se, n);
      if (d.kind == ColumnData::kFloat) {
        c.se_header = name + "_se";
        c.se = std::move(d.f);
      }
    }
    t.cols.push_back(std::move(c));
  }

  const hid_t root = rd.file();
  if (rd.has_attr(root, "study_name", "root attributes")) t.study = rd.str_attr(root, "study_name", "attribute study_name");
  if (rd.has_attr(root, "paths", "root attributes"))
    t.paths = rd.int_attr<std::int64_t>(root, "paths", H5T_NATIVE_INT64, "attribute paths");
  if (rd.has_attr(root, "seed", "root attributes"))
    t.seed = rd.int_attr<std::uint64_t>(root, "seed", H5T_NATIVE_UINT64, "attribute seed");
  return t;
}

// ---- rendering ----------------------------------------------------------------------------------

enum class Format { kMarkdown, kLatex, kCsv };

constexpr const char* kDash = "\xE2\x80\x93";  // "–", NaN in markdown and LaTeX
constexpr const char* kPlusMinus = "\xC2\xB1";  // "±"

// A statistic with `digits` decimals; no "-0.0000" for a tiny negative.
std::string fixed(double v, int digits) {
  std::string s = fmt::format("{:.{}f}", v, digits);
  if (s[0] == '-' && s.find_first_not_of("0.", 1) == std::string::npos) s.erase(0, 1);
  return s;
}

// A sweep coordinate: as short as it reads (0.2, 100, 0.0005, 1e+06).
std::string coordinate(double v) { return fmt::format("{:.6g}", v); }

std::string latex_escape(const std::string& s) {
  std::string o;
  for (char ch : s) switch (ch) {
      case '\\': o += "\\textbackslash{}"; break;
      case '&': case '%': case '$': case '#': case '_': case '{': case '}': o += '\\', o += ch; break;
      case '~': o += "\\textasciitilde{}"; break;
      case '^': o += "\\textasciicircum{}"; break;
      case '|': o += "\\textbar{}"; break;  // OT1 text fonts print these three as other glyphs
      case '<': o += "\\textless{}"; break;
      case '>': o += "\\textgreater{}"; break;
      default: o += ch;
    }
  return o;
}

// A number as printed by fixed() or coordinate(), in math mode: a minus sign, not a hyphen, and
// 1e+06 as 1\times10^{6}.
std::string latex_number(const std::string& s) {
  if (s == "inf") return "\\infty";
  if (s == "-inf") return "-\\infty";
  const std::size_t e = s.find('e');
  if (e == std::string::npos) return s;
  const int exp = std::stoi(s.substr(e + 1));
  const std::string mantissa = s.substr(0, e);
  return (mantissa == "1" ? "" : mantissa + "\\times ") + fmt::format("10^{{{}}}", exp);
}

std::string markdown_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '|') o += '\\';
    o += ch;
  }
  return o;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char ch : s) {
    if (ch == '"') o += '"';
    o += ch;
  }
  return o + "\"";
}

// Characters as a terminal shows them: UTF-8 continuation bytes do not count.
std::size_t display_width(const std::string& s) {
  return std::size_t(std::count_if(s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

// The cell of column c, row r, for markdown or LaTeX (already escaped).
std::string cell(const Column& c, std::size_t r, Format f, int digits) {
  const bool tex = f == Format::kLatex;
  auto math = [&](const std::string& s) { return tex ? "$" + s + "$" : s; };
  switch (c.kind) {
    case Column::kText: return tex ? latex_escape(c.text[r]) : markdown_escape(c.text[r]);
    case Column::kInteger: return math(c.text[r]);
    case Column::kAxisNumber:
      if (std::isnan(c.v[r])) return kDash;
      return tex ? math(latex_number(coordinate(c.v[r]))) : coordinate(c.v[r]);
    case Column::kStat: {
      if (std::isnan(c.v[r])) return kDash;
      auto num = [&](double x) { return tex ? latex_number(fixed(x, digits)) : fixed(x, digits); };
      std::string s = num(c.v[r]);
      if (!c.se_header.empty() && !std::isnan(c.se[r])) s += (tex ? " \\pm " : std::string(" ") + kPlusMinus + " ") + num(c.se[r]);
      return math(s);
    }
  }
  return "";
}

std::string markdown(const Table& t, int digits) {
  std::vector<std::vector<std::string>> grid(t.rows + 1);
  for (const Column& c : t.cols) {
    grid[0].push_back(markdown_escape(c.header));
    for (std::size_t r = 0; r < t.rows; ++r) grid[r + 1].push_back(cell(c, r, Format::kMarkdown, digits));
  }
  std::vector<std::size_t> width(t.cols.size(), 3);
  for (const auto& row : grid)
    for (std::size_t k = 0; k < row.size(); ++k) width[k] = std::max(width[k], display_width(row[k]));
  auto line = [&](const std::vector<std::string>& row) {
    std::string s = "|";
    for (std::size_t k = 0; k < row.size(); ++k) {
      const std::string pad(width[k] - display_width(row[k]), ' ');
      s += " " + (t.cols[k].kind == Column::kText ? row[k] + pad : pad + row[k]) + " |";
    }
    return s + "\n";
  };
  std::string out = line(grid[0]) + "|";
  for (std::size_t k = 0; k < t.cols.size(); ++k)
    out += t.cols[k].kind == Column::kText ? std::string(width[k] + 2, '-') + "|"
                                            : std::string(width[k] + 1, '-') + ":|";
  out += "\n";
  for (std::size_t r = 1; r < grid.size(); ++r) out += line(grid[r]);
  return out;
}

std::string latex(const Table& t, int digits) {
  std::string spec, head;
  for (const Column& c : t.cols) {
    spec += c.kind == Column::kText ? 'l' : 'r';
    head += (head.empty() ? "" : " & ") + latex_escape(c.header);
  }
  std::string caption = t.study.empty() ? std::string("Cells") : "Study " + latex_escape(t.study);
  std::vector<std::string> facts;
  if (t.paths) facts.push_back(fmt::format("{} paths", *t.paths));
  if (t.seed) facts.push_back(fmt::format("seed {}", *t.seed));
  if (!facts.empty()) caption += fmt::format(": {}", fmt::join(facts, ", "));
  caption += ".";
  if (t.any_se()) caption += " Estimates $\\pm$ one standard error.";
  std::string label;
  for (char ch : t.study.empty() ? std::string("cells") : t.study)
    label += std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.' || ch == ':' ? ch : '-';

  std::string out = "% hedgelab table; needs \\usepackage{booktabs}\n";
  out += "\\begin{table}[htbp]\n  \\centering\n";
  out += "  \\caption{" + caption + "}\n";
  out += "  \\label{tab:" + label + "}\n";
  out += "  \\begin{tabular}{" + spec + "}\n";
  out += "    \\toprule\n";
  out += "    " + head + " \\\\\n";
  out += "    \\midrule\n";
  for (std::size_t r = 0; r < t.rows; ++r) {
    std::string row;
    for (const Column& c : t.cols) row += (row.empty() ? "" : " & ") + cell(c, r, Format::kLatex, digits);
    out += "    " + row + " \\\\\n";
  }
  out += "    \\bottomrule\n";
  out += "  \\end{tabular}\n";
  out += "\\end{table}\n";
  return out;
}

// RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted, quotes doubled.
std::string csv(const Table& t, int digits) {
  auto num = [&](double x) { return std::isnan(x) ? std::string() : fixed(x, digits); };
  std::vector<std::string> fields;
  std::string out;
  auto flush = [&] {
    for (std::size_t k = 0; k < fields.size(); ++k) out += (k ? "," : "") + csv_field(fields[k]);
    out += "\r\n";
    fields.clear();
  };
  for (const Column& c : t.cols) {
    fields.push_back(c.header);
    if (!c.se_header.empty()) fields.push_back(c.se_header);
  }
  flush();
  for (std::size_t r = 0; r < t.rows; ++r) {
    for (const Column& c : t.cols) {
      switch (c.kind) {
        case Column::kText:
        case Column::kInteger: fields.push_back(c.text[r]); break;
        case Column::kAxisNumber: fields.push_back(std::isnan(c.v[r]) ? std::string() : coordinate(c.v[r])); break;
        case Column::kStat: fields.push_back(num(c.v[r])); break;
      }
      if (!c.se_header.empty()) fields.push_back(num(c.se[r]));
    }
    flush();
  }
  return out;
}

}  // namespace

std::string render_table(const std::string& results_path, const TableOptions& opt) {
  Format format;
  if (opt.format == "markdown") format = Format::kMarkdown;
  else if (opt.format == "latex") format = Format::kLatex;
  else if (opt.format == "csv") format = Format::kCsv;
  else throw InputError(fmt::format("--format: must be markdown, latex or csv, got '{}'", opt.format));
  if (opt.digits < 0 || opt.digits > 17)
    throw InputError(fmt::format("--digits: must be between 0 and 17, got {}", opt.digits));
  const std::vector<std::string> wanted = split(opt.columns, ',');
  for (const std::string& name : wanted)
    if (name.empty()) throw InputError(fmt::format("--columns: empty column name in '{}'", opt.columns));

  const Table t = read_table(results_path, wanted);
  switch (format) {
    case Format::kMarkdown: return markdown(t, opt.digits);
    case Format::kLatex: return latex(t, opt.digits);
    case Format::kCsv: return csv(t, opt.digits);
  }
  return "";
}

int cmd_table(const std::string& results_path, const TableOptions& opt, const std::string& output,
              std::ostream& out) {
  if (output.empty() || output == "-") {
    out << render_table(results_path, opt);
    return 0;
  }
  auto fail = [&](const std::string& why) {
    throw InputError(fmt::format("-o: cannot write '{}': {}", output, why));
  };
  std::error_code ec;
  if (fs::exists(output, ec) && fs::equivalent(output, results_path, ec)) fail("it is the results file itself");
  const auto st = fs::status(output, ec);
  if (fs::is_directory(st)) fail("is a directory");
  if (fs::exists(st) && !fs::is_regular_file(st)) fail("exists and is not a regular file");
  const std::string text = render_table(results_path, opt);  // bad input is reported before anything is created

  const fs::path dir = fs::path(output).parent_path();
  if (!dir.empty()) {
    fs::create_directories(dir, ec);
    if (ec) fail(fmt::format("cannot create directory '{}': {}", dir.string(), ec.message()));
  }
  const std::string tmp = fmt::format("{}.tmp-{}", output, ::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) fail(std::strerror(errno));
    if (!(f << text) || !f.flush()) {
      f.close();
      std::remove(tmp.c_str());
      fail("write failed");
    }
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    fail(std::strerror(err));
  }
  out << fmt::format("wrote {}\n", output);
  return 0;
}

}  // namespace hl
