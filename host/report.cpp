#include "host/report.hpp"

#include <fmt/format.h>

#include <cmath>

namespace hl {

void print_report(const RunResult& r, std::ostream& os) {
  const Study& s = r.study;
  os << fmt::format("{}: {} paths, model {}, seed {}, backend {} [{}], {:.3f} s\n", s.name, s.paths, s.model,
                    s.seed, r.prov.backend, r.prov.device, r.prov.elapsed_seconds);
  os << "P&L at maturity, positive is profit; VaR/ES are losses; +- is one standard error\n";
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
             show_leland = any(&CellStats::leland_volatility);
  if (show_bkl) head += fmt::format(" {:>8}", "BKL std");
  if (show_aw) head += fmt::format(" {:>8}", "AW mean");
  if (show_leland) head += fmt::format(" {:>8}", "Leland s");
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
}

}  // namespace hl
