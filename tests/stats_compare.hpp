#pragma once
// Bitwise comparison of two CellStats, field by field, for the invariance tests.
#include <cstring>
#include <string>
#include <vector>

#include "host/results.hpp"

namespace hl::test {

// The names of the fields of a and b whose bits differ (a NaN equals a NaN of the same bits).
inline std::vector<std::string> differing_fields(const CellStats& a, const CellStats& b) {
  struct Scalar {
    const char* name;
    double CellStats::*member;
  };
  static const Scalar scalars[] = {
      {"premium", &CellStats::premium}, {"mean", &CellStats::mean}, {"std", &CellStats::std},
      {"stderr_mean", &CellStats::stderr_mean}, {"stderr_std", &CellStats::stderr_std},
      {"skewness", &CellStats::skewness}, {"kurtosis", &CellStats::kurtosis}, {"min", &CellStats::min},
      {"max", &CellStats::max}, {"var_95", &CellStats::var_95}, {"es_95", &CellStats::es_95},
      {"var_99", &CellStats::var_99}, {"es_99", &CellStats::es_99}, {"mean_cost", &CellStats::mean_cost},
      {"mean_trades", &CellStats::mean_trades}, {"derman_kamal_std", &CellStats::derman_kamal_std},
      {"std_cost", &CellStats::std_cost}, {"mean_turnover_shares", &CellStats::mean_turnover_shares},
      {"mean_turnover_notional", &CellStats::mean_turnover_notional}, {"var_95_se", &CellStats::var_95_se},
      {"var_99_se", &CellStats::var_99_se}, {"es_95_se", &CellStats::es_95_se}, {"es_99_se", &CellStats::es_99_se},
      {"var_999", &CellStats::var_999}, {"es_999", &CellStats::es_999}, {"var_999_se", &CellStats::var_999_se},
      {"es_999_se", &CellStats::es_999_se}, {"var_99_lo", &CellStats::var_99_lo},
      {"var_99_hi", &CellStats::var_99_hi}, {"var_999_lo", &CellStats::var_999_lo},
      {"var_999_hi", &CellStats::var_999_hi}, {"es_99_lo", &CellStats::es_99_lo}, {"es_99_hi", &CellStats::es_99_hi},
      {"es_999_lo", &CellStats::es_999_lo}, {"es_999_hi", &CellStats::es_999_hi},
      {"mean_jump_pnl", &CellStats::mean_jump_pnl}, {"mean_jump_pnl_se", &CellStats::mean_jump_pnl_se},
      {"std_jump_pnl", &CellStats::std_jump_pnl}, {"mean_diffusive_pnl", &CellStats::mean_diffusive_pnl},
      {"mean_diffusive_pnl_se", &CellStats::mean_diffusive_pnl_se},
      {"std_diffusive_pnl", &CellStats::std_diffusive_pnl}, {"mean_jumps", &CellStats::mean_jumps},
      {"diff_mean", &CellStats::diff_mean}, {"diff_mean_se", &CellStats::diff_mean_se},
      {"diff_mean_se_unpaired", &CellStats::diff_mean_se_unpaired}, {"diff_std", &CellStats::diff_std},
      {"diff_std_se", &CellStats::diff_std_se}, {"diff_std_se_unpaired", &CellStats::diff_std_se_unpaired},
      {"bkl_std", &CellStats::bkl_std}, {"leland_volatility", &CellStats::leland_volatility},
      {"jump_residual_std", &CellStats::jump_residual_std}, {"ahmad_wilmott_mean", &CellStats::ahmad_wilmott_mean},
      {"sketch_zero_threshold", &CellStats::sketch_zero_threshold},
  };
  struct Vector {
    const char* name;
    std::vector<double> CellStats::*member;
  };
  static const Vector vectors[] = {
      {"quantiles", &CellStats::quantiles},           {"quantiles_lo", &CellStats::quantiles_lo},
      {"quantiles_hi", &CellStats::quantiles_hi},     {"histogram_edges", &CellStats::histogram_edges},
      {"loss_probability", &CellStats::loss_probability}, {"loss_probability_se", &CellStats::loss_probability_se},
      {"worst_pnl", &CellStats::worst_pnl},           {"jump_bin_mean", &CellStats::jump_bin_mean},
      {"jump_bin_mean_se", &CellStats::jump_bin_mean_se}, {"jump_bin_std", &CellStats::jump_bin_std},
  };
  std::vector<std::string> out;
  for (const Scalar& s : scalars)
    if (std::memcmp(&(a.*s.member), &(b.*s.member), sizeof(double)) != 0) out.push_back(s.name);
  for (const Vector& v : vectors) {
    const std::vector<double>&x = a.*v.member, &y = b.*v.member;
    if (x.size() != y.size() || (!x.empty() && std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) != 0))
      out.push_back(v.name);
  }
  if (a.histogram_counts != b.histogram_counts) out.push_back("histogram_counts");
  if (a.jump_bin_count != b.jump_bin_count) out.push_back("jump_bin_count");
  if (a.worst_index != b.worst_index) out.push_back("worst_index");
  return out;
}

}  // namespace hl::test
