#include "host/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace hl {

namespace {

// A column of the tail block: a header and one entry per cell, each a value and an optional
// standard error, printed "value +-se" with the values right-aligned and the errors left-aligned.
struct TextColumn {
  std::string head;
  std::vector<std::pair<std::string, std::string>> rows;  // value, standard error ("" for none)
  std::size_t value_width() const {
    std::size_t w = 0;
    for (const auto& r : rows) w = std::max(w, r.first.size());
    return w;
  }
  std::size_t se_width() const {
    std::size_t w = 0;
    for (const auto& r : rows) w = std::max(w, r.second.size());
    return w;
  }
  std::size_t width() const {
    const std::size_t se = se_width();
    return std::max(head.size(), value_width() + (se ? 3 + se : 0));
  }
  std::string entry(std::size_t c) const {
    const std::size_t se = se_width();
    std::string e = fmt::format("{:>{}}", rows[c].first, value_width());
    if (se) e += rows[c].second.empty() ? std::string(3 + se, ' ') : fmt::format(" +-{:<{}}", rows[c].second, se);
    return fmt::format("{:>{}}", e, width());
  }
};

std::string num(double v, int digits = 4) { return std::isnan(v) ? "-" : fmt::format("{:.{}f}", v, digits); }
std::pair<std::string, std::string> with_se(double v, double se, int digits = 4) {
  return {num(v, digits), std::isnan(se) ? std::string() : num(se, digits)};
}
std::pair<std::string, std::string> plain(std::string v) { return {std::move(v), std::string()}; }

// Prints the columns after a "cell" column, wrapped into parts of at most `max_width` characters,
// each part repeating the cell column.
void print_columns(const std::vector<TextColumn>& cols, std::size_t ncells, std::ostream& os,
                   std::size_t max_width = 150) {
  std::size_t k = 0;
  while (k < cols.size()) {
    std::size_t end = k, width = 5;
    while (end < cols.size() && (end == k || width + 2 + cols[end].width() <= max_width)) width += 2 + cols[end++].width();
    std::string head = fmt::format("{:>5}", "cell");
    for (std::size_t j = k; j < end; ++j) head += fmt::format("  {:>{}}", cols[j].head, cols[j].width());
    os << head << "\n" << std::string(head.size(), '-') << "\n";
    for (std::size_t c = 0; c < ncells; ++c) {
      std::string row = fmt::format("{:>5}", c);
      for (std::size_t j = k; j < end; ++j) row += "  " + cols[j].entry(c);
      os << row << "\n";
    }
    k = end;
    if (k < cols.size()) os << "\n";
  }
}

// The second block: the 99.9% tail, P(loss > L) for each output.loss_thresholds L, the jump /
// diffusive attribution (runs with jumps or gaps) and the worst path of each cell.
void print_tail_block(const RunResult& r, std::ostream& os) {
  const std::size_t n = r.cells.size();
  const bool jumps = n > 0 && !r.cells[0].jump_bin_count.empty();
  const std::vector<double>& thresholds = r.study.loss_thresholds;
  if (n == 0 || (!jumps && thresholds.empty())) return;
  os << "\ntails and attribution, by cell: +- is one standard error";
  if (jumps) os << "; P&L = diffusive + jump - cost, jump = P&L made at jumps and gaps";
  os << "\n";
  std::vector<TextColumn> cols;
  auto add = [&](std::string head, auto f) {
    TextColumn col{std::move(head), {}};
    for (const CellStats& x : r.cells) col.rows.push_back(f(x));
    cols.push_back(std::move(col));
  };
  add("VaR99.9", [](const CellStats& x) { return with_se(x.var_999, x.var_999_se, 3); });
  add("ES99.9", [](const CellStats& x) { return with_se(x.es_999, x.es_999_se, 3); });
  for (std::size_t t = 0; t < thresholds.size(); ++t)
    add(fmt::format("P(loss>{:g})", thresholds[t]), [t](const CellStats& x) {
      return t < x.loss_probability.size() ? with_se(x.loss_probability[t], x.loss_probability_se[t]) : plain("-");
    });
  if (jumps) {
    add("jump part", [](const CellStats& x) { return with_se(x.mean_jump_pnl, x.mean_jump_pnl_se); });
    add("diffusive part", [](const CellStats& x) { return with_se(x.mean_diffusive_pnl, x.mean_diffusive_pnl_se); });
    add("jumps", [](const CellStats& x) { return plain(num(x.mean_jumps, 3)); });
  }
  if (!r.cells[0].worst_index.empty()) {
    const std::size_t iw = fmt::format("{}", std::max<std::int64_t>(r.study.paths - 1, 0)).size();
    add("worst path: P&L", [iw](const CellStats& x) {
      return plain(x.worst_index.empty() ? std::string("-")
                                         : fmt::format("{:>{}}: {:>9}", x.worst_index[0], iw, num(x.worst_pnl[0])));
    });
  }
  print_columns(cols, n, os);
}

}  // namespace

void print_report(const RunResult& r, std::ostream& os) {
  const Study& s = r.study;
  os << fmt::format("{}: {} paths, model {}, seed {}, backend {} [{}]{}, {:.3f} s\n", s.name, s.paths, s.model,
                    s.seed, r.prov.backend, r.prov.device,
                    r.prov.precision == "fp64" ? std::string() : ", precision " + r.prov.precision,
                    r.prov.elapsed_seconds);
  os << "P&L at maturity, positive is profit; VaR/ES are losses; +- is one standard error\n";
  if (r.quantile_method == "sketch")
    os << fmt::format("quantiles, VaR and ES from a sketch of relative accuracy {:g} (output.quantile_method)\n",
                      r.sketch_accuracy);
  // Sweep columns: rebalances and cost always, any other axis when it was given as a list.
  std::vector<std::size_t> cols;
  for (std::size_t a = 0; a < s.axes.size(); ++a)
    if (s.axes[a].listed || s.axes[a].key == "hedge.rebalances" || s.axes[a].key == "costs.proportional")
      cols.push_back(a);
  // Name columns by the key's last part, or the whole key where two would read the same.
  std::string head, rule;
  for (std::size_t a : cols) {
    const std::string& k = s.axes[a].key;
    std::string name = k.substr(k.rfind('.') + 1);
    for (std::size_t b : cols)
      if (b != a && s.axes[b].key.substr(s.axes[b].key.rfind('.') + 1) == name) name = k;
    head += fmt::format("{:>12} ", name);
  }
  head += fmt::format("{:>10} {:>18} {:>17} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>8}", "book val",
                      "mean", "std", "skew", "kurt", "VaR95", "ES95", "VaR99", "ES99", "cost", "trades", "DK std");
  // Theory columns where some cell has a value.
  auto any = [&](double CellStats::*m) {
    for (const CellStats& x : r.cells)
      if (!std::isnan(x.*m)) return true;
    return false;
  };
  const bool show_bkl = any(&CellStats::bkl_std), show_aw = any(&CellStats::ahmad_wilmott_mean),
             show_leland = any(&CellStats::leland_volatility), show_jr = any(&CellStats::jump_residual_std);
  if (show_bkl) head += fmt::format(" {:>8}", "BKL std");
  if (show_aw) head += fmt::format(" {:>8}", "AW mean");
  if (show_leland) head += fmt::format(" {:>8}", "Leland s");
  if (show_jr) head += fmt::format(" {:>8}", "jump std");
  os << head << "\n" << std::string(head.size(), '-') << "\n";
  for (std::size_t c = 0; c < r.cells.size(); ++c) {
    const CellStats& x = r.cells[c];
    std::string row;
    for (std::size_t a : cols) {
      const double v = r.cell_coords[c][a];
      const SweepAxis& ax = s.axes[a];
      if (!ax.labels.empty())
        row += fmt::format("{:>12} ", ax.labels[static_cast<std::size_t>(v)]);
      else
        row += ax.integer ? fmt::format("{:>12} ", static_cast<long long>(v)) : fmt::format("{:>12.6g} ", v);
    }
    row += fmt::format("{:>10.5f} {:>8.4f} +-{:<7.4f} {:>7.4f} +-{:<7.4f} {:>6.2f} {:>6.2f} {:>7.3f} {:>7.3f} "
                       "{:>7.3f} {:>7.3f} {:>8.4f} {:>7.1f} {:>8}",
                       x.premium, x.mean, x.stderr_mean, x.std, x.stderr_std, x.skewness, x.kurtosis, x.var_95,
                       x.es_95, x.var_99, x.es_99, x.mean_cost, x.mean_trades,
                       std::isnan(x.derman_kamal_std) ? std::string("-") : fmt::format("{:.4f}", x.derman_kamal_std));
    auto col = [](double v) { return std::isnan(v) ? fmt::format(" {:>8}", "-") : fmt::format(" {:>8.4f}", v); };
    if (show_bkl) row += col(x.bkl_std);
    if (show_aw) row += col(x.ahmad_wilmott_mean);
    if (show_leland) row += col(x.leland_volatility);
    if (show_jr) row += col(x.jump_residual_std);
    os << row << "\n";
  }
  // Paired differences against the baseline, on the common paths: the paired standard error is what
  // makes small differences between cells measurable.
  if (r.cells.size() > 1) {
    os << fmt::format("\nagainst cell {} (output.baseline), on the same paths: difference +- paired se [unpaired se]\n",
                      r.baseline);
    const std::string h2 = fmt::format("{:>5} {:>34} {:>34}", "cell", "mean - baseline", "std - baseline");
    os << h2 << "\n" << std::string(h2.size(), '-') << "\n";
    for (std::size_t c = 0; c < r.cells.size(); ++c) {
      if (static_cast<int>(c) == r.baseline) continue;
      const CellStats& x = r.cells[c];
      os << fmt::format("{:>5} {:>11.5f} +- {:<8.5f} [{:<8.5f}] {:>11.5f} +- {:<8.5f} [{:<8.5f}]\n", c, x.diff_mean,
                        x.diff_mean_se, x.diff_mean_se_unpaired, x.diff_std, x.diff_std_se, x.diff_std_se_unpaired);
    }
  }
  print_tail_block(r, os);
}

}  // namespace hl
