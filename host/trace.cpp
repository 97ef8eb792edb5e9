#include "host/trace.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "host/plan.hpp"
#include "kernels/black_scholes.hpp"
#include "kernels/cpu_paths.hpp"

namespace hl {

Trace trace_path(const Study& study, std::int64_t path, std::int64_t cell) {
  const Plan plan = make_plan(study);
  const std::int64_t ncells = static_cast<std::int64_t>(plan.job.cells.size());
  if (path < 0 || path >= study.paths)
    throw InputError(fmt::format("--path: must be in [0, {}) (study.paths), got {}", study.paths, path));
  if (cell < 0 || cell >= ncells)
    throw InputError(fmt::format("--cell: must be in [0, {}) (the number of cells), got {}", ncells, cell));
  Pass pass;
  for (const Pass& p : make_passes(plan.job, kMaxCellsPerPassCpu))
    if (cell >= p.first && cell < p.first + p.count) pass = p;
  const PathGroup& g = plan.job.groups[pass.group];
  const PathParams P = host_params(g);

  std::vector<LedgerLine> lines;
  Trace t;
  trace_path_cpu(P, pass.cells.data(), pass.count, g.short_gamma, static_cast<std::uint64_t>(path),
                 static_cast<int>(cell - pass.first), lines, t.pnl, plan.job.precision);

  const CellConfig& cc = plan.configs[cell];
  const double sigma_h = plan.job.cells[cell].hedge_vol;
  const JumpParams jh = hedger_jumps(cc, sigma_h);  // the hedger's model: delta and book value in it
  for (const LedgerLine& l : lines) {
    TraceRow r{};
    r.step = l.step;
    r.time = l.step * P.dt;
    r.spot = l.spot;
    r.position = l.position;
    r.trade = l.trade;
    r.fee = l.fee;
    const double growth = 1.0 / g.discount[l.step];  // t0 money -> money at t
    r.cash = l.cash * growth;
    double alive = 0.0, delta = 0.0;
    bool any = false;
    for (std::size_t i = 0; i < study.book.size(); ++i) {
      const double tau = study.book[i].maturity - r.time;
      if (l.step >= P.book[i].expiry_step || tau <= 0.0) continue;
      const bool call = study.book[i].is_call;
      const PriceDelta pd = jump_price(call, l.spot, cc.strike[i], cc.rate, tau, jh);
      alive += cc.quantity[i] * pd.price;
      delta -= cc.quantity[i] * (cc.hedge_model == kHedgeMinVariance
                                     ? min_variance_ratio(call, l.spot, cc.strike[i], cc.rate, tau, jh)
                                     : pd.delta);
      any = true;
    }
    r.delta = any ? delta : std::numeric_limits<double>::quiet_NaN();
    r.book_value = alive + l.book_cash * growth;
    r.pnl = r.cash + r.position * r.spot + r.book_value;
    t.rows.push_back(r);
  }
  return t;
}

void print_trace(const Study& study, std::int64_t path, std::int64_t cell, const Trace& t, std::ostream& os,
                 bool csv) {
  if (csv) {
    os << "step,time,spot,delta,position,trade,fee,cash,book_value,pnl\n";
    for (const TraceRow& r : t.rows)
      os << fmt::format("{},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g}\n", r.step,
                        r.time, r.spot, r.delta, r.position, r.trade, r.fee, r.cash, r.book_value, r.pnl);
    return;
  }
  os << fmt::format("{}: path {}, cell {} (values at each date; book value = options alive at the hedge "
                    "volatility + payoffs received)\n",
                    study.name, path, cell);
  const std::string head = fmt::format("{:>6} {:>9} {:>10} {:>9} {:>9} {:>10} {:>8} {:>11} {:>10} {:>10}", "step",
                                       "time", "spot", "delta", "position", "trade", "cost", "cash",
                                       "book val", "P&L");
  os << head << "\n" << std::string(head.size(), '-') << "\n";
  for (const TraceRow& r : t.rows)
    os << fmt::format("{:>6} {:>9.5f} {:>10.4f} {:>9.5f} {:>9.5f} {:>10.5f} {:>8.5f} {:>11.5f} {:>10.5f} {:>10.5f}\n",
                      r.step, r.time, r.spot, r.delta, r.position, r.trade, r.fee, r.cash, r.book_value, r.pnl);
  os << fmt::format("P&L at the horizon: {:.17g} (/samples/pnl[{}][{}])\n", t.pnl, cell, path);
}

}  // namespace hl
