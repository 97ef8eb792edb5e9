#!/usr/bin/env python3
r"""Independent numpy/scipy cross-check values for hedgelab's jump / stochastic-vol models.

Nothing here is taken from the C++ code in this repository; every number is
computed from first principles with numpy / scipy, in most cases by two or
three genuinely different numerical routes, so that the C++ tests can be
checked against values whose accuracy is known.

Usage:  python3 scripts/check_jump_theory.py [--quick]
Prints one JSON object to stdout and writes it to results/jump_theory_check.json.
(--quick: smaller node counts / sample sizes, for smoke testing only.)

Conventions (risk-neutral measure, continuously compounded rate r, no dividends)
-------------------------------------------------------------------------------
Merton jump-diffusion (Merton 1976, "Option pricing when underlying stock
returns are discontinuous", J. Financial Economics 3, 125-144):
    log S_T = log S_0 + (r - sigma^2/2 - lambda*kappa) T + sigma W_T + sum_{k=1}^{N_T} Y_k,
    N_T ~ Poisson(lambda T),  Y ~ N(m, d^2),  kappa = E[e^Y] - 1 = exp(m + d^2/2) - 1.
Kou double-exponential (Kou 2002, "A jump-diffusion model for option pricing",
Management Science 48, 1086-1101): same, with Y = +Exp(eta1) w.p. p and
-Exp(eta2) w.p. 1-p, kappa = p eta1/(eta1-1) + (1-p) eta2/(eta2+1) - 1.
Heston (Heston 1993, RFS 6, 327-343): dS/S = r dt + sqrt(v) dW1,
dv = kappa(theta - v) dt + xi sqrt(v) dW2, d<W1,W2> = rho dt.

Formulas used
-------------
[M1] Merton series (Merton 1976, eq. (19); also Hull, "Options, Futures and
     Other Derivatives", section on jump-diffusion):
       C = sum_n e^{-lambda' T} (lambda' T)^n / n! * BS(S, K, T, r_n, sigma_n),
       lambda' = lambda (1 + kappa),  sigma_n^2 = sigma^2 + n d^2 / T,
       r_n = r - lambda kappa + n log(1 + kappa) / T,
     BS(S,K,T,r,s) = S N(d1) - K e^{-rT} N(d2). Delta = sum_n w_n N(d1_n)
     (each BS term is the BS call with rate r_n, whose S-derivative is N(d1)).
     Implemented with total variances v_n = sigma^2 T + n d^2 (never dividing by T).
[M2] Same price by direct integration of the payoff against the terminal law,
     which conditional on N_T = n is log S_T ~ N(mu_n, v_n),
       mu_n = log S + (r - sigma^2/2 - lambda kappa) T + n m,  v_n = sigma^2 T + n d^2:
       C = e^{-rT} sum_n Pois(n; lambda T) int_{log K}^inf (e^x - K) phi(x; mu_n, v_n) dx,
       Delta = e^{-rT} sum_n Pois(n; lambda T) int_{log K}^inf (e^x / S) phi(x; mu_n, v_n) dx
     (each integral by scipy.integrate.quad in the standardised variable).
[M3] Same price by Gil-Pelaez Fourier inversion [F1] with the Levy-Khintchine CF
       E[e^{iu log S_T}] = exp(iu(log S + (r - sigma^2/2 - lambda kappa)T)
                              - sigma^2 u^2 T/2 + lambda T (phi_Y(u) - 1)),
       phi_Y(u) = exp(i u m - d^2 u^2 / 2)   (Merton),
       phi_Y(u) = p eta1/(eta1 - iu) + (1-p) eta2/(eta2 + iu)   (Kou 2002).
[F1] Gil-Pelaez (1951) inversion, in the form of Heston (1993) / Bakshi-Madan (2000):
       C = S P1 - K e^{-rT} P2,
       P2 = 1/2 + 1/pi int_0^inf Re[ e^{-iuk} phi(u) / (iu) ] du,
       P1 = 1/2 + 1/pi int_0^inf Re[ e^{-iuk} phi(u - i) / (iu phi(-i)) ] du,
     k = log K, phi the CF of log S_T, phi(-i) = E[S_T] = S e^{rT}.
     Delta = P1: for these models C(S,K) is homogeneous of degree 1 in (S,K), so by
     Euler's theorem C = S C_S + K C_K, and C_K = -e^{-rT} P2, hence C_S = P1.
[F2] Lewis (2001, "A simple option formula for general jump-diffusion and other
     exponential Levy processes") single-integral formula, derived here via
     E[min(S_T,K)] on the contour Im z = 1/2 (Fourier transform of
     min(e^x,K) is K e^{izk}/(z^2 - iz), and z^2 - iz = u^2 + 1/4 at z = u + i/2):
       C = S - sqrt(K) e^{-rT}/pi int_0^inf Re[e^{-iuk} phi(u - i/2)] / (u^2 + 1/4) du,
       Delta = 1 - sqrt(K) e^{-rT}/(pi S) int_0^inf Re[e^{-iuk} phi(u - i/2) / (1/2 - iu)] du.
     Integrand is different from [F1] (no 1/u singularity, different damping),
     so agreement of [F1] and [F2] checks the quadrature, not just the CF.
[K2] Kou price by conditioning on the jumps: given N_T = n and the number j of
     up-jumps (j | n ~ Binomial(n, p)), J = G1 - G2 with G1 ~ Gamma(j, rate eta1),
     G2 ~ Gamma(n-j, rate eta2) independent (sum of i.i.d. exponentials), so the
     density of J_n is the binomial mixture of the convolutions
       h_{j,n-j}(x) = int gamma_j(x + s) gamma_{n-j}(s) ds.
     Conditional on J = x, log S_T ~ N(log S + a + x, sigma^2 T),
     a = (r - sigma^2/2 - lambda kappa) T, so with F(x) the Black-Scholes expectation
       F(x) = S e^{a + x + sigma^2 T/2} N(d1) - K N(d2),  d1 = (log(S/K) + a + x + sigma^2 T)/(sigma sqrt T),
     C = e^{-rT} sum_n Pois(n) sum_j Bin(j; n, p) E[F(G1 - G2)], and
     Delta = e^{-rT} sum_n ... E[e^{a + J + sigma^2 T/2} N(d1(J))].
     The convolution integral E[F(G1 - G2)] = int int F(g1 - g2) gamma_j(g1) gamma_{n-j}(g2)
     is evaluated by a product generalized Gauss-Laguerre rule (weight u^{j-1} e^{-u},
     scipy.special.roots_genlaguerre) after g = u/eta; n runs until the Poisson tail < 1e-12.
     Converged by doubling the node count.
[K3] Monte Carlo, 10^7 samples of the jump sum J_T (N ~ Poisson, up-count ~ Binomial,
     sums ~ Gamma), conditional (Rao-Blackwellised) on J_T: price sample = e^{-rT} F(J_T);
     reported with its standard error.
[H1] Heston CF in the "little trap" form (Albrecher, Mayer, Schoutens, Tistaert 2007,
     "The little Heston trap", Wilmott Magazine, Jan 2007, 83-92):
       beta = kappa - rho xi iu,  d = sqrt(beta^2 + xi^2 (iu + u^2)),  g = (beta - d)/(beta + d),
       log phi(u) = iu(log S + rT) + (kappa theta / xi^2) [ (beta - d) T - 2 log((1 - g e^{-dT})/(1 - g)) ]
                    + (v0 / xi^2) (beta - d) (1 - e^{-dT}) / (1 - g e^{-dT}),
     priced by [F1] and by [F2] (quad, limit=500), upper limit where |phi| < 1e-17.
     Reference: Andersen (2008), "Simple and efficient simulation of the Heston
     stochastic volatility model", J. Comput. Finance 11(3), test case I
     (S0=100, v0=theta=0.04, kappa=0.5, xi=1, rho=-0.9, r=0, T=10, K=100): 13.0847.
     A rough full-truncation Euler MC (Lord, Koekkoek, van Dijk 2010) is added for case 1.
[V1] Hedging-error variance of a sold call hedged continuously with the model delta
     in the Merton market (Ito isometry for the compensated Poisson random measure;
     e.g. Cont & Tankov 2004, "Financial Modelling with Jump Processes", ch. 10;
     Cont, Tankov, Voltchkova 2007 "Hedging with options in models with jumps").
     With C(t,S) the Merton price, C~ = e^{-rt} C is a martingale, and
       d(e^{-rt} C) = C_S d(e^{-rt} S) + e^{-rt} int [C(t,S_- e^y) - C(t,S_-) - C_S S_- (e^y-1)] (mu - nu)(dt,dy),
     so the P&L at T of (premium C_0 at r, hold C_S shares, pay the payoff) is
       P&L_T = - int_0^T int e^{r(T-t)} [C(t,S_- e^y) - C - C_S S_-(e^y-1)] (mu - nu)(dt,dy),
       Var  = int_0^T e^{2r(T-t)} E[ lambda int f(y) (C(t,S_t e^y) - C(t,S_t) - C_S(t,S_t) S_t (e^y-1))^2 dy ] dt.
     Nested quadrature: t = T - u^2 (dt = 2u du), Gauss-Legendre in u on [0, sqrt T]
     (removes the sqrt(T-t) behaviour at maturity); x = log S_t as a Poisson mixture
     (lambda t) of normals N(mu_n(t), sigma^2 t + n d^2), each component integrated by
     Gauss-Legendre on mu_n +- 9 sd, split at log K with nodes graded (x = c +- L s^2)
     towards log K; y ~ N(m, d^2) on m +- 9 d, split at y* = log K - x (the kink of
     C(tau, S e^y) near maturity), graded the same way. Accuracy estimated by
     doubling every node count (and each one separately).
[V2] Rough Monte Carlo check of [V1]: discrete (2000 steps) delta hedging along exact
     Merton paths, premium = Merton price, cash at r; sample variance of P&L_T and
     its standard error sqrt((m4 - s^4)/N).
"""

import json
import math
import os
import sys
import time

import numpy as np
from scipy import integrate, special, stats

QUICK = "--quick" in sys.argv

SQ2PI = math.sqrt(2.0 * math.pi)


def ncdf(x):
    return special.ndtr(x)


def pois_nmax(mean, tol):
    """Smallest n such that P(N > n) < tol for N ~ Poisson(mean)."""
    n = 0
    while stats.poisson.sf(n, mean) >= tol:
        n += 1
    return n


# ---------------------------------------------------------------------------
# Merton
# ---------------------------------------------------------------------------
def merton_kappa(m, d):
    return math.exp(m + 0.5 * d * d) - 1.0


def merton_series(S, K, r, T, sigma, lam, m, d, tol=1e-16):
    """[M1] Merton (1976) series: price and delta."""
    kap = merton_kappa(m, d)
    lp = lam * (1.0 + kap)
    nmax = pois_nmax(lp * T, tol) + 2
    C = 0.0
    D = 0.0
    for n in range(nmax + 1):
        w = stats.poisson.pmf(n, lp * T)
        v = sigma * sigma * T + n * d * d              # = sigma_n^2 T
        rnT = (r - lam * kap) * T + n * math.log1p(kap)  # = r_n T
        sv = math.sqrt(v)
        d1 = (math.log(S / K) + rnT + 0.5 * v) / sv
        d2 = d1 - sv
        C += w * (S * ncdf(d1) - K * math.exp(-rnT) * ncdf(d2))
        D += w * ncdf(d1)
    return C, D


def merton_density(S, K, r, T, sigma, lam, m, d, tol=1e-16):
    """[M2] Payoff integrated against the Poisson mixture of normals (quad)."""
    kap = merton_kappa(m, d)
    nmax = pois_nmax(lam * T, tol) + 2
    C = 0.0
    D = 0.0
    errC = 0.0
    k = math.log(K)
    for n in range(nmax + 1):
        w = stats.poisson.pmf(n, lam * T)
        mu = math.log(S) + (r - 0.5 * sigma ** 2 - lam * kap) * T + n * m
        s = math.sqrt(sigma ** 2 * T + n * d * d)
        zk = (k - mu) / s
        phi = lambda z: math.exp(-0.5 * z * z) / SQ2PI
        fC = lambda z: (math.exp(mu + s * z) - K) * phi(z)
        fD = lambda z: math.exp(mu + s * z) / S * phi(z)
        hi = max(zk, 0.0) + 40.0 + s  # integrand ~ e^{s z - z^2/2}: peak at z = s
        ic, ec = integrate.quad(fC, zk, hi, epsabs=1e-14, epsrel=1e-13, limit=500)
        idd, _ = integrate.quad(fD, zk, hi, epsabs=1e-14, epsrel=1e-13, limit=500)
        C += w * ic
        D += w * idd
        errC += w * ec
    disc = math.exp(-r * T)
    return C * disc, D * disc, errC * disc


def merton_logcf(u, S, r, T, sigma, lam, m, d):
    kap = merton_kappa(m, d)
    phiY = np.exp(1j * u * m - 0.5 * d * d * u * u)
    return (1j * u * (math.log(S) + (r - 0.5 * sigma ** 2 - lam * kap) * T)
            - 0.5 * sigma ** 2 * u * u * T + lam * T * (phiY - 1.0))


# ---------------------------------------------------------------------------
# Generic Fourier pricing [F1], [F2]
# ---------------------------------------------------------------------------
def _upper_limit(logcf, thresh=1e-17):
    u = 1.0
    while u < 1e5:
        if abs(np.exp(logcf(u))) < thresh and abs(np.exp(logcf(u - 1j))) < thresh * 1e2:
            return u
        u *= 1.1
    return u


def gil_pelaez(logcf, S, K, r, T):
    """[F1]. logcf(u) = log E[exp(iu log S_T)] (vectorised, complex u)."""
    k = math.log(K)
    lphi_mi = logcf(-1j)  # log E[S_T]
    U = _upper_limit(logcf)

    def f2(u):
        return (np.exp(-1j * u * k + logcf(u)) / (1j * u)).real

    def f1(u):
        return (np.exp(-1j * u * k + logcf(u - 1j) - lphi_mi) / (1j * u)).real

    kw = dict(limit=500, epsabs=1e-14, epsrel=1e-12)
    i2, e2 = integrate.quad(f2, 0.0, U, **kw)
    i1, e1 = integrate.quad(f1, 0.0, U, **kw)
    P1 = 0.5 + i1 / math.pi
    P2 = 0.5 + i2 / math.pi
    C = S * P1 - K * math.exp(-r * T) * P2
    err = (S * e1 + K * e2) / math.pi
    return C, P1, err


def lewis(logcf, S, K, r, T):
    """[F2] Lewis (2001) formula, price and delta."""
    k = math.log(K)
    U = _upper_limit(logcf)

    def fc(u):
        return (np.exp(-1j * u * k + logcf(u - 0.5j))).real / (u * u + 0.25)

    def fd(u):
        return (np.exp(-1j * u * k + logcf(u - 0.5j)) / (0.5 - 1j * u)).real

    kw = dict(limit=500, epsabs=1e-14, epsrel=1e-12)
    ic, ec = integrate.quad(fc, 0.0, U, **kw)
    idl, _ = integrate.quad(fd, 0.0, U, **kw)
    pref = math.sqrt(K) * math.exp(-r * T) / math.pi
    C = S - pref * ic
    D = 1.0 - pref * idl / S
    return C, D, pref * ec


# ---------------------------------------------------------------------------
# Kou
# ---------------------------------------------------------------------------
def kou_kappa(p, e1, e2):
    return p * e1 / (e1 - 1.0) + (1.0 - p) * e2 / (e2 + 1.0) - 1.0


def kou_logcf(u, S, r, T, sigma, lam, p, e1, e2):
    kap = kou_kappa(p, e1, e2)
    phiY = p * e1 / (e1 - 1j * u) + (1.0 - p) * e2 / (e2 + 1j * u)
    return (1j * u * (math.log(S) + (r - 0.5 * sigma ** 2 - lam * kap) * T)
            - 0.5 * sigma ** 2 * u * u * T + lam * T * (phiY - 1.0))


def _kou_F(x, S, Ks, r, T, sigma, lam, p, e1, e2):
    """Conditional (on J = x) undiscounted call value and S-derivative; x any shape,
    Ks 1-D -> arrays of shape x.shape + (len(Ks),)."""
    kap = kou_kappa(p, e1, e2)
    a = (r - 0.5 * sigma ** 2 - lam * kap) * T
    sv = sigma * math.sqrt(T)
    x = np.asarray(x, dtype=float)[..., None]
    Ks = np.asarray(Ks, dtype=float)
    g = np.exp(a + x + 0.5 * sv * sv)
    d1 = (np.log(S / Ks) + a + x + sv * sv) / sv
    d2 = d1 - sv
    F = S * g * ncdf(d1) - Ks * ncdf(d2)
    dF = g * ncdf(d1)
    return F, dF


def kou_conditioning(S, Ks, r, T, sigma, lam, p, e1, e2, nq, tol=1e-12):
    """[K2] Condition on n and the up/down split; generalized Gauss-Laguerre product rule."""
    nmax = pois_nmax(lam * T, tol)
    Ks = np.asarray(Ks, dtype=float)
    C = np.zeros(len(Ks))
    D = np.zeros(len(Ks))
    args = (S, Ks, r, T, sigma, lam, p, e1, e2)
    for n in range(nmax + 1):
        wn = stats.poisson.pmf(n, lam * T)
        for j in range(n + 1):
            wj = wn * stats.binom.pmf(j, n, p)
            kdn = n - j
            if j > 0:
                xu, wu = special.roots_genlaguerre(nq, j - 1)
                g1 = xu / e1
                w1 = wu / special.gamma(j)
            else:
                g1, w1 = np.zeros(1), np.ones(1)
            if kdn > 0:
                xd, wd = special.roots_genlaguerre(nq, kdn - 1)
                g2 = xd / e2
                w2 = wd / special.gamma(kdn)
            else:
                g2, w2 = np.zeros(1), np.ones(1)
            x = g1[:, None] - g2[None, :]
            W = (w1[:, None] * w2[None, :])[..., None]
            F, dF = _kou_F(x, *args)
            C += wj * (W * F).sum(axis=(0, 1))
            D += wj * (W * dF).sum(axis=(0, 1))
    disc = math.exp(-r * T)
    return C * disc, D * disc, nmax


def kou_mc(S, Ks, r, T, sigma, lam, p, e1, e2, nsamp, seed=12345, chunk=1_000_000):
    """[K3] Conditional MC over the jump sum J_T."""
    rng = np.random.default_rng(seed)
    Ks = np.asarray(Ks, dtype=float)
    sC = np.zeros(len(Ks)); sC2 = np.zeros(len(Ks))
    sD = np.zeros(len(Ks)); sD2 = np.zeros(len(Ks))
    done = 0
    disc = math.exp(-r * T)
    while done < nsamp:
        nb = min(chunk, nsamp - done)
        N = rng.poisson(lam * T, nb)
        up = rng.binomial(N, p)
        J = rng.gamma(up.astype(float), 1.0 / e1) - rng.gamma((N - up).astype(float), 1.0 / e2)
        F, dF = _kou_F(J, S, Ks, r, T, sigma, lam, p, e1, e2)
        F *= disc; dF *= disc
        sC += F.sum(0); sC2 += (F * F).sum(0)
        sD += dF.sum(0); sD2 += (dF * dF).sum(0)
        done += nb
    mC = sC / nsamp; mD = sD / nsamp
    seC = np.sqrt((sC2 / nsamp - mC ** 2) / nsamp)
    seD = np.sqrt((sD2 / nsamp - mD ** 2) / nsamp)
    return mC, seC, mD, seD


# ---------------------------------------------------------------------------
# Heston
# ---------------------------------------------------------------------------
def heston_logcf(u, S, r, T, kappa, theta, xi, rho, v0):
    """[H1] little-trap CF of log S_T (Albrecher et al. 2007)."""
    u = np.asarray(u, dtype=complex)
    iu = 1j * u
    beta = kappa - rho * xi * iu
    dd = np.sqrt(beta * beta + xi * xi * (iu + u * u))
    g = (beta - dd) / (beta + dd)
    edt = np.exp(-dd * T)
    Cc = (kappa * theta / xi ** 2) * ((beta - dd) * T - 2.0 * np.log((1.0 - g * edt) / (1.0 - g)))
    Dd = ((beta - dd) / xi ** 2) * (1.0 - edt) / (1.0 - g * edt)
    return iu * (math.log(S) + r * T) + Cc + Dd * v0


def heston_mc(S, Ks, r, T, kappa, theta, xi, rho, v0, npaths, nsteps, seed=777):
    """Rough full-truncation Euler (log-Euler for S) MC."""
    rng = np.random.default_rng(seed)
    dt = T / nsteps
    x = np.full(npaths, math.log(S))
    v = np.full(npaths, v0)
    sq = math.sqrt(1 - rho * rho)
    for _ in range(nsteps):
        z1 = rng.standard_normal(npaths)
        z2 = rho * z1 + sq * rng.standard_normal(npaths)
        vp = np.maximum(v, 0.0)
        x += (r - 0.5 * vp) * dt + np.sqrt(vp * dt) * z1
        v += kappa * (theta - vp) * dt + xi * np.sqrt(vp * dt) * z2
    ST = np.exp(x)
    out = []
    for K in Ks:
        pay = math.exp(-r * T) * np.maximum(ST - K, 0.0)
        out.append((float(pay.mean()), float(pay.std(ddof=1) / math.sqrt(npaths))))
    return out


# ---------------------------------------------------------------------------
# Merton hedging-error variance [V1], [V2]
# ---------------------------------------------------------------------------
def merton_CD_vec(S, tau, K, r, sigma, lam, m, d, tol=1e-16):
    """Merton price and delta at time-to-maturity tau > 0 for an array S
    (conditional-on-n form with Poisson(lambda tau) weights; equivalent to [M1])."""
    kap = merton_kappa(m, d)
    nmax = pois_nmax(lam * tau, tol) + 1
    lS = np.log(S / K)
    C = np.zeros_like(S)
    D = np.zeros_like(S)
    for n in range(nmax + 1):
        w = stats.poisson.pmf(n, lam * tau)
        v = sigma * sigma * tau + n * d * d
        sv = math.sqrt(v)
        mu = (r - 0.5 * sigma ** 2 - lam * kap) * tau + n * m
        gfac = math.exp(-r * tau + mu + 0.5 * v)
        d1 = (lS + mu + v) / sv
        Nd1 = ncdf(d1)
        D += (w * gfac) * Nd1
        C += w * (gfac * S * Nd1 - K * math.exp(-r * tau) * ncdf(d1 - sv))
    return C, D


def _graded_split(lo, hi, c, nodes, weights):
    """Gauss-Legendre rule on [lo, c] and [c, hi] (c clipped into [lo,hi]), nodes
    graded quadratically towards c: x = c -/+ L s^2, s in [0,1].
    lo, hi, c: arrays of shape (M,) -> nodes/weights shape (M, 2*len(nodes))."""
    c = np.clip(c, lo, hi)
    s = nodes[None, :]
    ws = weights[None, :]
    Ll = (c - lo)[:, None]
    Lr = (hi - c)[:, None]
    xl = c[:, None] - Ll * s * s
    wl = Ll * 2.0 * s * ws
    xr = c[:, None] + Lr * s * s
    wr = Lr * 2.0 * s * ws
    return np.concatenate([xl, xr], axis=1), np.concatenate([wl, wr], axis=1)


def merton_hedge_variance(S0, K, r, T, sigma, lam, m, d, nt, nx, ny, width=9.0, tol=1e-14):
    """[V1] Var of the continuously-delta-hedged sold-call P&L (Ito isometry)."""
    kap = merton_kappa(m, d)
    lk = math.log(K)
    gu, gw = np.polynomial.legendre.leggauss(nt)
    uu = 0.5 * math.sqrt(T) * (gu + 1.0)
    uw = 0.5 * math.sqrt(T) * gw
    s01, w01 = np.polynomial.legendre.leggauss(nx)
    s01 = 0.5 * (s01 + 1.0); w01 = 0.5 * w01
    sy, wy = np.polynomial.legendre.leggauss(ny)
    sy = 0.5 * (sy + 1.0); wy = 0.5 * wy
    ylo, yhi = m - width * d, m + width * d
    total = 0.0
    for u, wu in zip(uu, uw):
        tau = u * u
        t = T - tau
        nmax = pois_nmax(lam * t, tol) + 1
        G = 0.0
        for n in range(nmax + 1):
            pn = stats.poisson.pmf(n, lam * t)
            if pn < 1e-300:
                continue
            mu = math.log(S0) + (r - 0.5 * sigma ** 2 - lam * kap) * t + n * m
            sd = math.sqrt(sigma * sigma * t + n * d * d)
            xs, xw = _graded_split(np.array([mu - width * sd]), np.array([mu + width * sd]),
                                   np.array([lk]), s01, w01)
            xs = xs[0]; xw = xw[0]
            xw = xw * np.exp(-0.5 * ((xs - mu) / sd) ** 2) / (sd * SQ2PI)
            ys, yw = _graded_split(np.full(xs.shape, ylo), np.full(xs.shape, yhi), lk - xs, sy, wy)
            yw = yw * np.exp(-0.5 * ((ys - m) / d) ** 2) / (d * SQ2PI)
            Sx = np.exp(xs)
            Cx, Dx = merton_CD_vec(Sx, tau, K, r, sigma, lam, m, d)
            Sz = Sx[:, None] * np.exp(ys)
            Cz, _ = merton_CD_vec(Sz, tau, K, r, sigma, lam, m, d)
            H = Cz - Cx[:, None] - Dx[:, None] * (Sz - Sx[:, None])
            inner = (yw * H * H).sum(axis=1)
            G += pn * float((xw * inner).sum())
        G *= lam * math.exp(2.0 * r * tau)
        total += wu * 2.0 * u * G
    return total


def merton_hedge_mc(S0, K, r, T, sigma, lam, m, d, npaths, nsteps, seed=2024):
    """[V2] Discrete delta hedge of a sold call along exact Merton paths."""
    rng = np.random.default_rng(seed)
    kap = merton_kappa(m, d)
    dt = T / nsteps
    S = np.full(npaths, float(S0))
    C0, D0 = merton_series(S0, K, r, T, sigma, lam, m, d)
    delta = np.full(npaths, D0)
    cash = np.full(npaths, C0 - D0 * S0)
    growth = math.exp(r * dt)
    drift = (r - 0.5 * sigma ** 2 - lam * kap) * dt
    sdt = sigma * math.sqrt(dt)
    for i in range(1, nsteps + 1):
        Nj = rng.poisson(lam * dt, npaths)
        jump = Nj * m + np.sqrt(Nj) * d * rng.standard_normal(npaths)
        S = S * np.exp(drift + sdt * rng.standard_normal(npaths) + jump)
        cash *= growth
        if i < nsteps:
            _, Dn = merton_CD_vec(S, T - i * dt, K, r, sigma, lam, m, d, tol=1e-15)
            cash -= (Dn - delta) * S
            delta = Dn
    pnl = cash + delta * S - np.maximum(S - K, 0.0)
    mean = float(pnl.mean())
    c = pnl - mean
    var = float((c * c).mean()) * npaths / (npaths - 1)
    m4 = float((c ** 4).mean())
    se_var = math.sqrt(max(m4 - var * var, 0.0) / npaths)
    return dict(npaths=npaths, nsteps=nsteps, mean=mean, se_mean=math.sqrt(var / npaths),
                variance=var, se_variance=se_var, std=math.sqrt(var),
                se_std=se_var / (2.0 * math.sqrt(var)))


# ---------------------------------------------------------------------------
def main():
    t0 = time.time()
    out = {"description": __doc__.split("\n")[0],
           "conventions": "risk-neutral, continuous rate r, no dividends; see script docstring",
           "quick_mode": QUICK}

    # 1-2. Merton
    mcases = [dict(S=100, K=100, r=0.05, T=0.25, sigma=0.2, lam=1.0, m=-0.1, d=0.15),
              dict(S=100, K=90, r=0.05, T=0.25, sigma=0.2, lam=1.0, m=-0.1, d=0.15),
              dict(S=100, K=110, r=0.05, T=1.0, sigma=0.25, lam=0.5, m=-0.2, d=0.1)]
    mres = []
    for c in mcases:
        a = (c["S"], c["K"], c["r"], c["T"], c["sigma"], c["lam"], c["m"], c["d"])
        Cs, Ds = merton_series(*a)
        Cd, Dd, ed = merton_density(*a)
        lcf = lambda u, c=c: merton_logcf(u, c["S"], c["r"], c["T"], c["sigma"], c["lam"], c["m"], c["d"])
        Cg, Dg, eg = gil_pelaez(lcf, c["S"], c["K"], c["r"], c["T"])
        Cl, Dl, el = lewis(lcf, c["S"], c["K"], c["r"], c["T"])
        mres.append(dict(params=c, kappa=merton_kappa(c["m"], c["d"]),
                         series_price=Cs, series_delta=Ds,
                         density_quad_price=Cd, density_quad_delta=Dd, density_quad_err_est=ed,
                         gil_pelaez_price=Cg, gil_pelaez_delta=Dg,
                         lewis_price=Cl, lewis_delta=Dl,
                         max_abs_diff_price=max(abs(Cs - Cd), abs(Cs - Cg), abs(Cs - Cl)),
                         max_abs_diff_delta=max(abs(Ds - Dd), abs(Ds - Dg), abs(Ds - Dl))))
    out["merton_call"] = mres
    print(f"[merton done {time.time()-t0:.1f}s]", file=sys.stderr)

    # 3. Kou
    kp = dict(S=100, r=0.05, T=0.5, sigma=0.16, lam=1.0, p=0.4, eta1=10.0, eta2=5.0)
    Ks = [90.0, 100.0, 110.0]
    ka = (kp["S"], kp["r"], kp["T"], kp["sigma"], kp["lam"], kp["p"], kp["eta1"], kp["eta2"])
    lcf = lambda u: kou_logcf(u, *ka)
    nq1, nq2 = (24, 48) if QUICK else (48, 96)
    Cc1, Dc1, nmaxk = kou_conditioning(kp["S"], Ks, *ka[1:], nq=nq1)
    Cc2, Dc2, _ = kou_conditioning(kp["S"], Ks, *ka[1:], nq=nq2)
    nmc = 10 ** 6 if QUICK else 10 ** 7
    mC, seC, mD, seD = kou_mc(kp["S"], Ks, *ka[1:], nsamp=nmc)
    kres = []
    for i, K in enumerate(Ks):
        Cg, Dg, eg = gil_pelaez(lcf, kp["S"], K, kp["r"], kp["T"])
        Cl, Dl, el = lewis(lcf, kp["S"], K, kp["r"], kp["T"])
        kres.append(dict(K=K,
                         gil_pelaez_price=Cg, gil_pelaez_delta=Dg, gil_pelaez_quad_err_est=eg,
                         lewis_price=Cl, lewis_delta=Dl,
                         conditioning_price=float(Cc2[i]), conditioning_delta=float(Dc2[i]),
                         conditioning_nodes=nq2,
                         conditioning_change_on_doubling_price=float(abs(Cc2[i] - Cc1[i])),
                         conditioning_change_on_doubling_delta=float(abs(Dc2[i] - Dc1[i])),
                         mc_price=float(mC[i]), mc_price_se=float(seC[i]),
                         mc_delta=float(mD[i]), mc_delta_se=float(seD[i]),
                         mc_samples=nmc,
                         max_abs_diff_price_deterministic=max(abs(Cg - Cl), abs(Cg - Cc2[i])),
                         max_abs_diff_delta_deterministic=max(abs(Dg - Dl), abs(Dg - Dc2[i])),
                         mc_price_z=float((mC[i] - Cg) / seC[i]),
                         mc_delta_z=float((mD[i] - Dg) / seD[i])))
    out["kou_call"] = dict(params=kp, kappa=kou_kappa(kp["p"], kp["eta1"], kp["eta2"]),
                           poisson_nmax_for_tail_below_1e12=nmaxk, results=kres)
    print(f"[kou done {time.time()-t0:.1f}s]", file=sys.stderr)

    # 4. Heston
    hp = dict(S=100.0, r=0.0, T=1.0, kappa=2.0, theta=0.04, xi=0.3, rho=-0.7, v0=0.04)
    ha = (hp["S"], hp["r"], hp["T"], hp["kappa"], hp["theta"], hp["xi"], hp["rho"], hp["v0"])
    lcf = lambda u: heston_logcf(u, *ha)
    hres = []
    if QUICK:
        mcres = heston_mc(hp["S"], Ks, *ha[1:], npaths=50_000, nsteps=100)
    else:
        mcres = heston_mc(hp["S"], Ks, *ha[1:], npaths=200_000, nsteps=200)
    for i, K in enumerate(Ks):
        Cg, Dg, eg = gil_pelaez(lcf, hp["S"], K, hp["r"], hp["T"])
        Cl, Dl, el = lewis(lcf, hp["S"], K, hp["r"], hp["T"])
        hres.append(dict(K=K, gil_pelaez_price=Cg, gil_pelaez_delta=Dg, gil_pelaez_quad_err_est=eg,
                         lewis_price=Cl, lewis_delta=Dl, lewis_quad_err_est=el,
                         abs_diff_price=abs(Cg - Cl), abs_diff_delta=abs(Dg - Dl),
                         euler_mc_price=mcres[i][0], euler_mc_se=mcres[i][1]))
    ap = dict(S=100.0, K=100.0, r=0.0, T=10.0, kappa=0.5, theta=0.04, xi=1.0, rho=-0.9, v0=0.04)
    aa = (ap["S"], ap["r"], ap["T"], ap["kappa"], ap["theta"], ap["xi"], ap["rho"], ap["v0"])
    lcfa = lambda u: heston_logcf(u, *aa)
    Cg, Dg, eg = gil_pelaez(lcfa, ap["S"], ap["K"], ap["r"], ap["T"])
    Cl, Dl, el = lewis(lcfa, ap["S"], ap["K"], ap["r"], ap["T"])
    out["heston_call"] = dict(
        params=hp, results=hres,
        euler_mc_note="full-truncation Euler, rough: has O(dt) bias plus MC error",
        andersen2008_case_I=dict(params=ap, reference_price=13.0847,
                                 gil_pelaez_price=Cg, gil_pelaez_delta=Dg, gil_pelaez_quad_err_est=eg,
                                 lewis_price=Cl, lewis_delta=Dl,
                                 abs_diff_to_reference=abs(Cg - 13.0847)))
    print(f"[heston done {time.time()-t0:.1f}s]", file=sys.stderr)

    # 5. Merton hedging variance
    vcases = [dict(S0=100.0, K=100.0, r=0.05, T=0.25, sigma=0.2, lam=1.0, m=-0.1, d=0.15),
              dict(S0=100.0, K=100.0, r=0.05, T=0.25, sigma=0.2, lam=3.0, m=-0.05, d=0.1)]
    if QUICK:
        base = (16, 16, 16)
    else:
        base = (24, 24, 24)
    vres = []
    for c in vcases:
        a = (c["S0"], c["K"], c["r"], c["T"], c["sigma"], c["lam"], c["m"], c["d"])
        nt, nx, ny = base
        v0 = merton_hedge_variance(*a, nt, nx, ny)
        vt = merton_hedge_variance(*a, 2 * nt, nx, ny)
        vx = merton_hedge_variance(*a, nt, 2 * nx, ny)
        vy = merton_hedge_variance(*a, nt, nx, 2 * ny)
        vall = merton_hedge_variance(*a, 2 * nt, 2 * nx, 2 * ny)
        err = max(abs(vall - v0), abs(vt - v0), abs(vx - v0), abs(vy - v0))
        vres.append(dict(params=c,
                         variance=vall, std=math.sqrt(vall),
                         nodes_t_x_y=[2 * nt, 2 * nx, 2 * ny],
                         variance_base_nodes=v0, base_nodes=[nt, nx, ny],
                         variance_doubled_t=vt, variance_doubled_x=vx, variance_doubled_y=vy,
                         abs_change_on_doubling=abs(vall - v0),
                         est_abs_error_upper_bound=err,
                         est_rel_error_upper_bound=err / vall))
        print(f"[variance case done {time.time()-t0:.1f}s]", file=sys.stderr)
    c = vcases[0]
    a = (c["S0"], c["K"], c["r"], c["T"], c["sigma"], c["lam"], c["m"], c["d"])
    mc = merton_hedge_mc(*a, npaths=4000 if QUICK else 20000, nsteps=500 if QUICK else 2000)
    mc["z_vs_isometry"] = (mc["variance"] - vres[0]["variance"]) / mc["se_variance"]
    vres[0]["mc_check"] = mc
    out["merton_hedge_variance"] = vres
    out["runtime_s"] = time.time() - t0

    txt = json.dumps(out, indent=2)
    print(txt)
    here = os.path.dirname(os.path.abspath(__file__))
    rd = os.path.join(os.path.dirname(here), "results")
    os.makedirs(rd, exist_ok=True)
    with open(os.path.join(rd, "jump_theory_check.json"), "w") as f:
        f.write(txt + "\n")


if __name__ == "__main__":
    main()
