#pragma once
// Study -> sweep cells x path groups x simulation grid, with everything path-independent precomputed.
#include <string>
#include <vector>

#include "host/pricing.hpp"
#include "host/study.hpp"
#include "kernels/backend.hpp"

namespace hl {

// One cell's resolved configuration (every sweepable key at this cell's value).
struct CellConfig {
  double spot, rate, drift, volatility;
  int model = 0;  // Model
  // Model parameters (NaN where not set), in the order of model_parameter_keys().
  double jump_intensity, jump_mean, jump_std, jump_up_probability, eta_up, eta_down;
  double kappa, theta, xi, rho, v0;
  double regime_volatilities[2], regime_rates[2];
  double gap_time, gap_size, vol_shift_time, vol_shift_to;  // stress overlays (NaN / 0 where none)
  int hedge_model = 0;  // HedgeModel
  std::vector<double> strike, quantity;  // per book entry
  int policy = 0;                        // Policy (hedge_model is above, with the market)
  int rebalances = 1;
  double hedge_volatility = 0.0;         // as configured (the Leland volatility is in CellParams)
  double band = 0.0, risk_aversion = 1.0, move = 0.0;
  bool to_edge = true;
  double proportional = 0.0, fixed = 0.0, half_spread = 0.0, half_spread_per_vol = 0.0;
  double impact_eta = 0.0, volume = 1e6, lot = 0.0;
};

struct Plan {
  SimJob job;
  std::vector<std::vector<double>> cell_coords;  // [cell][axis], axes as in Study::axes
  std::vector<CellConfig> configs;               // per cell
  // Theory columns, per cell; NaN where they do not apply.
  std::vector<double> derman_kamal_std;    // one option, time policy at the true volatility, no costs
  std::vector<double> bkl_std;             // Bertsimas-Kogan-Lo: time policy, no costs, any book
  std::vector<double> ahmad_wilmott_mean;  // Ahmad-Wilmott continuous-hedging mean: time policy, no costs
  std::vector<double> leland_volatility;   // the volatility a leland cell prices and hedges at
  // The std of the P&L hedged continuously with Merton's delta in a Merton market (Ito isometry), the
  // level the time policy's std falls to as rebalancing gets fine: merton market and hedger at the
  // diffusion volatility, drift = rate, no costs or overlays.
  std::vector<double> jump_residual_std;
  double horizon = 0.0;                          // the book's last maturity
};

// The configuration of cell c (axis values substituted into the study).
CellConfig cell_config(const Study& s, std::size_t cell);

// The jump law the cell's hedger prices with (kind kNone for Black-Scholes), at hedge volatility vol.
JumpParams hedger_jumps(const CellConfig& c, double vol);

// Throws InputError for combinations that single-key validation cannot see (grid, maturities, a
// policy's parameters).
Plan make_plan(const Study& s);

// Derman & Kamal (1999), "When you cannot hedge continuously": the std of the P&L of an option
// hedged N times over its life is about sqrt(pi/4) vega sigma / sqrt(N).
double derman_kamal_std(double vega, double sigma, int rebalances);


}  // namespace hl
