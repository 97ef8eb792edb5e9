#pragma once
#include <ostream>

#include "host/results.hpp"

namespace hl {
// The summary table: one row per sweep cell.
void print_report(const RunResult& r, std::ostream& os);
}  // namespace hl
