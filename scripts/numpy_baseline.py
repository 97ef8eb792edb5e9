#!/usr/bin/env python3
"""BASELINE -- NumPy reference for discrete delta hedging of one European option.

This is a reference implementation used only to measure speed against and to
cross-check statistics; it is not part of hedgelab.

Convention (QuantLib's DiscreteHedging example, which hedgelab reproduces):
  * spot follows exact GBM with real-world drift mu and vol sigma;
  * quantity -1 (option sold); at t0 the hedger receives the Black-Scholes
    premium (hedge vol = sigma) into cash and buys delta shares;
  * N rebalances: hedge set at t0, re-hedged at the N-1 interior dates
    t_k = k T/N to the BS delta with time to maturity T - t_k, unwound at T
    (stock sold, payoff paid);
  * cash accrues at r, multiplied by exp(r dt) per interval;
  * optional one-way proportional cost: each trade pays cost * |shares| * S
    (initial trade and unwind included);
  * P&L = final cash (positive = profit).

Runs on one core (thread env vars pinned to 1 before NumPy is imported).
Normals come from numpy.random.default_rng(seed).standard_normal, drawn in
chunks of CHUNK paths (shape (N, chunk)) to bound memory.
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
           "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402

import numpy as np  # noqa: E402

CHUNK = 100_000

try:
    from scipy.special import ndtr as norm_cdf
    CDF_IMPL = "scipy.special.ndtr"
except ImportError:  # rational (Chebyshev) erfc, Numerical Recipes erfcc: rel. err < 1.2e-7
    CDF_IMPL = "numpy rational erfc approximation (rel. err < 1.2e-7; scipy not installed)"

    def norm_cdf(x):
        z = np.abs(x) / math.sqrt(2.0)
        t = 1.0 / (1.0 + 0.5 * z)
        poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
            -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
                -0.82215223 + t * 0.17087277))))))))
        erfc = t * np.exp(-z * z + poly)          # erfc(|x|/sqrt2)
        return np.where(x >= 0, 1.0 - 0.5 * erfc, 0.5 * erfc)


def bs_d1(S, K, r, sigma, tau):
    return (np.log(S / K) + (r + 0.5 * sigma * sigma) * tau) / (sigma * math.sqrt(tau))


def bs_delta(S, K, r, sigma, tau, call):
    nd1 = norm_cdf(bs_d1(S, K, r, sigma, tau))
    return nd1 if call else nd1 - 1.0


def bs_price(S, K, r, sigma, tau, call):
    d1 = bs_d1(S, K, r, sigma, tau)
    d2 = d1 - sigma * math.sqrt(tau)
    df = math.exp(-r * tau)
    if call:
        return S * norm_cdf(d1) - K * df * norm_cdf(d2)
    return K * df * norm_cdf(-d2) - S * norm_cdf(-d1)


def hedge_pnl(a, N, rng):
    """Final hedging P&L for a.paths paths with N rebalances (vectorised over paths)."""
    call = a.kind == "call"
    S0, K, r, mu, sig, T, k = a.spot, a.strike, a.rate, a.drift, a.vol, a.maturity, a.cost
    dt = T / N
    drift, diff, grow = (mu - 0.5 * sig * sig) * dt, sig * math.sqrt(dt), math.exp(r * dt)
    premium = float(bs_price(S0, K, r, sig, T, call))
    delta0 = float(bs_delta(S0, K, r, sig, T, call))
    out = np.empty(a.paths)
    for lo in range(0, a.paths, CHUNK):
        n = min(CHUNK, a.paths - lo)
        Z = rng.standard_normal((N, n))
        S = np.full(n, S0)
        delta = np.full(n, delta0)
        cash = np.full(n, premium - delta0 * S0 - k * abs(delta0) * S0)
        for i in range(1, N + 1):
            cash *= grow
            S *= np.exp(drift + diff * Z[i - 1])
            if i < N:  # interior re-hedge
                new = bs_delta(S, K, r, sig, T - i * dt, call)
                trade = new - delta
                cash -= trade * S + k * np.abs(trade) * S
                delta = new
        payoff = np.maximum(S - K, 0.0) if call else np.maximum(K - S, 0.0)
        cash += delta * S - k * np.abs(delta) * S - payoff
        out[lo:lo + n] = cash
    return out


def run(a, N):
    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter()
    pnl = hedge_pnl(a, N, rng)
    secs = time.perf_counter() - t0
    mean, std = pnl.mean(), pnl.std(ddof=1)
    c = pnl - mean
    m2 = np.mean(c * c)
    d1 = float(bs_d1(a.spot, a.strike, a.rate, a.vol, a.maturity))
    vega = a.spot * math.sqrt(a.maturity) * math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    return {
        "rebalances": N, "paths": a.paths, "mean": float(mean), "std": float(std),
        "stderr": float(std / math.sqrt(a.paths)),
        "skewness": float(np.mean(c ** 3) / m2 ** 1.5),
        "excess_kurtosis": float(np.mean(c ** 4) / m2 ** 2 - 3.0),
        "derman_kamal_std": math.sqrt(math.pi / 4) * vega * a.vol / math.sqrt(N),
        "seconds": secs, "path_steps_per_sec": a.paths * N / secs,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--paths", type=int, default=50000)
    p.add_argument("--rebalances", default="21,84", help="comma list; one run per value")
    p.add_argument("--spot", type=float, default=100.0)
    p.add_argument("--strike", type=float, default=100.0)
    p.add_argument("--rate", type=float, default=0.05)
    p.add_argument("--drift", type=float, default=0.05)
    p.add_argument("--vol", type=float, default=0.2)
    p.add_argument("--maturity", type=lambda s: float(Fraction(s)), default=1 / 12,
                   help="years; float or fraction like 1/12")
    p.add_argument("--kind", choices=("call", "put"), default="call")
    p.add_argument("--cost", type=float, default=0.0, help="one-way proportional cost")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--json", action="store_true", help="one JSON object per run")
    a = p.parse_args()

    runs = [int(x) for x in a.rebalances.split(",") if x.strip()]
    if not a.json:
        print(f"# BASELINE (numpy {np.__version__}, 1 core), normal CDF: {CDF_IMPL}")
        print(f"{'N':>5} {'paths':>9} {'mean':>9} {'std':>7} {'stderr':>8} {'skew':>7} "
              f"{'exkurt':>7} {'DK std':>7} {'sec':>8} {'path-steps/s':>13}")
    for N in runs:
        r = run(a, N)
        if a.json:
            r.update(baseline="numpy", cdf=CDF_IMPL)
            print(json.dumps(r))
        else:
            print(f"{N:>5} {r['paths']:>9} {r['mean']:>9.5f} {r['std']:>7.4f} {r['stderr']:>8.5f} "
                  f"{r['skewness']:>7.3f} {r['excess_kurtosis']:>7.3f} "
                  f"{r['derman_kamal_std']:>7.4f} {r['seconds']:>8.3f} "
                  f"{r['path_steps_per_sec']:>13.4g}")


if __name__ == "__main__":
    main()
