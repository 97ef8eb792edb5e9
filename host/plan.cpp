#include "host/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <atomic>
#include <thread>
#include <tuple>

#include "host/pricing.hpp"
#include "host/theory.hpp"
#include "kernels/black_scholes.hpp"

namespace hl {

namespace {

std::int64_t grid_steps(const Study& s) {
  const auto& reb = s.axis("hedge.rebalances").values;
  if (s.steps > 0) {
    for (double v : reb)
      if (s.steps % static_cast<std::int64_t>(v) != 0)
        throw InputError(fmt::format("market.steps: {} is not a multiple of hedge.rebalances value {}", s.steps,
                                     static_cast<std::int64_t>(v)));
    return s.steps;
  }
  std::int64_t m = 1;
  for (double v : reb) {
    m = std::lcm(m, static_cast<std::int64_t>(v));
    if (m > kMaxSteps)
      throw InputError(fmt::format(
          "hedge.rebalances: these values need a common simulation grid of more than {} steps (their least "
          "common multiple); choose values that divide each other, or set market.steps",
          kMaxSteps));
  }
  return m;
}

const std::string& label(const SweepAxis& a, double v) { return a.labels.at(static_cast<std::size_t>(v)); }
int index_of_label(const std::vector<std::string>& names, const std::string& l) {
  return static_cast<int>(std::find(names.begin(), names.end(), l) - names.begin());
}

// Map keys: NaN (an unset parameter) would break the map's ordering.
double key_value(double v) { return std::isnan(v) ? -1e308 : v; }

void need(double v, const char* key, const std::string& why) {
  if (std::isnan(v)) throw InputError(fmt::format("{}: required for {}", key, why));
}

void need_merton(const CellConfig& c, const std::string& why) {
  need(c.jump_intensity, "market.jump_intensity", why);
  need(c.jump_mean, "market.jump_mean", why);
  need(c.jump_std, "market.jump_std", why);
}
void need_kou(const CellConfig& c, const std::string& why) {
  need(c.jump_intensity, "market.jump_intensity", why);
  need(c.jump_up_probability, "market.jump_up_probability", why);
  need(c.eta_up, "market.eta_up", why);
  need(c.eta_down, "market.eta_down", why);
}

// What single-key validation cannot see: the parameters a cell's model and overlays need.
void check_model(const CellConfig& c, double T, std::int64_t M, const std::string& where) {
  const double dt = T / static_cast<double>(M);
  const std::string model = model_names()[c.model];
  const std::string why = fmt::format("market.model '{}' ({})", model, where);
  if (c.model == kModelMerton) need_merton(c, why);
  if (c.model == kModelKou) need_kou(c, why);
  if (c.model == kModelHeston) {
    for (auto [v, key] : {std::pair{c.kappa, "market.kappa"}, {c.theta, "market.theta"}, {c.xi, "market.xi"},
                          {c.v0, "market.v0"}})
      need(v, key, why);
  }
  if (c.model == kModelRegime) {
    need(c.regime_volatilities[0], "market.regime_volatilities", why);
    need(c.regime_rates[0], "market.regime_rates", why);
  }
  if (c.gap_size != 0.0) {
    need(c.gap_time, "stress.gap_time", fmt::format("a gap (stress.gap_size is {}; {})", c.gap_size, where));
    if (c.gap_time > T * (1 + 1e-12))
      throw InputError(fmt::format("stress.gap_time: {} is after the horizon {} ({})", c.gap_time, T, where));
  }
  if (!std::isnan(c.vol_shift_to) || !std::isnan(c.vol_shift_time)) {
    need(c.vol_shift_time, "stress.vol_shift_time", fmt::format("a volatility shift ({})", where));
    need(c.vol_shift_to, "stress.vol_shift_to", fmt::format("a volatility shift ({})", where));
    if (c.vol_shift_time >= T)
      throw InputError(fmt::format("stress.vol_shift_time: {} is not before the horizon {} ({})", c.vol_shift_time, T,
                                   where));
    // The shift acts on the steps that start at or after it: one starting within the last step acts on none.
    if (std::ceil(c.vol_shift_time / dt - 1e-9) >= static_cast<double>(M))
      throw InputError(fmt::format("stress.vol_shift_time: {} is after the start of the last grid step ({}): no step "
                                   "would have the new volatility ({})",
                                   c.vol_shift_time, (M - 1) * dt, where));
  }
  const std::string hm = hedge_model_names()[c.hedge_model];
  const std::string hwhy = fmt::format("hedge.model '{}' ({})", hm, where);
  if (c.hedge_model == kHedgeMerton) need_merton(c, hwhy);
  if (c.hedge_model == kHedgeKou) need_kou(c, hwhy);
  if (c.hedge_model == kHedgeMinVariance && c.model != kModelMerton && c.model != kModelKou)
    throw InputError(fmt::format("hedge.model: 'min_variance' needs a jump market (market.model 'merton' or 'kou'), "
                                 "got '{}' ({})", model, where));
  if (c.hedge_model == kHedgeMinVariance && c.model == kModelKou && !(c.eta_up > 2.0))
    throw InputError(fmt::format("market.eta_up: hedge.model 'min_variance' under kou jumps needs eta_up > 2 (the "
                                 "variance of e^Y must be finite), got {} ({})",
                                 c.eta_up, where));
  if (c.hedge_model != kHedgeBs &&
      (c.policy == kPolicyWhalleyWilmott || c.policy == kPolicyZakamouline || c.policy == kPolicyLeland))
    throw InputError(fmt::format("hedge.model: policy '{}' is defined for Black-Scholes hedging only, got '{}' ({})",
                                 policy_names()[c.policy], hm, where));
}

// The jump law of a cell's market (merton, kou; none otherwise) at diffusion volatility sigma.
JumpParams market_jumps(const CellConfig& c, int model, double sigma) {
  JumpParams j;
  j.sigma = sigma;
  if (model == kModelMerton) {
    j.kind = JumpKind::kMerton;
    j.lambda = c.jump_intensity;
    j.jump_mean = c.jump_mean;
    j.jump_std = c.jump_std;
  } else if (model == kModelKou) {
    j.kind = JumpKind::kKou;
    j.lambda = c.jump_intensity;
    j.p_up = c.jump_up_probability;
    j.eta_up = c.eta_up;
    j.eta_down = c.eta_down;
  }
  return j;
}

}  // namespace

JumpParams hedger_jumps(const CellConfig& c, double vol) {
  switch (c.hedge_model) {
    case kHedgeMerton: return market_jumps(c, kModelMerton, vol);
    case kHedgeKou: return market_jumps(c, kModelKou, vol);
    case kHedgeMinVariance: return market_jumps(c, c.model, vol);
    default: return market_jumps(c, kModelGbm, vol);
  }
}

namespace {

// The market of a path group: every per-step constant of the cell's model and overlays.
void fill_market(PathParams& P, const CellConfig& c, double dt, const std::string& where) {
  const int M = P.steps;
  const double mu = c.drift, sig = c.volatility;
  P.model = c.model;
  const JumpParams jm = market_jumps(c, c.model, sig);
  const double lk = jm.kind == JumpKind::kNone ? 0.0 : jm.lambda * jump_kappa(jm);  // compensator lambda kappa
  P.drift_dt = (mu - lk - 0.5 * sig * sig) * dt;
  P.vol_sqrt_dt = sig * std::sqrt(dt);
  if (jm.kind != JumpKind::kNone && jm.lambda > 0.0) {
    // Poisson(lambda dt) CDF up to the first count whose tail is below 1e-13.
    const double ldt = jm.lambda * dt;
    std::vector<double> term{std::exp(-ldt)};
    for (int k = 1; k <= 64; ++k) term.push_back(term.back() * ldt / k);
    // The tail beyond k is 1 - sum_{i <= k} term[i]; when the 65 terms themselves miss mass (lambda dt
    // far beyond any cap), the count is refused below.
    double head = 0.0;
    for (double t : term) head += t;
    int kmax = 0;
    for (double below = term[0]; kmax < 64 && 1.0 - below >= 1e-13; below += term[++kmax]) {
    }
    kmax = std::max(kmax, 1);
    if (kmax > kMaxJumpsPerStep || 1.0 - head >= 1e-13)
      throw InputError(fmt::format(
          "market.jump_intensity: {} jumps a year on steps of {:.4g} years need more than {} jumps per step ({}); "
          "set market.steps higher",
          jm.lambda, dt, kMaxJumpsPerStep, where));
    P.jump_kmax = kmax;
    double cdf = 0.0;
    for (int k = 0; k < kmax; ++k) P.jump_cdf[k] = cdf += term[k];
  }
  P.jump_mean = c.jump_mean;
  P.jump_std = c.jump_std;
  P.jump_p_up = c.jump_up_probability;
  P.inv_eta_up = 1.0 / c.eta_up;
  P.inv_eta_down = 1.0 / c.eta_down;
  if (c.model == kModelHeston) {
    // Andersen (2008), eqs. 17-18 (conditional mean and variance of V) and 33 (K0..K4, gamma1 = gamma2 = 1/2).
    const double k = c.kappa, th = c.theta, xi = c.xi, rho = c.rho, E = std::exp(-k * dt);
    P.hs_exp = E;
    P.hs_theta = th;
    P.hs_c1 = xi * xi * E * (1.0 - E) / k;
    P.hs_c2 = th * xi * xi * (1.0 - E) * (1.0 - E) / (2.0 * k);
    P.hs_k0 = -rho * k * th * dt / xi;
    P.hs_k1 = 0.5 * dt * (k * rho / xi - 0.5) - rho / xi;
    P.hs_k2 = 0.5 * dt * (k * rho / xi - 0.5) + rho / xi;
    P.hs_k3 = 0.5 * dt * (1.0 - rho * rho);
    P.hs_k4 = P.hs_k3;
    P.hs_v0 = c.v0;
    P.hs_drift_dt = mu * dt;
  }
  if (c.model == kModelRegime) {
    // Two-state chain with rates q0 (leave 0) and q1 (leave 1): P(in the other state after dt) =
    // q_r / (q0 + q1) (1 - e^{-(q0 + q1) dt}), exact, whatever happened within the step.
    const double q0 = c.regime_rates[0], q1 = c.regime_rates[1], qs = q0 + q1;
    for (int r = 0; r < 2; ++r) {
      const double v = c.regime_volatilities[r];
      P.rg_drift_dt[r] = (mu - 0.5 * v * v) * dt;
      P.rg_vol_sqrt_dt[r] = v * std::sqrt(dt);
      P.rg_switch[r] = qs > 0.0 ? (r == 0 ? q0 : q1) / qs * -std::expm1(-qs * dt) : 0.0;
    }
  }
  P.gap_step = -1;
  P.log_gap = 0.0;
  if (c.gap_size != 0.0) {
    // The gap happens at the first grid date at or after gap_time; the position held into it takes it.
    P.gap_step = std::clamp(static_cast<int>(std::ceil(c.gap_time / dt - 1e-9)), 1, M);
    P.log_gap = std::log1p(c.gap_size);
  }
  P.shift_step = -1;
  if (!std::isnan(c.vol_shift_to)) {
    // Steps that start at or after vol_shift_time have the new volatility.
    P.shift_step = std::max(1, static_cast<int>(std::ceil(c.vol_shift_time / dt - 1e-9)) + 1);
    const double v2 = c.vol_shift_to;
    P.sh_drift_dt = (mu - lk - 0.5 * v2 * v2) * dt;
    P.sh_vol_sqrt_dt = v2 * std::sqrt(dt);
    P.sh_v = v2 * v2;
    if (c.model == kModelRegime) {
      const double f = v2 / c.regime_volatilities[0];  // the calm level becomes vol_shift_to, the ratio stays
      for (int r = 0; r < 2; ++r) {
        const double v = c.regime_volatilities[r] * f;
        P.sh_rg_drift_dt[r] = (mu - 0.5 * v * v) * dt;
        P.sh_rg_vol_sqrt_dt[r] = v * std::sqrt(dt);
      }
    }
  }
  P.has_jumps = (P.jump_kmax > 0 || P.gap_step >= 0) ? 1 : 0;
  // The Merton hedger's constants, from the market's jump keys (also for a gbm market).
  if (!std::isnan(c.jump_intensity) && !std::isnan(c.jump_mean) && !std::isnan(c.jump_std)) {
    const JumpParams jh = market_jumps(c, kModelMerton, sig);
    const double kap = jump_kappa(jh);
    P.mh_lambda_prime = jh.lambda * (1.0 + kap);
    P.mh_rate_shift = -jh.lambda * kap;
    P.mh_log1k = std::log1p(kap);
    P.mh_jump_var = jh.jump_std * jh.jump_std;
    // Terms until the Poisson(lambda' T) tail is below 1e-12.
    const double lt = P.mh_lambda_prime * M * dt;
    double w = std::exp(-lt), cdf = w;
    int n = 1;
    while (1.0 - cdf > 1e-12 && n < 200) {
      w *= lt / n++;
      cdf += w;
    }
    if (1.0 - cdf > 1e-12)
      throw InputError(fmt::format("market.jump_intensity: Merton's series needs more than 200 terms for {} jumps a "
                                   "year over {} years ({})",
                                   jh.lambda, M * dt, where));
    P.mh_terms = n;
  }
}

constexpr int kTableNx = 256;  // nodes per hedge-ratio table row

// Rows of the kou / min_variance hedger's table for one path group (layout in params.hpp): every
// option, every grid date before its expiry, x = log(S/K) over +-(8 sigma_tot sqrt(tau) + 4 sd(Y)).
std::vector<double> build_table(const PathParams& P, const JumpParams& jh, GridRatio what) {
  const int M = P.steps, row = kTableHeader + 4 * kTableNx;
  std::vector<double> t(static_cast<std::size_t>(P.n_book) * (M + 1) * row, 0.0);
  double ey2 = 0.0;  // E[Y^2]
  if (jh.kind == JumpKind::kMerton) ey2 = jh.jump_mean * jh.jump_mean + jh.jump_std * jh.jump_std;
  if (jh.kind == JumpKind::kKou)
    ey2 = 2.0 * jh.p_up / (jh.eta_up * jh.eta_up) + 2.0 * (1.0 - jh.p_up) / (jh.eta_down * jh.eta_down);
  const double var = jh.sigma * jh.sigma + jh.lambda * ey2;
  std::vector<std::pair<int, int>> work;  // (option, step)
  for (int i = 0; i < P.n_book; ++i)
    for (int j = 0; j < P.book[i].expiry_step; ++j) work.emplace_back(i, j);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    std::vector<double> x(kTableNx), ratio, dratio, price, dprice;
    for (std::size_t w; (w = next.fetch_add(1)) < work.size();) {
      const auto [i, j] = work[w];
      const double tau = (P.book[i].expiry_step - j) * P.dt;
      // x = c sinh(u): near expiry the delta turns over a width sigma sqrt(tau) while jumps reach far,
      // so the nodes are dense at the money and sparse in the tails.
      const double L = 8.0 * std::sqrt(var * tau) + 4.0 * std::sqrt(ey2);
      const double c = std::max(jh.sigma * std::sqrt(tau), 1e-6);
      const double U = std::asinh(L / c), du = 2.0 * U / (kTableNx - 1);
      for (int k = 0; k < kTableNx; ++k) x[k] = c * std::sinh(-U + k * du);
      call_grid(jh, P.rate, tau, what, x, ratio, dratio, price, dprice);
      double* r = t.data() + (static_cast<std::size_t>(i) * (M + 1) + j) * row;
      r[0] = -U;
      r[1] = 1.0 / du;
      r[2] = c;
      r[3] = x[kTableNx - 1];
      for (int k = 0; k < kTableNx; ++k) {
        const double dxdu = c * std::cosh(-U + k * du);
        double* node = r + kTableHeader + 4 * k;
        node[0] = ratio[k];
        node[1] = dratio[k] * dxdu;
        node[2] = price[k];
        node[3] = dprice[k] * dxdu;
      }
    }
  };
  std::vector<std::thread> pool;
  const unsigned n = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned k = 1; k < n; ++k) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  for (double v : t)
    if (!std::isfinite(v))
      throw InputError("hedge.model: the hedger's table has non-finite values for these jump parameters");
  return t;
}

}  // namespace

double derman_kamal_std(double vega, double sigma, int rebalances) {
  return std::sqrt(M_PI / 4.0) * vega * sigma / std::sqrt(static_cast<double>(rebalances));
}


CellConfig cell_config(const Study& s, std::size_t cell) {
  const std::vector<std::size_t> idx = cell_indices(s, cell);
  std::map<std::string, double> v;
  for (std::size_t a = 0; a < s.axes.size(); ++a) v[s.axes[a].key] = s.axes[a].values[idx[a]];
  auto get = [&](const std::string& key) { return v.at(key); };
  CellConfig c;
  c.spot = get("market.spot");
  c.rate = get("market.rate");
  c.drift = get("market.drift");
  c.volatility = get("market.volatility");
  c.model = index_of_label(model_names(), label(s.axis("market.model"), get("market.model")));
  c.jump_intensity = get("market.jump_intensity");
  c.jump_mean = get("market.jump_mean");
  c.jump_std = get("market.jump_std");
  c.jump_up_probability = get("market.jump_up_probability");
  c.eta_up = get("market.eta_up");
  c.eta_down = get("market.eta_down");
  c.kappa = get("market.kappa");
  c.theta = get("market.theta");
  c.xi = get("market.xi");
  c.rho = get("market.rho");
  c.v0 = get("market.v0");
  for (const char* key : {"market.regime_volatilities", "market.regime_rates"}) {
    const SweepAxis& a = s.axis(key);
    const std::vector<double>& t = a.tuples.at(static_cast<std::size_t>(get(key)));
    double* into = std::string(key) == "market.regime_rates" ? c.regime_rates : c.regime_volatilities;
    into[0] = t.at(0);
    into[1] = t.at(1);
  }
  c.gap_time = get("stress.gap_time");
  c.gap_size = get("stress.gap_size");
  c.vol_shift_time = get("stress.vol_shift_time");
  c.vol_shift_to = get("stress.vol_shift_to");
  c.hedge_model = index_of_label(hedge_model_names(), label(s.axis("hedge.model"), get("hedge.model")));
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    c.strike.push_back(get("book." + std::to_string(i) + ".strike"));
    c.quantity.push_back(get("book." + std::to_string(i) + ".quantity"));
  }
  c.policy = index_of_label(policy_names(), label(s.axis("hedge.policy"), get("hedge.policy")));
  c.rebalances = static_cast<int>(get("hedge.rebalances"));
  c.hedge_volatility = get("hedge.volatility");
  c.band = get("hedge.band");
  c.to_edge = label(s.axis("hedge.to"), get("hedge.to")) == "edge";
  c.risk_aversion = get("hedge.risk_aversion");
  c.move = get("hedge.move");
  c.proportional = get("costs.proportional");
  c.fixed = get("costs.fixed");
  c.half_spread = get("costs.half_spread");
  c.half_spread_per_vol = get("costs.half_spread_per_vol");
  c.impact_eta = get("costs.impact_eta");
  c.volume = get("costs.volume");
  c.lot = get("costs.lot");
  return c;
}

Plan make_plan(const Study& s) {
  if (s.book.empty()) throw InputError("book: at least one [[book]] option is required");
  if (static_cast<int>(s.book.size()) > kMaxBook)
    throw InputError(fmt::format("book: at most {} options are supported, got {}", kMaxBook, s.book.size()));
  Plan plan;
  const std::int64_t M = grid_steps(s);
  double T = 0.0;
  for (const auto& o : s.book) T = std::max(T, o.maturity);
  plan.horizon = T;
  const double dt = T / static_cast<double>(M);
  std::vector<int> expiry(s.book.size());
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    // Each maturity must be a grid date, so that its payoff is paid on the simulated path.
    const double k = s.book[i].maturity / T * static_cast<double>(M);
    const double kr = std::round(k);
    if (kr < 1.0 || std::fabs(k - kr) > 1e-6)
      throw InputError(fmt::format(
          "book.{}.maturity: {} is not a date of the simulation grid ({} steps of {:.6g} years up to the last "
          "maturity {}); set market.steps so that every maturity falls on a step",
          i, s.book[i].maturity, M, dt, T));
    expiry[i] = static_cast<int>(kr);
  }

  SimJob& job = plan.job;
  job.paths = s.paths;
  job.precision = static_cast<int>(std::find(precision_names().begin(), precision_names().end(), s.precision) -
                                   precision_names().begin());
  std::map<std::vector<double>, int> group_of;  // market + book values -> path group
  std::vector<std::pair<double, int>> vols;     // distinct (hedge volatility, hedge model), in order of first use
  std::map<std::tuple<int, int, double>, long long> table_of;  // (group, hedge model, vol) -> table offset
  std::map<int, double> residual_of;                           // path group -> jump residual std
  std::map<std::vector<double>, int> trade_of;  // what moves a cell's trades -> trade index
  const std::size_t ncells = cell_count(s);
  for (std::size_t cidx = 0; cidx < ncells; ++cidx) {
    const CellConfig c = cell_config(s, cidx);
    const std::string where = fmt::format("cell {}", cidx);
    check_model(c, T, M, where);

    // The path group: its simulated market and its book.
    std::vector<double> key{c.spot,
                            c.rate,
                            c.drift,
                            c.volatility,
                            static_cast<double>(c.model),
                            c.jump_intensity,
                            c.jump_mean,
                            c.jump_std,
                            c.jump_up_probability,
                            c.eta_up,
                            c.eta_down,
                            c.kappa,
                            c.theta,
                            c.xi,
                            c.rho,
                            c.v0,
                            c.regime_volatilities[0],
                            c.regime_volatilities[1],
                            c.regime_rates[0],
                            c.regime_rates[1],
                            c.gap_time,
                            c.gap_size,
                            c.vol_shift_time,
                            c.vol_shift_to};
    key.insert(key.end(), c.strike.begin(), c.strike.end());
    key.insert(key.end(), c.quantity.begin(), c.quantity.end());
    for (double& v : key) v = key_value(v);
    auto [it, fresh] = group_of.try_emplace(key, static_cast<int>(job.groups.size()));
    if (fresh) {
      PathGroup g;
      PathParams& P = g.params;
      P = PathParams{};
      P.seed = s.seed;
      P.steps = static_cast<int>(M);
      P.dt = dt;
      P.rate = c.rate;
      P.volatility = c.volatility;
      P.spot = c.spot;
      fill_market(P, c, dt, where);
      job.jumps = job.jumps || P.has_jumps;
      P.growth_horizon = std::exp(c.rate * T);
      P.n_book = static_cast<int>(s.book.size());
      P.cost_initial = s.costs_on_initial ? 1 : 0;
      P.cost_unwind = s.costs_on_unwind ? 1 : 0;
      double book_size = 0.0, book_gamma = 0.0;
      for (std::size_t i = 0; i < s.book.size(); ++i) {
        BookEntry& b = P.book[i];
        b.strike = c.strike[i];
        b.log_moneyness = std::log(c.strike[i] / c.spot);
        b.quantity = c.quantity[i];
        b.is_call = s.book[i].is_call ? 1 : 0;
        b.expiry_step = expiry[i];
        book_size += std::fabs(c.quantity[i]);
        book_gamma += c.quantity[i] *
                      bs_greeks(s.book[i].is_call, c.spot, c.strike[i], c.rate, c.volatility, s.book[i].maturity).gamma;
      }
      P.min_trade = 1e-12 * book_size;
      g.short_gamma = book_gamma < 0.0 ? 1.0 : -1.0;
      g.discount.resize(M + 1);
      for (std::int64_t j = 0; j <= M; ++j) g.discount[j] = std::exp(-c.rate * static_cast<double>(j) * dt);
      g.sqrt_tau.assign(s.book.size() * (M + 1), 0.0);
      g.inv_sqrt_tau.assign(s.book.size() * (M + 1), 0.0);
      for (std::size_t i = 0; i < s.book.size(); ++i)
        for (int j = 0; j < expiry[i]; ++j) {
          const double tau = static_cast<double>(expiry[i] - j) * dt;
          g.sqrt_tau[i * (M + 1) + j] = std::sqrt(tau);
          g.inv_sqrt_tau[i * (M + 1) + j] = 1.0 / std::sqrt(tau);
        }
      fill_float_tables(g);
      job.groups.push_back(std::move(g));
    }
    const int group = it->second;
    const bool short_gamma = job.groups[group].short_gamma > 0.0;

    // The hedger of this cell.
    CellParams cp{};
    cp.policy = c.policy;
    cp.every_step = (c.policy == kPolicyBand || c.policy == kPolicyWhalleyWilmott ||
                     c.policy == kPolicyZakamouline || c.policy == kPolicyMove) ? 1 : 0;
    cp.stride = static_cast<int>(M / c.rebalances);
    cp.to_edge = c.to_edge ? 1 : 0;
    cp.band = c.band;
    cp.risk_aversion = c.risk_aversion;
    cp.move = c.move;
    cp.linear_rate = c.proportional + c.half_spread + c.half_spread_per_vol * c.volatility;
    cp.fixed = c.fixed;
    cp.impact_coef = c.impact_eta * c.volatility / std::sqrt(c.volume);
    cp.lot = c.lot;
    double vol = c.hedge_volatility;
    if (c.policy == kPolicyLeland) {
      vol = leland_volatility(c.hedge_volatility, cp.linear_rate, T / c.rebalances, short_gamma);
      if (!std::isfinite(vol))
        throw InputError(fmt::format("hedge.policy: {}: the Leland volatility is undefined (sigma_L^2 <= 0) for a "
                                     "long-gamma book with these costs and hedge.rebalances",
                                     where));
    }
    if (c.policy == kPolicyBand && !(c.band > 0.0))
      throw InputError(fmt::format("hedge.band: {}: policy 'band' needs hedge.band > 0", where));
    if (c.policy == kPolicyMove && !(c.move > 0.0))
      throw InputError(fmt::format("hedge.move: {}: policy 'move' needs hedge.move > 0", where));
    if ((c.policy == kPolicyWhalleyWilmott || c.policy == kPolicyZakamouline) && !(cp.linear_rate > 0.0))
      throw InputError(fmt::format("costs.proportional: {}: policy '{}' needs a proportional cost or half-spread "
                                   "> 0 (its band is derived from it)",
                                   where, policy_names()[c.policy]));
    cp.hedge_vol = vol;
    cp.inv_vol = 1.0 / vol;
    cp.d1_coef = c.rate / vol + 0.5 * vol;
    cp.hedge_model = c.hedge_model;
    cp.table = -1;
    // The premium in the hedger's model (Black-Scholes, Merton's series, Kou by Fourier inversion).
    const JumpParams jh = hedger_jumps(c, vol);
    double book_value = 0.0, book_vega = 0.0;
    for (std::size_t i = 0; i < s.book.size(); ++i) {
      const OptionSpec& o = s.book[i];
      book_value += c.quantity[i] * jump_price(o.is_call, c.spot, c.strike[i], c.rate, o.maturity, jh).price;
      book_vega += c.quantity[i] * bs_greeks(o.is_call, c.spot, c.strike[i], c.rate, c.volatility, o.maturity).vega;
    }
    if (!std::isfinite(book_value))
      throw InputError(fmt::format("hedge.model: the book's price in the '{}' model is not finite ({})",
                                   hedge_model_names()[c.hedge_model], where));
    cp.book_value = book_value;
    if (c.hedge_model == kHedgeKou || c.hedge_model == kHedgeMinVariance) {
      auto [tit, tfresh] = table_of.try_emplace({group, c.hedge_model, vol}, 0);
      if (tfresh) {
        PathGroup& g = job.groups[group];
        tit->second = static_cast<long long>(g.tables.size());
        const double rows = static_cast<double>(s.book.size()) * static_cast<double>(M + 1) * (kTableHeader + 4 * kTableNx);
        if (static_cast<double>(g.tables.size()) + rows > 2.5e8)
          throw InputError(fmt::format("hedge.model: the '{}' hedger's tables would need more than 2 GB on {} grid "
                                       "steps; lower market.steps ({})",
                                       hedge_model_names()[c.hedge_model], M, where));
        const std::vector<double> t = build_table(g.params, jh,
                                                  c.hedge_model == kHedgeKou ? GridRatio::kDelta : GridRatio::kMinVariance);
        g.tables.insert(g.tables.end(), t.begin(), t.end());
        g.params.table_nx = kTableNx;
      }
      cp.table = tit->second;
    }
    auto vit = std::find(vols.begin(), vols.end(), std::pair{vol, c.hedge_model});
    if (vit == vols.end()) vit = vols.insert(vols.end(), std::pair{vol, c.hedge_model});
    job.cell_vol_index.push_back(static_cast<int>(vit - vols.begin()));
    // Cells trade alike when what moves their decisions is equal: costs only matter to the bands of
    // whalley_wilmott and zakamouline.
    const bool timed_policy = c.policy == kPolicyTime || c.policy == kPolicyLeland;
    const bool cost_band = c.policy == kPolicyWhalleyWilmott || c.policy == kPolicyZakamouline;
    const std::vector<double> trade_key{static_cast<double>(group),
                                        static_cast<double>(c.policy),
                                        static_cast<double>(c.hedge_model),
                                        timed_policy ? static_cast<double>(cp.stride) : 0.0,
                                        vol,
                                        c.policy == kPolicyBand ? c.band : 0.0,
                                        (c.policy == kPolicyBand || cost_band) && c.to_edge ? 1.0 : 0.0,
                                        cost_band ? c.risk_aversion : 0.0,
                                        cost_band ? cp.linear_rate : 0.0,
                                        c.policy == kPolicyMove ? c.move : 0.0,
                                        c.lot};
    auto [tit, tfresh] = trade_of.try_emplace(trade_key, static_cast<int>(trade_of.size()));
    job.cell_trade_index.push_back(tit->second);
    job.cell_group.push_back(group);
    job.cells.push_back(cp);

    // Derman-Kamal applies to one option hedged in time at the true volatility without costs.
    const bool costless = cp.linear_rate == 0.0 && cp.fixed == 0.0 && cp.impact_coef == 0.0 && cp.lot == 0.0;
    const bool plain_gbm = c.model == kModelGbm && c.hedge_model == kHedgeBs && c.gap_size == 0.0 &&
                           std::isnan(c.vol_shift_to);
    const bool dk = plain_gbm && s.book.size() == 1 && c.policy == kPolicyTime &&
                    c.hedge_volatility == c.volatility && costless;
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    plan.derman_kamal_std.push_back(dk ? derman_kamal_std(std::fabs(book_vega), c.volatility, c.rebalances) : nan);
    std::vector<TheoryOption> tbook;
    for (std::size_t i = 0; i < s.book.size(); ++i)
      tbook.push_back({s.book[i].is_call, c.strike[i], s.book[i].maturity, c.quantity[i]});
    const bool timed = plain_gbm && c.policy == kPolicyTime && costless;
    // BKL is the std of the discretisation error: the whole std only when hedging at the true volatility
    // (otherwise the O(1) Ahmad-Wilmott randomness adds to it).
    plan.bkl_std.push_back(timed && c.hedge_volatility == c.volatility
                               ? bkl_std(tbook, c.spot, c.rate, c.drift, c.volatility, c.hedge_volatility, c.rebalances)
                               : nan);
    plan.ahmad_wilmott_mean.push_back(
        timed ? ahmad_wilmott_mean(tbook, c.spot, c.rate, c.drift, c.volatility, c.hedge_volatility) : nan);
    plan.leland_volatility.push_back(c.policy == kPolicyLeland ? vol : nan);
    const bool residual = c.model == kModelMerton && c.hedge_model == kHedgeMerton && c.policy == kPolicyTime &&
                          costless && c.hedge_volatility == c.volatility && c.drift == c.rate && c.gap_size == 0.0 &&
                          std::isnan(c.vol_shift_to);
    double jr = nan;
    if (residual) {
      auto [rit, rfresh] = residual_of.try_emplace(group, nan);
      if (rfresh) rit->second = std::sqrt(merton_hedge_variance(tbook, c.spot, c.rate, jh));
      jr = rit->second;
    }
    plan.jump_residual_std.push_back(jr);
    std::vector<double> coord(s.axes.size());
    const std::vector<std::size_t> idx = cell_indices(s, cidx);
    for (std::size_t a = 0; a < s.axes.size(); ++a) coord[a] = s.axes[a].values[idx[a]];
    plan.cell_coords.push_back(std::move(coord));
    plan.configs.push_back(c);
  }
  return plan;
}

}  // namespace hl
