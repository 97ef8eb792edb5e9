#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "host/study.hpp"

namespace hl {

// One grid step of one path in one cell, valued at that date.
struct TraceRow {
  int step;
  double time, spot, delta;  // delta: the book's hedge ratio at the hedge volatility (NaN when expired)
  double position, trade, fee;
  double cash;        // the hedger's cash account at t (premium, trades, fees, interest)
  double book_value;  // options still alive, at the hedge volatility, plus payoffs received (with interest)
  double pnl;         // running P&L: cash + position x spot + book_value
};

struct Trace {
  std::vector<TraceRow> rows;
  double pnl = 0.0;  // the path's P&L at the horizon: the same number as /samples/pnl[cell][path]
};

// Replays path `path` of cell `cell` with the CPU loop of a run. Throws InputError for a path or cell
// out of range.
Trace trace_path(const Study& study, std::int64_t path, std::int64_t cell);
void print_trace(const Study& study, std::int64_t path, std::int64_t cell, const Trace& t, std::ostream& os, bool csv);

}  // namespace hl
