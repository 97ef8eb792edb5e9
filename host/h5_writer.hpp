#pragma once
// Writes a RunResult to HDF5. The layout (/cells columns, /worst_paths, /jumps, /samples/pnl, root
// attributes) is the user-facing schema; see h5_writer.cpp for the exact list.
#include <string>

#include "host/results.hpp"

namespace hl {

// The innermost message on HDF5's error stack, on one line (for error messages).
std::string h5_reason();

// Call before a long simulation so a bad output path fails in seconds, not hours: creates missing
// parent directories and creates/removes a probe file there. Throws InputError
// "output: cannot write '<path>': <reason>".
void check_output_path(const std::string& path);

// Writes to "<path>.tmp-<pid>" and renames it onto path (replacing any file there) only when
// complete, so an interrupted run never leaves a file that looks finished. On failure removes the
// temporary file and throws std::runtime_error with one line.
void write_results_h5(const RunResult& r, const std::string& path);

}  // namespace hl
