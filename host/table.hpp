#pragma once
// `hedgelab table`: the cells table of a results file (HDF5, read back with the C API) as a GitHub
// markdown table, a LaTeX booktabs table, or RFC 4180 CSV. One row per cell: the listed sweep axes
// (the /cells attribute `axes`, in order), then the chosen statistics, each with its standard error
// where the file has one.
#include <ostream>
#include <string>

namespace hl {

struct TableOptions {
  std::string format = "markdown";  // markdown | latex | csv
  std::string columns = "mean,std,skewness,kurtosis,var_99,es_99,mean_cost";  // /cells column names
  int digits = 4;  // decimals after the point, 0..17
};

// The rendered table (ending in a newline). Throws InputError with one line on bad input: a bad
// --format or --digits, a missing, unreadable or non-hedgelab file, an unknown column (with a
// "did you mean" among the file's per-cell columns).
std::string render_table(const std::string& results_path, const TableOptions& opt);

// The subcommand: prints the table on out, or writes it to output (a temporary name, then renamed
// onto output; missing directories are created) and says so on out. Returns 0; throws InputError.
int cmd_table(const std::string& results_path, const TableOptions& opt, const std::string& output,
              std::ostream& out);

}  // namespace hl
