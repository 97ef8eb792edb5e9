// `hedgelab table`: a two-cell results file written by the real writer, rendered through the CLI in
// every format and compared with text written out by hand.
#include <doctest/doctest.h>

#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "host/cli.hpp"
#include "host/h5_writer.hpp"
#include "cli_helpers.hpp"
#include "helpers.hpp"

namespace {
namespace fs = std::filesystem;

using hl::test::cli;
using hl::test::CliRun;

struct TempDir {
  fs::path dir;
  TempDir() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("hedgelab_test_table_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }
  std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using hl::test::axis;

// Two cells. Listed axes market.volatility (float), hedge.policy (string), hedge.rebalances
// (integer), in an order that is neither alphabetical nor the datasets' order; costs.proportional is
// an unlisted axis and must not be printed. The second policy label holds a comma, quotes, an
// underscore, an ampersand and a pipe (CSV quoting, LaTeX and markdown escaping). The second cell has
// a NaN skewness, a NaN standard error of var_99, a mean of -0.00002 (no "-0.0000") and a tiny
// negative kurtosis.
hl::RunResult two_cells() {
  hl::RunResult r;
  hl::Study& s = r.study;
  s.name = "unit_study & co";
  s.paths = 5000;
  s.seed = 42;
  s.axes = {axis("market.volatility", {0.2, 0.25}, {}, false, true, 0),
            axis("hedge.policy", {0, 1}, {"time", "a_b, \"c\" & d|e"}, false, true, 0),
            axis("hedge.rebalances", {21, 84}, {}, true, true, 0),
            axis("costs.proportional", {0.001}, {}, false, false, -1)};
  r.quantile_levels = {0.05, 0.95};  // as many levels as cells: still not a per-cell column
  for (int c = 0; c < 2; ++c) {
    r.cell_coords.push_back({s.axes[0].values[c], double(c), s.axes[2].values[c], 0.001});
    hl::CellStats st;
    st.quantiles = st.quantiles_lo = st.quantiles_hi = {-1.0, 1.0};
    st.histogram_counts = {5000};
    st.histogram_edges = {-2.0, 2.0};
    r.cells.push_back(st);
  }
  hl::CellStats& a = r.cells[0];
  a.mean = 0.42631, a.stderr_mean = 0.00183, a.std = 0.5, a.stderr_std = 0.00121;
  a.skewness = -0.29004, a.kurtosis = 1.37;
  a.var_99 = 1.16712, a.var_99_se = 0.01234, a.es_99 = 1.44612, a.es_99_se = 0.02;
  a.mean_cost = 0.0, a.diff_mean = 0.0, a.diff_mean_se = 0.0;
  a.var_999 = 2.71828, a.var_999_se = 0.0456, a.es_999 = 3.5, a.es_999_se = kNaN, a.var_999_lo = 2.6;
  a.mean_jump_pnl = -0.125, a.mean_jump_pnl_se = 0.0101, a.mean_jumps = 1.5;
  hl::CellStats& b = r.cells[1];
  b.mean = -0.00002, b.stderr_mean = 0.00051, b.std = 0.21871, b.stderr_std = 0.00099;
  b.skewness = kNaN, b.kurtosis = -0.00001;
  b.var_99 = 2.5, b.var_99_se = kNaN, b.es_99 = 3.12346, b.es_99_se = 0.0311;
  b.mean_cost = 1234.5678, b.diff_mean = -0.42633, b.diff_mean_se = 0.00191;
  b.var_999 = 4.0, b.var_999_se = 0.5, b.es_999 = 5.25, b.es_999_se = 0.75, b.var_999_lo = 3.0;
  b.mean_jump_pnl = 0.0, b.mean_jump_pnl_se = 0.0, b.mean_jumps = 0.0;
  r.prov = {"0.1.0", "abc", "cpu", "test", "fp64", 1, 0.5};
  return r;
}

struct Fixture {
  TempDir tmp;
  std::string h5 = tmp / "two.h5";
  Fixture() { hl::write_results_h5(two_cells(), h5); }
};

// A rendering that must succeed: exit 0, nothing on stderr.
std::string table(const std::vector<std::string>& args) {
  const CliRun r = cli(args);
  CAPTURE(r.err);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  return r.out;
}

// Bad input: exit 2, one line on stderr that contains `expect`, nothing on stdout.
void check_rejected(const std::vector<std::string>& args, const std::string& expect) {
  CAPTURE(expect);
  const CliRun r = cli(args);
  CAPTURE(r.err);
  CHECK(r.code == 2);
  CHECK(r.err.rfind("error: ", 0) == 0);
  CHECK(r.err.find(expect) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("table: markdown, with standard errors, NaN and escaped pipes") {
  Fixture f;
  const std::string want =
      "| market.volatility | hedge.policy    | hedge.rebalances |            mean | skewness |          var_99 |\n"
      "|------------------:|-----------------|-----------------:|----------------:|---------:|----------------:|\n"
      "|               0.2 | time            |               21 | 0.4263 ± 0.0018 |  -0.2900 | 1.1671 ± 0.0123 |\n"
      "|              0.25 | a_b, \"c\" & d\\|e |               84 | 0.0000 ± 0.0005 |        – |          2.5000 |\n";
  CHECK(table({"table", f.h5, "--columns", "mean,skewness,var_99"}) == want);
  CHECK(table({"table", f.h5, "--columns", "mean,skewness,var_99", "--format", "markdown"}) == want);
}

TEST_CASE("table: LaTeX, booktabs, caption, escaping") {
  Fixture f;
  const std::string want =
      "% hedgelab table; needs \\usepackage{booktabs}\n"
      "\\begin{table}[htbp]\n"
      "  \\centering\n"
      "  \\caption{Study unit\\_study \\& co: 5000 paths, seed 42. Estimates $\\pm$ one standard error.}\n"
      "  \\label{tab:unit_study---co}\n"
      "  \\begin{tabular}{rlrrrr}\n"
      "    \\toprule\n"
      "    market.volatility & hedge.policy & hedge.rebalances & mean & skewness & var\\_99 \\\\\n"
      "    \\midrule\n"
      "    $0.2$ & time & $21$ & $0.4263 \\pm 0.0018$ & $-0.2900$ & $1.1671 \\pm 0.0123$ \\\\\n"
      "    $0.25$ & a\\_b, \"c\" \\& d\\textbar{}e & $84$ & $0.0000 \\pm 0.0005$ & – & $2.5000$ \\\\\n"
      "    \\bottomrule\n"
      "  \\end{tabular}\n"
      "\\end{table}\n";
  CHECK(table({"table", f.h5, "--format", "latex", "--columns", "mean,skewness,var_99"}) == want);
  // Without a paired column the caption does not mention standard errors.
  const std::string plain = table({"table", f.h5, "--format", "latex", "--columns", "skewness"});
  CHECK(plain.find("\\caption{Study unit\\_study \\& co: 5000 paths, seed 42.}\n") != std::string::npos);
  CHECK(plain.find("\\pm") == std::string::npos);
}

TEST_CASE("table: CSV, RFC 4180 quoting, standard errors as their own columns, NaN empty") {
  Fixture f;
  CHECK(table({"table", f.h5, "--format", "csv", "--columns", "mean,skewness,var_99"}) ==
        "market.volatility,hedge.policy,hedge.rebalances,mean,mean_se,skewness,var_99,var_99_se\r\n"
        "0.2,time,21,0.4263,0.0018,-0.2900,1.1671,0.0123\r\n"
        "0.25,\"a_b, \"\"c\"\" & d|e\",84,0.0000,0.0005,,2.5000,\r\n");
  // The default columns.
  CHECK(table({"table", f.h5, "--format", "csv"}) ==
        "market.volatility,hedge.policy,hedge.rebalances,mean,mean_se,std,std_se,skewness,kurtosis,var_99,var_99_se,"
        "es_99,es_99_se,mean_cost\r\n"
        "0.2,time,21,0.4263,0.0018,0.5000,0.0012,-0.2900,1.3700,1.1671,0.0123,1.4461,0.0200,0.0000\r\n"
        "0.25,\"a_b, \"\"c\"\" & d|e\",84,0.0000,0.0005,0.2187,0.0010,,0.0000,2.5000,,3.1235,0.0311,1234.5678\r\n");
}

TEST_CASE("table: --columns chooses the statistics, --digits the decimals") {
  Fixture f;
  CHECK(table({"table", f.h5, "--format", "csv", "--columns", "es_99, diff_mean,mean_cost", "--digits", "2"}) ==
        "market.volatility,hedge.policy,hedge.rebalances,es_99,es_99_se,diff_mean,diff_mean_se,mean_cost\r\n"
        "0.2,time,21,1.45,0.02,0.00,0.00,0.00\r\n"
        "0.25,\"a_b, \"\"c\"\" & d|e\",84,3.12,0.03,-0.43,0.00,1234.57\r\n");
  // A standard error asked for by name is a plain column; an axis may be asked for too.
  CHECK(table({"table", f.h5, "--format", "csv", "--columns", "stderr_mean,costs_proportional", "--digits", "0"}) ==
        "market.volatility,hedge.policy,hedge.rebalances,stderr_mean,costs_proportional\r\n"
        "0.2,time,21,0,0\r\n"
        "0.25,\"a_b, \"\"c\"\" & d|e\",84,0,0\r\n");
  // The markdown header of the default columns.
  const std::string md = table({"table", f.h5});
  CHECK(md.substr(0, md.find('\n')) ==
        "| market.volatility | hedge.policy    | hedge.rebalances |            mean |             std | skewness | "
        "kurtosis |          var_99 |           es_99 | mean_cost |");
}

TEST_CASE("table: the 99.9% tail and attribution columns, with their standard errors") {
  Fixture f;
  // var_999 and es_999 pair with their _se like var_99; so do the jump and diffusive means. The
  // interval bounds and mean_jumps are plain columns.
  CHECK(table({"table", f.h5, "--format", "csv", "--columns", "var_999,es_999,var_999_lo,mean_jump_pnl,mean_jumps"}) ==
        "market.volatility,hedge.policy,hedge.rebalances,var_999,var_999_se,es_999,es_999_se,var_999_lo,"
        "mean_jump_pnl,mean_jump_pnl_se,mean_jumps\r\n"
        "0.2,time,21,2.7183,0.0456,3.5000,,2.6000,-0.1250,0.0101,1.5000\r\n"
        "0.25,\"a_b, \"\"c\"\" & d|e\",84,4.0000,0.5000,5.2500,0.7500,3.0000,0.0000,0.0000,0.0000\r\n");
  const std::string md = table({"table", f.h5, "--columns", "var_999,es_999"});
  CHECK(md.find("| 2.7183 ± 0.0456 |") != std::string::npos);
  CHECK(md.find("| 5.2500 ± 0.7500 |") != std::string::npos);
  // A typo finds the new column.
  check_rejected({"table", f.h5, "--columns", "var_99.9"}, "unknown column 'var_99.9' (did you mean 'var_999'?)");
}

TEST_CASE("table: -o writes the file through a temporary name and prints where") {
  Fixture f;
  const std::string stdout_text = table({"table", f.h5, "--format", "latex"});
  const std::string out = f.tmp / "sub/dir/t.tex";
  CHECK(table({"table", f.h5, "--format", "latex", "-o", out}) == "wrote " + out + "\n");
  CHECK(slurp(out) == stdout_text);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(out).parent_path())) names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"t.tex"});
  // Replaces an existing file.
  CHECK(table({"table", f.h5, "--format", "csv", "-o", out}) == "wrote " + out + "\n");
  CHECK(slurp(out) == table({"table", f.h5, "--format", "csv"}));
}

TEST_CASE("table: bad input exits 2 with one line") {
  Fixture f;
  const std::string missing = f.tmp / "missing.h5";
  check_rejected({"table", missing}, "'" + missing + "': no such file");
  const std::string text = f.tmp / "notes.txt";
  std::ofstream(text) << "not hdf5\n";
  check_rejected({"table", text}, "'" + text + "': not an HDF5 file");
  check_rejected({"table", f.tmp.dir.string()}, "is a directory");
  {
    // An HDF5 file, but not hedgelab's.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t file = H5Fcreate((f.tmp / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(file >= 0);
    const hid_t g = H5Gcreate2(file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(g >= 0);
    H5Gclose(g);
    REQUIRE(H5Fclose(file) >= 0);
  }
  check_rejected({"table", f.tmp / "other.h5"}, "not a hedgelab results file (no /cells)");
  check_rejected({"table", f.h5, "--columns", "mean,stdd"}, "--columns: unknown column 'stdd' (did you mean 'std'?)");
  check_rejected({"table", f.h5, "--columns", "var99"}, "unknown column 'var99' (did you mean 'var_99'?)");
  check_rejected({"table", f.h5, "--columns", "zzzzzzzz"}, "unknown column 'zzzzzzzz' (columns: ahmad_wilmott_mean, ");
  check_rejected({"table", f.h5, "--columns", "quantiles"}, "'quantiles' is not a per-cell column");
  check_rejected({"table", f.h5, "--columns", "quantile_levels"}, "'quantile_levels' is not a per-cell column");
  check_rejected({"table", f.h5, "--columns", "mean,,std"}, "--columns: empty column name");
  check_rejected({"table", f.h5, "--format", "html"}, "--format: must be markdown, latex or csv, got 'html'");
  check_rejected({"table", f.h5, "--digits", "18"}, "--digits: must be between 0 and 17, got 18");
  check_rejected({"table", f.h5, "--digits", "-1"}, "--digits");
  check_rejected({"table"}, "results");
  // -o: nothing written on bad input, and never over the results file itself.
  const std::string out = f.tmp / "t.md";
  check_rejected({"table", f.h5, "--columns", "stdd", "-o", out}, "unknown column 'stdd'");
  CHECK(!fs::exists(out));
  const std::string before = slurp(f.h5);
  check_rejected({"table", f.h5, "-o", f.h5}, "-o: cannot write '" + f.h5 + "': it is the results file itself");
  CHECK(slurp(f.h5) == before);
  check_rejected({"table", f.h5, "-o", f.tmp.dir.string()}, "is a directory");
  // Unreadable (root reads anything, so only checked for other users).
  if (::geteuid() != 0) {
    REQUIRE(::chmod(f.h5.c_str(), 0) == 0);
    check_rejected({"table", f.h5}, "'" + f.h5 + "': cannot read");
    ::chmod(f.h5.c_str(), 0644);
  }
}
