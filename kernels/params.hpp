#pragma once
// Plain parameter structs handed to the per-path code, by value. The host (host/plan.cpp) fills them,
// precomputing everything that is the same for all paths.
#include "kernels/hl_hd.hpp"

namespace hl {

constexpr int kMaxBook = 16;           // options in one book
constexpr int kMaxCellsPerPass = 16;     // cells hedged on one simulation of a path: CUDA (registers)
constexpr int kMaxCellsPerPassCpu = 64;  // the same on the CPU, where the cells' state sits in L1
constexpr int kMaxSteps = 10'000'000;  // simulation grid steps
constexpr int kMaxRebalances = 1'000'000;  // rebalance dates of one cell (checked on the host)
constexpr int kTableHeader = 4;       // doubles before the nodes of a hedge-ratio table row
constexpr int kMaxJumpsPerStep = 16;   // jump counts per step are capped here (the host checks that the
                                       // Poisson tail beyond the cap is below 1e-13)

// Arithmetic of the per-path code (study.precision), in the order of precision_names():
// fp64: double throughout; fp32: float throughout; mixed: float path and deltas, double cash and P&L.
enum Precision : int { kPrecisionFp64 = 0, kPrecisionFp32, kPrecisionMixed };

// Path models (market.model), in the order of model_names() (host/study.cpp).
enum Model : int { kModelGbm = 0, kModelMerton, kModelKou, kModelHeston, kModelRegime };
// The hedger's model (hedge.model), in the order of hedge_model_names().
enum HedgeModel : int {
  kHedgeBs = 0,       // Black-Scholes at the hedge volatility
  kHedgeMerton,       // Merton's series (in the kernel), at the hedge volatility and the market's jumps
  kHedgeKou,          // Kou's delta, interpolated in a host-built table
  kHedgeMinVariance   // Cont-Tankov minimum-variance ratio under the market's jumps, from a table
};

// Rebalance policies, in the order of policy_names() (host/study.cpp).
enum Policy : int {
  kPolicyTime = 0,       // every `stride` steps, to the Black-Scholes delta
  kPolicyBand,           // when |position - delta| > band (checked every step)
  kPolicyWhalleyWilmott, // Whalley & Wilmott (1997) asymptotic band, checked every step
  kPolicyZakamouline,    // Zakamouline (2006) band around the delta at a modified volatility
  kPolicyMove,           // when spot has moved by `move` (fraction) since the last hedge
  kPolicyLeland,         // time-based at the Leland (1985) volatility (set as the hedge volatility)
  kPolicyStatic,         // hedge at t0, hold to the horizon
  kPolicyNone            // never hedge
};

struct BookEntry {
  double strike;
  double log_moneyness;  // log(strike / spot): the paths carry log(S / spot) (hedge_path.hpp)
  double quantity;   // negative = sold
  int is_call;
  int expiry_step;   // grid step of the option's maturity (1..steps)
};

// What is common to every cell of a path group: the simulated path and the book. Cells whose market
// and book differ (a swept market.volatility, a swept strike) are in different path groups, which
// draw the same normals.
struct PathParams {
  std::uint64_t seed;
  int steps;             // simulation grid: steps of dt = horizon / steps
  double dt;
  double rate;
  double volatility;     // of the simulated spot
  double spot;
  double drift_dt;       // (mu - lambda kappa - sigma^2/2) dt: exact GBM step in log space, compensated for jumps
  double vol_sqrt_dt;    // sigma sqrt(dt)
  int model;             // Model
  // Jumps (merton, kou): N per step from one uniform against the Poisson CDF, N = #{k : u > cdf[k]}.
  int jump_kmax;                     // 0 = no jumps; else cdf[0 .. jump_kmax) are used
  double jump_cdf[kMaxJumpsPerStep]; // P(N <= k) for N ~ Poisson(lambda dt)
  double jump_mean, jump_std;        // merton: the log jump is N(jump_mean, jump_std^2)
  double jump_p_up, inv_eta_up, inv_eta_down;  // kou: +Exp(eta_up) w.p. p_up, else -Exp(eta_down)
  // Heston, Andersen (2008) QE with the martingale correction; per-step constants.
  double hs_exp;                     // e^{-kappa dt}
  double hs_c1, hs_c2;               // s^2 = V c1 + c2
  double hs_theta;
  double hs_k0, hs_k1, hs_k2, hs_k3, hs_k4;  // log S += mu dt + K0* + K1 V + K2 V' + sqrt(K3 V + K4 V') Z
                                            // (hs_k0: Andersen's K0, where K0* does not exist)
  double hs_v0;
  double hs_drift_dt;                // mu dt
  // Regime: volatility sigma_r in regime r (0 at t0), switching with per-step probabilities.
  double rg_drift_dt[2], rg_vol_sqrt_dt[2];
  double rg_switch[2];               // P(leave regime r within one step), exact for the two-state chain
  // Stress overlays.
  int gap_step;                      // grid step at whose date spot gaps; -1 = none
  double log_gap;                    // log(1 + gap_size)
  int shift_step;                    // first step of the shifted volatility; -1 = none
  double sh_drift_dt, sh_vol_sqrt_dt;          // gbm, merton, kou after the shift
  double sh_rg_drift_dt[2], sh_rg_vol_sqrt_dt[2];  // regime after the shift (both levels scaled)
  double sh_v;                                  // heston: the variance is set to this at the shift
  int has_jumps;                     // 1 when the path can jump or gap: jump attribution is recorded
  // Merton hedger (hedge.model merton): the market's jump parameters as the hedger prices them.
  double mh_lambda_prime;            // lambda (1 + kappa), per year
  double mh_rate_shift;              // -lambda kappa
  double mh_log1k;                   // log(1 + kappa)
  double mh_jump_var;                // jump_std^2
  int mh_terms;                      // terms of the series (Poisson tail over the horizon below 1e-12)
  double growth_horizon; // exp(r T): values at t0 -> values at the horizon
  double min_trade;      // a rebalance counts as a trade when |shares traded| exceeds this: 1e-12 x
                         // sum |quantity|, so that rounding in N(d1) near 0 or 1 is not a trade
  int cost_initial;      // 1 = the initial hedge pays costs
  int cost_unwind;       // 1 = the unwind at the horizon pays costs
  int n_book;
  BookEntry book[kMaxBook];
  // Per-step tables, steps + 1 entries per row, on the backend's memory (host or device):
  const double* discount;      // exp(-r t_j)
  const double* sqrt_tau;      // [n_book][steps + 1]: sqrt(T_i - t_j), 0 from the option's expiry on
  const double* inv_sqrt_tau;  // [n_book][steps + 1]: 1 / sqrt(T_i - t_j), 0 from expiry on
  const float *discount_f, *sqrt_tau_f, *inv_sqrt_tau_f;  // the same, rounded to float (fp32, mixed)
  // Hedge-ratio tables (kou, min_variance hedgers): rows of kTableHeader + 4 table_nx doubles per (table,
  // option, step). Nodes are uniform in u, with log(S/K) = x = c sinh(u): dense at the money (spacing
  // about c du, c = sigma_h sqrt(tau)), sparse in the tails. Header: u0, 1/du, c, x_end (the last node's
  // x); then per node u_k = u0 + k du: ratio, d ratio/du, price/K, d(price/K)/du for a call of quantity
  // 1. A cell's table starts at CellParams::table.
  const double* tables;
  int table_nx;
};

// Where a backend puts the per-path results of a pass: arrays laid out [cell][path], element (c, p) at
// c * stride + (p - first) (store_path() in hedge_path.hpp writes one path). first is the path the
// arrays start at: 0 for arrays of the whole run, the chunk's first path for a chunk buffer.
struct PathArrays {
  double* pnl;
  double* cost;
  std::uint32_t* trades;
  double* turnover_shares;
  double* turnover_notional;
  double* jump_pnl;      // null when the job records no jumps
  std::uint32_t* jumps;  // null when the job records no jumps
  long long stride;
  long long first = 0;
};

// One sweep cell: how this hedger trades on the common path.
struct CellParams {
  int policy;            // Policy
  int every_step;        // 1 for the policies that decide at every grid step (band, whalley_wilmott,
                         // zakamouline, move)
  int stride;            // time, leland: grid steps between rebalances (steps / rebalances)
  int vol_group;         // cells of a pass with the same hedge volatility share delta evaluations
  int trade_group;       // cells of a pass that trade alike (the same policy and parameters, any
                         // costs that do not move the decisions) share one position; their costs are
                         // linear in shared sums and applied per cell
  int to_edge;           // band policies: 1 = trade to the band's edge, 0 = to the delta
  double hedge_vol;      // sigma_h: premium and deltas (the Leland volatility for leland)
  double inv_vol;        // 1 / sigma_h
  double d1_coef;        // r / sigma_h + sigma_h / 2, so d1 = x inv_vol / sqrt(tau) + d1_coef sqrt(tau)
  double band;           // band: half-width in shares
  double risk_aversion;  // whalley_wilmott, zakamouline: exponential utility gamma
  double move;           // move: fraction of spot
  // Costs of trading q shares at spot S: (linear_rate |q| S) + fixed [traded] + impact_coef S |q|^1.5
  double linear_rate;    // proportional + half-spread (the half-spread is a fraction of spot)
  double fixed;          // per rebalance that trades
  double impact_coef;    // square-root impact eta sigma S |q| sqrt(|q| / volume) = impact_coef S |q|^1.5
  double lot;            // hedge rounded to whole lots of this many shares; 0 = no rounding
  double book_value;     // sum of quantity x price at t0, in the hedger's model at the hedge volatility
  int hedge_model;       // HedgeModel
  long long table;       // kou, min_variance: offset of this cell's rows in PathParams::tables; -1 = none
};

}  // namespace hl
