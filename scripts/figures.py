#!/usr/bin/env python3
"""Paper-ready figures from a hedgelab HDF5 file.

    scripts/figures.py RESULTS.h5 [-o OUTDIR] [--only NAME,NAME] [--format pdf,png] [--stat COLUMN]

Writes every figure that fits the file's sweep (or only the ones named) to OUTDIR, by default
results/figures/<study_name>/, as vector PDF and 300 dpi PNG, and prints one line per figure: where
it went, or why it was skipped. Figures:

  std_vs_rebalances  std of P&L against hedge.rebalances (log-log, +-2 s.e.), one line per value of
                     the other listed axes, Derman-Kamal and Bertsimas-Kogan-Lo lines, the jump
                     residual (Ito isometry) as a level per line where /cells/jump_residual_std is
                     finite, N^-1/2 slope. More than 8 lines: only those with a jump residual (the
                     Merton hedger's) when that leaves fewer, else 8 spread over the sweep
  distributions      P&L densities of up to 8 cells from the stored histograms, VaR/ES 99% marked
  frontier           mean cost against std of P&L, one line per policy (and other listed axes); one
                     point per policy and scenario: colour the policy, marker the scenario
  tails              ES and VaR at 99% and 99.9% (+-2 s.e.) against a listed stress or market axis
                     (stress.gap_size, then market.jump_intensity, volatility, drift, the other
                     market and stress axes; a string axis such as market.model is categorical),
                     one line per value of the other axes; more than 4 lines with hedge.rebalances
                     among them: only the finest rebalancing. Log loss axis where lines at one x
                     differ by more than 5x
  qq                 normal QQ plot of /samples/pnl for up to 4 cells (needs output.samples = true)
  heatmap            a statistic (--stat, default std) over the first two listed numeric axes
  jumps              mean P&L by the number of jumps on the path (0, 1, 2, 3, 4+), +-2 s.e., one line
                     per cell, up to 8 cells (needs /jumps: a run with jumps)

Sized for a two-column paper: 3.4 in wide (7 in for wide overlays and heatmaps), 8 pt fonts,
Okabe-Ito colours. Bad input (missing or unreadable file, unknown figure or statistic, --only naming
a figure that does not fit) prints one line and exits 2.
"""

import argparse
import math
import os
import re
import signal
import statistics
import sys

FIGURES = ["std_vs_rebalances", "distributions", "frontier", "tails", "qq", "heatmap", "jumps"]
FORMATS = ["pdf", "png"]

# Okabe & Ito's colour-blind-safe palette, with their yellow (too faint on white for thin lines)
# swapped for Tol's wine.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
THEORY = "#555555"

MAX_LINES = 8  # lines in one figure, at most (more are not told apart)
SINGLE_W = 3.4  # in: one column of a two-column paper
DOUBLE_W = 7.0  # in: both columns

CCY = "currency units"

# Long (axis) and short (legend) names of the sweep columns.
AXIS_LABELS = {
    "market_spot": ("spot $S_0$ (" + CCY + ")", "$S_0$"),
    "market_rate": ("rate $r$ (per year, fraction)", "$r$"),
    "market_drift": ("drift $\\mu$ (per year, fraction)", "$\\mu$"),
    "market_volatility": ("volatility $\\sigma$ (per year, fraction)", "$\\sigma$"),
    "market_model": ("market model", "market"),
    "market_jump_intensity": ("jump intensity $\\lambda$ (per year)", "$\\lambda$"),
    "market_jump_mean": ("mean log jump $m$", "$m$"),
    "market_jump_std": ("std of the log jump $d$", "$d$"),
    "market_jump_up_probability": ("up-jump probability $p$", "$p$"),
    "market_eta_up": ("up-jump rate $\\eta_{\\uparrow}$ (per unit log jump)", "$\\eta_{\\uparrow}$"),
    "market_eta_down": ("down-jump rate $\\eta_{\\downarrow}$ (per unit log jump)", "$\\eta_{\\downarrow}$"),
    "market_kappa": ("variance mean reversion $\\kappa$ (per year)", "$\\kappa$"),
    "market_theta": ("long-run variance $\\theta$ (per year)", "$\\theta$"),
    "market_xi": ("volatility of variance $\\xi$ (per year)", "$\\xi$"),
    "market_rho": ("spot-variance correlation $\\rho$", "$\\rho$"),
    "market_v0": ("initial variance $v_0$ (per year)", "$v_0$"),
    "market_regime_volatilities": ("regime volatilities $\\sigma_0/\\sigma_1$ (per year, fraction)",
                                   "$\\sigma_0/\\sigma_1$"),
    "market_regime_rates": ("regime switch rates $q_0/q_1$ (per year)", "$q_0/q_1$"),
    "stress_gap_size": ("gap size (fraction of spot)", "gap"),
    "stress_gap_time": ("gap time (years)", "gap at"),
    "stress_vol_shift_time": ("volatility shift time (years)", "shift at"),
    "stress_vol_shift_to": ("volatility after the shift (per year, fraction)", "$\\sigma$ after"),
    "hedge_policy": ("policy", "policy"),
    "hedge_model": ("hedge model", "hedger"),
    "hedge_rebalances": ("rebalances $N$", "$N$"),
    "hedge_volatility": ("hedge volatility $\\sigma_h$ (per year, fraction)", "$\\sigma_h$"),
    "hedge_band": ("band half-width (shares)", "half-width"),
    "hedge_to": ("band target", "to"),
    "hedge_risk_aversion": ("risk aversion $\\gamma$", "$\\gamma$"),
    "hedge_move": ("move trigger (fraction of spot)", "trigger"),
    "costs_proportional": ("proportional cost (fraction of notional)", "cost"),
    "costs_fixed": ("fixed cost per trade (" + CCY + ")", "fixed"),
    "costs_half_spread": ("half-spread (fraction of notional)", "half-spread"),
    "costs_half_spread_per_vol": ("half-spread per unit $\\sigma$ (fraction of notional)", "spread/$\\sigma$"),
    "costs_impact_eta": ("impact coefficient $\\eta$", "$\\eta$"),
    "costs_volume": ("impact volume (shares)", "volume"),
    "costs_lot": ("lot size (shares)", "lot"),
}

STAT_LABELS = {
    "mean": "mean P&L (" + CCY + ")",
    "std": "std of P&L (" + CCY + ")",
    "stderr_mean": "s.e. of mean P&L (" + CCY + ")",
    "stderr_std": "s.e. of std of P&L (" + CCY + ")",
    "skewness": "skewness of P&L",
    "kurtosis": "excess kurtosis of P&L",
    "min": "min P&L (" + CCY + ")",
    "max": "max P&L (" + CCY + ")",
    "premium": "premium (" + CCY + ")",
    "var_95": "VaR 95% (loss, " + CCY + ")",
    "var_99": "VaR 99% (loss, " + CCY + ")",
    "es_95": "ES 95% (loss, " + CCY + ")",
    "es_99": "ES 99% (loss, " + CCY + ")",
    "mean_cost": "mean cost (" + CCY + ")",
    "std_cost": "std of cost (" + CCY + ")",
    "mean_trades": "mean trades per path",
    "mean_turnover_shares": "mean turnover (shares)",
    "mean_turnover_notional": "mean turnover (" + CCY + ")",
    "diff_mean": "mean P&L minus baseline (" + CCY + ")",
    "diff_std": "std minus baseline std (" + CCY + ")",
    "derman_kamal_std": "Derman-Kamal std (" + CCY + ")",
    "bkl_std": "BKL std (" + CCY + ")",
    "ahmad_wilmott_mean": "Ahmad-Wilmott mean (" + CCY + ")",
    "leland_volatility": "Leland volatility (per year, fraction)",
    "var_999": "VaR 99.9% (loss, " + CCY + ")",
    "es_999": "ES 99.9% (loss, " + CCY + ")",
    "mean_jump_pnl": "mean P&L at jumps and gaps (" + CCY + ")",
    "std_jump_pnl": "std of P&L at jumps and gaps (" + CCY + ")",
    "mean_diffusive_pnl": "mean diffusive P&L (" + CCY + ")",
    "std_diffusive_pnl": "std of diffusive P&L (" + CCY + ")",
    "mean_jumps": "mean jumps per path",
}

# Display names of the values of the string axes (other values print as they are).
MODEL_NAMES = {"gbm": "GBM", "merton": "Merton", "kou": "Kou", "heston": "Heston", "regime": "regime"}
HEDGER_NAMES = {"bs": "BS", "merton": "Merton", "kou": "Kou", "min_variance": "min-variance"}
# String axes whose value reads as a phrase in a legend ("Merton hedger"), not as "key=value".
PHRASE_AXES = {"hedge_policy": "{}", "market_model": "{} market", "hedge_model": "{} hedger"}

POLICY_NAMES = {
    "time": "time",
    "band": "fixed band",
    "whalley_wilmott": "Whalley-Wilmott",
    "zakamouline": "Zakamouline",
    "move": "move",
    "leland": "Leland",
    "static": "static",
    "none": "no hedge",
}

# Parameters that only some policies read; for the others their value means nothing.
POLICY_PARAMS = {
    "hedge_rebalances": {"time", "leland"},
    "hedge_band": {"band"},
    "hedge_risk_aversion": {"whalley_wilmott", "zakamouline"},
    "hedge_move": {"move"},
    "hedge_to": {"band", "whalley_wilmott", "zakamouline"},
}
# Of those, the ones that move a policy along its cost-risk frontier.
FRONTIER_PARAMS = ["hedge_rebalances", "hedge_band", "hedge_risk_aversion", "hedge_move"]


class Unfit(Exception):
    """The figure does not fit the file; the message says why."""


class BadInput(Exception):
    """One line for the user, exit 2."""


def axis_label(name):
    if name in AXIS_LABELS:
        return AXIS_LABELS[name][0]
    if name.startswith("book_"):
        parts = name.split("_", 2)
        if len(parts) == 3 and parts[1].isdigit():
            sub = "" if parts[1] == "0" else f" (option {parts[1]})"
            if parts[2] == "strike":
                return f"strike $K${sub} ({CCY})"
            return f"{parts[2].replace('_', ' ')}{sub}"
    for prefix in ("market_", "stress_", "hedge_", "costs_"):
        if name.startswith(prefix):
            return name[len(prefix):].replace("_", " ")
    return name.replace("_", " ")


def short_label(name):
    if name in AXIS_LABELS:
        return AXIS_LABELS[name][1]
    if name.startswith("book_"):
        parts = name.split("_", 2)
        if len(parts) == 3 and parts[2] == "strike":
            return "$K$" if parts[1] == "0" else f"$K_{parts[1]}$"
    return axis_label(name).split(" (")[0]


def stat_label(name):
    return STAT_LABELS.get(name, name.replace("_", " "))


def fmt_value(v, axis=None):
    if isinstance(v, str):
        if axis == "market_model":
            return MODEL_NAMES.get(v, v)
        if axis == "hedge_model":
            return HEDGER_NAMES.get(v, v)
        return POLICY_NAMES.get(v, v)
    if v is None:
        return ""
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.4g}"


def out_line(text):
    print(text, flush=True)


# ---------------------------------------------------------------------------------------------
# The file


class Study:
    def __init__(self, path):
        import h5py
        import numpy as np

        self.np = np
        if not os.path.exists(path):
            raise BadInput(f"{path}: no such file")
        if os.path.isdir(path):
            raise BadInput(f"{path}: is a directory")
        try:
            self.f = h5py.File(path, "r")
        except OSError as e:
            raise BadInput(f"{path}: not a readable HDF5 file ({e.__class__.__name__})")
        if "cells" not in self.f or not isinstance(self.f["cells"], h5py.Group):
            raise BadInput(f"{path}: not a hedgelab results file (no /cells group)")
        g = self.f["cells"]
        self.path = path
        self.name = self._str(self.f.attrs.get("study_name", "")) or os.path.splitext(os.path.basename(path))[0]
        self.paths = int(self.f.attrs.get("paths", 0)) or None
        self.cols = {}
        self.attrs = {}
        for k, d in g.items():
            if not isinstance(d, h5py.Dataset):
                continue
            self.attrs[k] = {a: d.attrs[a] for a in d.attrs}
            if d.ndim == 1 and k != "quantile_levels":
                self.cols[k] = self._column(d[()])
        if "std" not in self.cols:
            raise BadInput(f"{path}: not a hedgelab results file (no /cells/std)")
        self.n = len(self.cols["std"])
        if self.paths is None:
            self.paths = 1
        self.g = g
        axes_attr = self._str(g.attrs.get("axes", ""))
        listed = []
        for key in [a.strip() for a in axes_attr.split(",") if a.strip()]:
            c = key.replace(".", "_")
            if c in self.cols:
                listed.append(c)
        if not axes_attr:  # older files: the per-column attribute
            listed = [k for k, a in self.attrs.items() if int(a.get("listed", 0)) and k in self.cols]
        self.listed = listed
        self.policy = self.cols.get("hedge_policy")
        if self.policy is None:
            self.policy = ["time"] * self.n
        # A cell's coordinate on an axis, None where its policy does not read that axis.
        self.canon = {a: [self._canon(a, i) for i in range(self.n)] for a in self.listed}
        # Cells that differ only in parameters their policy ignores are the same cell: keep the first.
        seen, keep = set(), []
        for i in range(self.n):
            key = tuple(self.canon[a][i] for a in self.listed)
            if key not in seen:
                seen.add(key)
                keep.append(i)
        self.cells = keep

    @staticmethod
    def _str(v):
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        if hasattr(v, "item") and not isinstance(v, str):
            try:
                v = v.item()
            except (ValueError, AttributeError):
                pass
            if isinstance(v, bytes):
                return v.decode("utf-8", "replace")
        return str(v)

    def _column(self, arr):
        np = self.np
        if arr.dtype.kind in ("O", "S", "U"):
            return [self._str(v) for v in arr]
        return np.asarray(arr, dtype=float)

    def _canon(self, axis, i):
        v = self.cols[axis][i]
        if axis in POLICY_PARAMS and self.policy[i] not in POLICY_PARAMS[axis]:
            return None
        return v if isinstance(v, str) else float(v)

    def is_numeric(self, axis):
        return not isinstance(self.cols[axis], list)

    def zip_group(self, axis):
        z = self.attrs.get(axis, {}).get("zip", -1)
        try:
            return int(z)
        except (TypeError, ValueError):
            return -1

    def zipped_with(self, axis):
        """The listed axes that advance together with `axis` (itself included)."""
        z = self.zip_group(axis)
        if z < 0:
            return {axis}
        return {a for a in self.listed if self.zip_group(a) == z} | {axis}

    def values(self, axis, cells):
        return [self.canon[axis][i] if axis in self.canon else self._canon(axis, i) for i in cells]

    def varying(self, axis, cells):
        return len({v for v in self.values(axis, cells) if v is not None}) > 1

    def group(self, cells, axes):
        """Cells split by their coordinates on `axes`, in order of first appearance."""
        groups = {}
        for i in cells:
            key = tuple(self.canon[a][i] for a in axes)
            groups.setdefault(key, []).append(i)
        return list(groups.items())

    def label(self, axes, key):
        phrases, parts = [], []
        for a, v in zip(axes, key):
            if v is None:
                continue
            if a in PHRASE_AXES and isinstance(v, str):
                phrases.append((list(PHRASE_AXES).index(a), PHRASE_AXES[a].format(fmt_value(v, a))))
            else:
                parts.append(f"{short_label(a)}={fmt_value(v, a)}")
        parts = [p for _, p in sorted(phrases)] + parts
        return ", ".join(parts) if parts else "all cells"

    def cell_label(self, i, cells):
        axes = [a for a in self.listed if self.varying(a, cells)]
        return self.label(axes, tuple(self.canon[a][i] for a in axes))

    def col(self, name):
        return self.cols[name]

    def representative(self, i):
        """The kept cell that cell i duplicates (itself when kept)."""
        key = tuple(self.canon[a][i] for a in self.listed)
        for j in self.cells:
            if tuple(self.canon[a][j] for a in self.listed) == key:
                return j
        return i

    def spread_cells(self, k):
        """Up to k cells spread over the sweep: a few values of every axis, evenly spaced, and their
        combinations (the grid the cells form: zipped axes count as one axis), so that each chosen
        value of an axis is seen against the others. Falls back to every n/k-th cell."""
        groups, seen = [], set()
        for a in self.listed:
            if a in seen:
                continue
            g = [b for b in self.listed if b in self.zipped_with(a)]
            seen |= set(g)
            raw = [tuple(self._raw(b, i) for b in g) for i in range(self.n)]
            order = list(dict.fromkeys(raw))
            if len(order) > 1:
                groups.append([order.index(r) for r in raw])
        sizes = [max(pos) + 1 for pos in groups]
        coords = set(zip(*groups)) if groups else set()
        if not groups or len(coords) != self.n or math.prod(sizes) != self.n:
            return pick_evenly(self.cells, k)
        ks = [1] * len(sizes)
        while True:
            best = None
            for j in range(len(sizes)):
                if ks[j] < sizes[j] and math.prod(ks) // ks[j] * (ks[j] + 1) <= k:
                    if best is None or sizes[j] / ks[j] > sizes[best] / ks[best]:
                        best = j
            if best is None:
                break
            ks[best] += 1
        picks = [set(pick_evenly(list(range(sz)), kk)) for sz, kk in zip(sizes, ks)]
        chosen = []
        for i in range(self.n):
            if all(pos[i] in pk for pos, pk in zip(groups, picks)):
                r = self.representative(i)
                if r not in chosen:
                    chosen.append(r)
        return chosen[:k] if chosen else pick_evenly(self.cells, k)

    def _raw(self, axis, i):
        v = self.cols[axis][i]
        return v if isinstance(v, str) else float(v)

    def stderr_cost(self):
        np = self.np
        sc = self.cols.get("std_cost")
        if sc is None:
            return np.zeros(self.n)
        return sc / math.sqrt(max(self.paths, 1))


def pick_evenly(items, k):
    if len(items) <= k:
        return list(items)
    if k <= 1:
        return list(items[:k])
    idx = sorted({int(round(x)) for x in [j * (len(items) - 1) / (k - 1) for j in range(k)]})
    return [items[j] for j in idx]


def sort_key(v):
    if v is None:
        return (0, 0.0, "")
    if isinstance(v, str):
        return (1, 0.0, v)
    return (1, float(v), "")


# ---------------------------------------------------------------------------------------------
# Plans: each checks that its figure fits and gathers what it draws (or raises Unfit)


def plan_std_vs_rebalances(s, args):
    ax = "hedge_rebalances"
    if ax not in s.listed:
        raise Unfit("hedge.rebalances is not a listed axis")
    cells = [i for i in s.cells if s.canon[ax][i] is not None]
    if not cells:
        raise Unfit("no cell's policy reads hedge.rebalances")
    if not s.varying(ax, cells):
        raise Unfit("hedge.rebalances takes a single value")
    partners = s.zipped_with(ax)
    others = [a for a in s.listed if a not in partners and s.varying(a, cells)]

    def lines(cells, others):
        gs = [(k, sorted(g, key=lambda i: s.canon[ax][i])) for k, g in s.group(cells, others)]
        return [(k, g) for k, g in gs if len(g) >= 2] or gs

    groups = lines(cells, others)
    note, fixed = "", []
    if len(groups) > MAX_LINES:
        total = len(groups)
        jr = s.cols.get("jump_residual_std")
        with_jr = [i for _, g in groups for i in g if jr is not None and all(math.isfinite(jr[j]) for j in g)]
        if with_jr and len(with_jr) < len(cells):
            # Too many lines: keep those the jump residual applies to (the Merton hedger's), which
            # is what the figure is about; the other hedgers' lines are in the table.
            cells = with_jr
            fixed = [a for a in others if not s.varying(a, cells)]
            others = [a for a in others if s.varying(a, cells)]
            groups = lines(cells, others)
            note = f" ({total} lines; the {len(groups)} with a jump residual shown)"
        if len(groups) > MAX_LINES:
            note = f" ({total} lines, {MAX_LINES} shown)"
            groups = pick_evenly(groups, MAX_LINES)
    return dict(axis=ax, others=others, groups=groups, note=note,
                fixed=s.label(fixed, tuple(s.canon[a][cells[0]] for a in fixed)) if fixed else "")


def plan_distributions(s, args):
    if "histogram_counts" not in s.g or "histogram_edges" not in s.g:
        raise Unfit("no /cells/histogram_counts or histogram_edges")
    cells = [i for i in s.cells if s.col("max")[i] > s.col("min")[i]]
    if not cells:
        raise Unfit("every cell's P&L is a single value")
    chosen = [i for i in s.spread_cells(8) if i in cells] or pick_evenly(cells, 8)
    return dict(cells=chosen, all=s.cells)


def plan_frontier(s, args):
    if "mean_cost" not in s.cols:
        raise Unfit("no mean_cost column")
    mc = s.col("mean_cost")
    policy_listed = "hedge_policy" in s.listed and s.varying("hedge_policy", s.cells)
    distinct_costs = len({float(mc[i]) for i in s.cells})
    if not policy_listed and distinct_costs < 3:
        raise Unfit("needs hedge.policy listed or >= 3 cells with different mean costs")
    params = set()
    for p in FRONTIER_PARAMS:
        if p in s.listed:
            params |= s.zipped_with(p)
    others = [a for a in s.listed if a not in params and s.varying(a, s.cells)]
    if "hedge_policy" in s.listed and "hedge_policy" not in others and s.varying("hedge_policy", s.cells):
        others.insert(0, "hedge_policy")
    groups, dropped = [], 0
    for k, g in s.group(s.cells, others):
        g = sorted(g, key=lambda i: (mc[i], s.col("std")[i]))
        if len(g) > 1 and all(mc[i] == 0 for i in g) and len(s.cells) > len(g):
            dropped += 1  # a cost-free line is a vertical line on the y axis: no frontier
            continue
        groups.append((k, g))
    if not groups:
        raise Unfit("every line has zero cost")
    note, split = "", None
    rest = [a for a in others if a != "hedge_policy"]
    if len(groups) > MAX_LINES and all(len(g) == 1 for _, g in groups) and "hedge_policy" in others and rest:
        # One point per policy and scenario (no frontier parameter listed): colour is the policy,
        # marker the scenario, so that each has its own short legend.
        pols = list(dict.fromkeys(s.canon["hedge_policy"][g[0]] for _, g in groups))
        scen = list(dict.fromkeys(tuple(s.canon[a][g[0]] for a in rest) for _, g in groups))
        if len(pols) <= len(PALETTE) and len(scen) <= len(MARKERS):
            split = dict(policies=pols, scenarios=scen, rest=rest)
    if split is None and len(groups) > MAX_LINES:
        note = f" ({len(groups)} lines, {MAX_LINES} shown)"
        groups = pick_evenly(groups, MAX_LINES)
    return dict(others=others, groups=groups, dropped=dropped, split=split, note=note)


# The x axes the tails figure prefers, in order; then any other listed market or stress axis (numbers
# before strings), then the other numeric axes, then the other string axes.
TAILS_FIRST = ("stress_gap_size", "market_jump_intensity", "market_volatility", "market_drift")
# String axes that are lines, never the x axis.
LINE_ONLY = ("hedge_policy", "hedge_to")


def tails_axis(s):
    banned = set(LINE_ONLY)
    for a in s.listed:
        if a == "hedge_rebalances" or a.startswith("costs_"):
            banned |= s.zipped_with(a)
    cands = [a for a in s.listed if a not in banned and s.varying(a, s.cells)]

    def rank(a):
        if a in TAILS_FIRST:
            return (0, TAILS_FIRST.index(a))
        market = a.startswith(("stress_", "market_"))
        return (1 if market else 3, 0 if s.is_numeric(a) else 1)

    cands.sort(key=rank)
    return (cands[0] if cands else None), cands


def plan_tails(s, args):
    for c in ("es_99", "var_99"):
        if c not in s.cols:
            raise Unfit(f"no {c} column")
    ax, _ = tails_axis(s)
    if ax is None:
        listed = ", ".join(a.replace("_", ".", 1) for a in s.listed) or "none"
        raise Unfit(f"no listed market or stress axis other than rebalances and costs (listed: {listed})")
    cells = [i for i in s.cells if s.canon[ax][i] is not None]
    others = [a for a in s.listed if a not in s.zipped_with(ax) and s.varying(a, cells)]
    groups = s.group(cells, others)
    note, fixed = "", []
    rb = "hedge_rebalances"
    if len(groups) > 4 and rb in others and not s.zipped_with(rb) - {rb}:
        # The tails hardly depend on how often a book is rebalanced, next to what they are drawn
        # against: only the finest rebalancing, so that the lines stay apart.
        top = max(v for v in s.values(rb, cells) if v is not None)
        total = len(groups)
        cells = [i for i in cells if s.canon[rb][i] in (None, top)]
        fixed = [a for a in others if not s.varying(a, cells)]
        others = [a for a in others if s.varying(a, cells)]
        groups = s.group(cells, others)
        note = f" ({total} lines; only N={fmt_value(top)} shown)"
    if len(groups) > MAX_LINES:
        note = f" ({len(groups)} lines, {MAX_LINES} shown)"
        groups = pick_evenly(groups, MAX_LINES)
    order = sorted({s.canon[ax][i] for _, g in groups for i in g}, key=sort_key)
    groups = [(k, sorted(g, key=lambda i: sort_key(s.canon[ax][i]))) for k, g in groups]
    levels = [("99", "99%")]
    if all(c in s.cols for c in ("var_999", "es_999")) and \
            any(math.isfinite(s.col(c)[i]) for c in ("var_999", "es_999") for _, g in groups for i in g):
        levels.append(("999", "99.9%"))
    fixed_label = s.label(fixed, tuple(s.canon[a][cells[0]] for a in fixed)) if fixed else ""
    return dict(axis=ax, others=others, groups=groups, note=note, order=order, levels=levels,
                fixed=fixed_label)


def plan_qq(s, args):
    if "samples" not in s.f or "pnl" not in s.f["samples"]:
        raise Unfit("no /samples/pnl (run with --set output.samples=true)")
    d = s.f["samples/pnl"]
    if d.ndim != 2 or d.shape[0] != s.n or d.shape[1] < 2:
        raise Unfit("/samples/pnl is not [cells x paths]")
    cells = [i for i in s.cells if s.col("std")[i] > 0]
    if not cells:
        raise Unfit("every cell's P&L is a single value")
    chosen = [i for i in s.spread_cells(4) if i in cells] or pick_evenly(cells, 4)
    return dict(cells=chosen)


def plan_heatmap(s, args):
    stat = args.stat
    numeric = [a for a in s.listed if s.is_numeric(a) and s.varying(a, s.cells)]
    if not numeric:
        raise Unfit("needs two listed numeric axes, the file has none")
    a = numeric[0]
    rest = [b for b in numeric[1:] if b not in s.zipped_with(a)]
    if not rest:
        raise Unfit(f"needs two listed numeric axes that are not zipped, the file has one ({a.replace('_', '.', 1)})")
    b = rest[0]
    cells = [i for i in s.cells if s.canon[a][i] is not None and s.canon[b][i] is not None]
    facet_axes = [x for x in s.listed
                  if x not in s.zipped_with(a) | s.zipped_with(b) and s.varying(x, cells)]
    facets = s.group(cells, facet_axes)
    note = ""
    if len(facets) > 6:
        note = f" ({len(facets)} panels, first 6 shown)"
        facets = facets[:6]
    return dict(stat=stat, a=a, b=b, facet_axes=facet_axes, facets=facets, note=note)


def plan_jumps(s, args):
    np = s.np
    if "jumps" not in s.f or any(k not in s.f["jumps"] for k in ("count", "mean_pnl", "mean_pnl_se")):
        raise Unfit("no /jumps (the run has no jumps or gaps)")
    count = np.asarray(s.f["jumps/count"][()], dtype=float)
    mean = np.asarray(s.f["jumps/mean_pnl"][()], dtype=float)
    se = np.asarray(s.f["jumps/mean_pnl_se"][()], dtype=float)
    if count.ndim != 2 or count.shape[0] != s.n or mean.shape != count.shape or se.shape != count.shape:
        raise Unfit("/jumps is not [cells x bins]")
    bins = s._str(s.f["jumps"].attrs.get("bins", "")).split(",")
    if len(bins) != count.shape[1]:
        bins = [str(b) for b in range(count.shape[1])]
    # A cell says something only where at least two bins hold paths.
    cells = [i for i in s.cells if int((count[i] > 0).sum()) >= 2]
    if not cells:
        raise Unfit("every path of every cell has the same number of jumps")
    chosen = [i for i in s.spread_cells(8) if i in cells] or pick_evenly(cells, 8)
    note = f" ({len(cells)} cells, {len(chosen)} shown)" if len(chosen) < len(cells) else ""
    # Axes the sweep varies but the chosen cells share: said once, in the legend's title.
    fixed = [a for a in s.listed if s.varying(a, cells) and not s.varying(a, chosen)]
    fixed = s.label(fixed, tuple(s.canon[a][chosen[0]] for a in fixed)) if fixed else ""
    return dict(cells=chosen, count=count, mean=mean, se=se, bins=bins, note=note, fixed=fixed)


PLANS = {
    "std_vs_rebalances": plan_std_vs_rebalances,
    "distributions": plan_distributions,
    "frontier": plan_frontier,
    "tails": plan_tails,
    "qq": plan_qq,
    "heatmap": plan_heatmap,
    "jumps": plan_jumps,
}


# ---------------------------------------------------------------------------------------------
# Drawing


def setup_matplotlib():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.size": 8,
        "axes.labelsize": 8,
        "axes.titlesize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 7,
        "legend.title_fontsize": 7,
        "legend.frameon": False,
        "legend.handlelength": 2.2,
        "lines.linewidth": 1.1,
        "lines.markersize": 3.5,
        "errorbar.capsize": 1.5,
        "axes.linewidth": 0.6,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.minor.width": 0.4,
        "ytick.minor.width": 0.4,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "pdf.fonttype": 42,  # TrueType in the PDF: editable text, accepted by journals
        "ps.fonttype": 42,
        "svg.fonttype": "none",
        "savefig.dpi": 300,
        "figure.dpi": 100,
        "mathtext.default": "it",
    })
    return plt


def new_figure(plt, width, height, **kw):
    fig = plt.figure(figsize=(width, height), layout="constrained", **kw)
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02, wspace=0.04, hspace=0.04)
    return fig


def legend_below(fig, ax, handles, labels, ncol, title=None):
    if not handles:
        return
    try:
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, title=title,
                   columnspacing=1.0, handletextpad=0.4, borderaxespad=0.2)
    except (ValueError, TypeError):  # matplotlib < 3.7: no 'outside' legends
        ax.legend(handles, labels, loc="best", ncol=1, title=title)


def legend_right(fig, ax, handles, labels, title=None):
    if not handles:
        return
    try:
        fig.legend(handles, labels, loc="outside right upper", ncol=1, title=title,
                   handletextpad=0.4, borderaxespad=0.2)
    except (ValueError, TypeError):
        ax.legend(handles, labels, loc="best", ncol=1, title=title)


def legend_rows(n, ncol):
    return (n + ncol - 1) // ncol


def rendered_len(text):
    """About how many characters a label takes once mathtext is rendered."""
    t = re.sub(r"\\[A-Za-z]+", "x", text)
    return len(re.sub(r"[${}^_]", "", t))


def legend_ncol(labels, width, max_cols=3):
    """As many legend columns as fit `width` inches at 7 pt, at most max_cols. The legend fills
    its columns top to bottom, each as wide as its longest label (about 0.055 in a character) plus
    the handle and the spacing (about 0.5 in)."""
    if not labels:
        return 1
    n = len(labels)
    for ncol in range(min(max_cols, n), 1, -1):
        # matplotlib's split: the first n % ncol columns take one entry more
        sizes = [n // ncol + (1 if j < n % ncol else 0) for j in range(ncol)]
        starts = [sum(sizes[:j]) for j in range(ncol)]
        cols = [labels[a:a + b] for a, b in zip(starts, sizes) if b > 0]
        if sum(0.055 * max(rendered_len(t) for t in c) + 0.5 for c in cols) <= width - 0.1:
            return ncol
    return 1


def style(k):
    return PALETTE[k % len(PALETTE)], MARKERS[(k + k // len(PALETTE)) % len(MARKERS)]


def thin_log_ticks(values, axis_len_in, min_gap_in=0.28):
    """The values as log-axis ticks, dropping those that would crowd their left neighbour."""
    vals = sorted({float(v) for v in values if v > 0})
    if len(vals) < 2:
        return vals
    lo, hi = math.log10(vals[0]), math.log10(vals[-1])
    span = max(hi - lo, 1e-9) * 1.1
    gap = span * min_gap_in / max(axis_len_in, 0.5)
    kept = [vals[0]]
    for v in vals[1:]:
        if math.log10(v) - math.log10(kept[-1]) >= gap:
            kept.append(v)
    if kept[-1] != vals[-1] and math.log10(vals[-1]) - math.log10(kept[-1]) < gap and len(kept) > 1:
        kept[-1] = vals[-1]  # keep the last value labelled rather than its neighbour
    return kept


def log_axis(axis, lo, hi):
    """Readable labels on a log axis: plain numbers at 1-2-5 (or finer when the range is short)."""
    import matplotlib.ticker as mt

    ratio = hi / lo if lo > 0 else 1e9
    if ratio < 3:
        subs = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)
    elif ratio < 12:
        subs = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
    elif ratio < 1000:
        subs = (1.0, 2.0, 5.0)
    else:
        subs = (1.0,)
    axis.set_major_locator(mt.LogLocator(base=10, subs=subs, numticks=30))
    axis.set_major_formatter(mt.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(mt.LogLocator(base=10, subs="auto", numticks=30))
    axis.set_minor_formatter(mt.NullFormatter())


def plain_ticks(axis, max_ticks=6):
    import matplotlib.ticker as mt

    axis.set_major_locator(mt.MaxNLocator(nbins=max_ticks, steps=[1, 2, 2.5, 5, 10]))
    fmt = mt.ScalarFormatter(useMathText=True)
    fmt.set_powerlimits((-3, 4))
    axis.set_major_formatter(fmt)


def draw_std_vs_rebalances(plt, s, plan):
    np = s.np
    from matplotlib.lines import Line2D

    ax_name, groups = plan["axis"], plan["groups"]
    N = s.col(ax_name)
    std, se = s.col("std"), s.col("stderr_std")
    dk = s.cols.get("derman_kamal_std")
    bkl = s.cols.get("bkl_std")
    jr = s.cols.get("jump_residual_std")

    handles, labels = [], []
    theory = []  # (kind, xs, ys, colour index)
    for k, (key, g) in enumerate(groups):
        for kind, col in (("dk", dk), ("bkl", bkl), ("jump", jr)):
            if col is None:
                continue
            pts = [(N[i], col[i]) for i in g if np.isfinite(col[i]) and col[i] > 0]
            if len(pts) >= 1:
                theory.append((kind, pts, k))
    # The same theory line for several groups is drawn once, in grey; distinct lines take the
    # colour of their group.
    uniq = {}
    for kind, pts, k in theory:
        sig = (kind, tuple((round(x, 9), float(f"{y:.9g}")) for x, y in pts))
        uniq.setdefault(sig, (kind, pts, k))
    kinds_distinct = {}
    for kind, _, _ in uniq.values():
        kinds_distinct[kind] = kinds_distinct.get(kind, 0) + 1

    styles = {"dk": ("--", "Derman-Kamal"), "bkl": (":", "Bertsimas-Kogan-Lo"),
              "jump": ((0, (5, 1.5)), "jump residual (It\u00f4 isometry)")}
    leg_labels = [line_label(s, plan, key, g) for key, g in groups]
    leg_labels += [styles[kd][1] for kd in dict.fromkeys(kd for kd, _, _ in uniq.values())]
    leg_labels.append("$\\propto N^{-1/2}$")
    ncol = legend_ncol(leg_labels, SINGLE_W)
    rows = legend_rows(len(leg_labels), ncol) + (1 if plan.get("fixed") else 0)
    fig = new_figure(plt, SINGLE_W, 2.35 + 0.15 * rows)
    ax = fig.add_subplot()

    allx, ally = [], []
    for k, (key, g) in enumerate(groups):
        c, m = style(k)
        x = np.array([N[i] for i in g])
        y = np.array([std[i] for i in g])
        e = 2 * np.array([se[i] for i in g])
        lo = np.minimum(e, y * 0.999)  # keep the lower bar on the log axis
        h = ax.errorbar(x, y, yerr=[lo, e], color=c, marker=m, ms=3.2, lw=1.0, elinewidth=0.7,
                        capsize=1.5, zorder=3)
        handles.append(h)
        labels.append(line_label(s, plan, key, g))
        allx += list(x)
        ally += list(y - lo) + list(y + e)

    xs = np.array(sorted(set(allx)))
    xlim = (xs[0] / 1.25, xs[-1] * 1.25)
    shown = set()
    for kind, pts, k in uniq.values():
        ls, name = styles[kind]
        colour = THEORY if kinds_distinct[kind] == 1 else style(k)[0]
        pts = sorted(pts)
        px, py = [p[0] for p in pts], [p[1] for p in pts]
        if kind == "jump" and max(py) - min(py) <= 1e-9 * max(py):
            # The jump residual does not depend on N: a level across the axis, which the line of
            # its group approaches.
            px, py = list(xlim), [py[0], py[0]]
        ax.plot(px, py, ls=ls, color=colour, lw=1.0, zorder=2)
        ally += py
        if kind not in shown:
            shown.add(kind)
            handles.append(Line2D([], [], ls=ls, color=THEORY, lw=1.0))
            labels.append(name)

    # N^-1/2 reference, below the data so that it does not hide it
    pos = [(N[i], std[i]) for _, g in groups for i in g if std[i] > 0]
    if pos and len(xs) >= 2:
        c0 = min(y * math.sqrt(x) for x, y in pos) * 0.7
        xr = np.geomspace(xs[0], xs[-1], 50)
        ax.plot(xr, c0 / np.sqrt(xr), ls="-.", color="#999999", lw=0.9, zorder=1)
        ally += list(c0 / np.sqrt(xr))
        handles.append(Line2D([], [], ls="-.", color="#999999", lw=0.9))
        labels.append("$\\propto N^{-1/2}$")

    ax.set_xscale("log")
    ax.set_yscale("log")
    ally = [v for v in ally if v > 0 and np.isfinite(v)]
    ylo, yhi = min(ally), max(ally)
    ax.set_ylim(ylo / 1.15, yhi * 1.15)
    ax.set_xlim(*xlim)
    log_axis(ax.yaxis, ylo, yhi)
    import matplotlib.ticker as mt

    ax.xaxis.set_major_locator(mt.FixedLocator(thin_log_ticks(xs, SINGLE_W - 0.7)))
    ax.xaxis.set_major_formatter(mt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(mt.NullLocator())
    ax.set_xlabel(axis_label(ax_name))
    ax.set_ylabel(f"std of P&L ({CCY})")
    title = "bars: $\\pm$2 s.e."
    if plan.get("fixed"):
        title = f"{plan['fixed']}; {title}"
    legend_below(fig, ax, handles, labels, ncol, title=title)
    return fig


def line_label(s, plan, key, g):
    if plan["others"]:
        return s.label(plan["others"], key)
    if "hedge_policy" in s.listed:
        return POLICY_NAMES.get(s.policy[g[0]], s.policy[g[0]])
    return "Monte Carlo"


def rebin(counts, edges, target_width):
    np = __import__("numpy")
    w = edges[1] - edges[0]
    if w <= 0:
        return counts, edges
    f = max(1, int(target_width // w))
    if f == 1:
        return counts, edges
    idx = np.arange(0, len(counts), f)
    c2 = np.add.reduceat(counts, idx)
    e2 = np.append(edges[idx], edges[-1])
    return c2, e2


def quantile_of(s, i, p):
    """The stored quantile at level p for cell i, or None."""
    np = s.np
    if "quantile_levels" not in s.g or "quantiles" not in s.g:
        return None
    lv = s.g["quantile_levels"][()]
    j = np.where(np.isclose(lv, p))[0]
    if len(j) == 0:
        return None
    return float(s.g["quantiles"][i, j[0]])


def draw_distributions(plt, s, plan):
    np = s.np
    from matplotlib.lines import Line2D

    cells = plan["cells"]
    counts_ds, edges_ds = s.g["histogram_counts"], s.g["histogram_edges"]
    labels_axes = [a for a in s.listed if s.varying(a, plan["all"])]
    wide = len(cells) > 4
    if wide:
        fig = new_figure(plt, DOUBLE_W, 2.6)
    else:
        leg = [s.label(labels_axes, tuple(s.canon[a][i] for a in labels_axes)) if labels_axes else "P&L"
               for i in cells] + ["VaR 99%", "ES 99%"]
        ncol = legend_ncol(leg, SINGLE_W, 2)
        rows = legend_rows(len(cells) + 2, ncol)
        fig = new_figure(plt, SINGLE_W, 2.3 + 0.15 * rows)
    ax = fig.add_subplot()
    handles, labels = [], []
    xlo, xhi, ymax = [], [], 0.0
    peaks, marks = [], []
    for k, i in enumerate(cells):
        c, m = style(k)
        counts = np.asarray(counts_ds[i], dtype=float)
        edges = np.asarray(edges_ds[i], dtype=float)
        n = counts.sum()
        if n <= 0:
            continue
        q25, q75 = quantile_of(s, i, 0.25), quantile_of(s, i, 0.75)
        q0, q1 = quantile_of(s, i, 0.001), quantile_of(s, i, 0.999)
        target = 0.0
        if q25 is not None and q75 is not None and q75 > q25:
            target = 2 * (q75 - q25) * n ** (-1 / 3)  # Freedman-Diaconis
        if q0 is not None and q1 is not None and q1 > q0:
            target = max(target, (q1 - q0) / 45)  # at most ~45 bins over the bulk: a smooth line
        else:
            target = max(target, (edges[-1] - edges[0]) / 60)
        counts, edges = rebin(counts, edges, target)  # never finer than the stored bins
        widths = np.diff(edges)
        dens = counts / (n * widths)
        centres = 0.5 * (edges[:-1] + edges[1:])
        (h,) = ax.plot(centres, dens, color=c, lw=1.0)
        ymax = max(ymax, float(dens.max()))
        var99, es99 = s.col("var_99")[i], s.col("es_99")[i]
        peaks.append(float(dens.max()))
        marks.append((c, -var99, -es99))
        handles.append(h)
        labels.append(s.label(labels_axes, tuple(s.canon[a][i] for a in labels_axes)) if labels_axes else "P&L")
        lo = quantile_of(s, i, 0.001)
        hi = quantile_of(s, i, 0.999)
        lo = s.col("min")[i] if lo is None else lo
        hi = s.col("max")[i] if hi is None else hi
        xlo.append(min(lo, -es99))
        xhi.append(max(hi, -var99))
    lo, hi = min(xlo), max(xhi)
    pad = 0.05 * (hi - lo)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(0, ymax * 1.08)
    # VaR and ES as vertical lines up to the height of their own density's peak
    for (c, v, e), pk in zip(marks, peaks):
        ax.vlines([v], 0, pk, color=c, ls="--", lw=0.8)
        ax.vlines([e], 0, pk, color=c, ls=":", lw=1.0)
    handles.append(Line2D([], [], color=THEORY, ls="--", lw=0.8))
    labels.append("VaR 99%")
    handles.append(Line2D([], [], color=THEORY, ls=":", lw=1.0))
    labels.append("ES 99%")
    plain_ticks(ax.xaxis, 7 if wide else 6)
    plain_ticks(ax.yaxis, 5)
    ax.set_xlabel(f"P&L at horizon ({CCY})")
    ax.set_ylabel(f"density (1 / {CCY[:-1]})")
    if wide:
        legend_right(fig, ax, handles, labels)
    else:
        legend_below(fig, ax, handles, labels, ncol)
    return fig


def draw_frontier(plt, s, plan):
    np = s.np
    groups = plan["groups"]
    mc, std = s.col("mean_cost"), s.col("std")
    mse, sse = s.stderr_cost(), s.col("stderr_std")
    split = plan.get("split")
    from matplotlib.lines import Line2D

    if split:
        pols, scen, rest = split["policies"], split["scenarios"], split["rest"]
        leg_labels = [POLICY_NAMES.get(p, p) for p in pols] + [s.label(rest, k) for k in scen]
    else:
        leg_labels = [s.label(plan["others"], key) if plan["others"] else "all cells" for key, _ in groups]
    ncol = legend_ncol(leg_labels, SINGLE_W)
    rows = legend_rows(len(leg_labels), ncol)
    fig = new_figure(plt, SINGLE_W, 2.35 + 0.15 * rows)
    ax = fig.add_subplot()
    handles, labels = [], []
    xs, ys = [], []
    for k, (key, g) in enumerate(groups):
        if split:
            i = g[0]
            c = PALETTE[pols.index(s.canon["hedge_policy"][i])]
            m = MARKERS[scen.index(tuple(s.canon[a][i] for a in rest))]
        else:
            c, m = style(k)
        x = np.array([mc[i] for i in g])
        y = np.array([std[i] for i in g])
        h = ax.errorbar(x, y, xerr=2 * np.array([mse[i] for i in g]), yerr=2 * np.array([sse[i] for i in g]),
                        color=c, marker=m, ms=3.2, lw=1.0, elinewidth=0.7, capsize=1.5)
        if not split:
            handles.append(h)
            labels.append(leg_labels[k])
        xs += list(x)
        ys += list(y)
    if split:
        # Colour: the policy; marker: the scenario (in grey)
        for j, p in enumerate(pols):
            handles.append(Line2D([], [], color=PALETTE[j], marker="s", ms=4, lw=0))
            labels.append(POLICY_NAMES.get(p, p))
        for j, k in enumerate(scen):
            handles.append(Line2D([], [], color=THEORY, marker=MARKERS[j], ms=3.5, lw=0))
            labels.append(s.label(rest, k))
    xpos = [v for v in xs if v > 0]
    if xpos and len(xpos) == len(xs) and max(xpos) / min(xpos) > 30:
        ax.set_xscale("log")
        log_axis(ax.xaxis, min(xpos), max(xpos))
    else:
        plain_ticks(ax.xaxis, 5)
    ypos = [v for v in ys if v > 0]
    if ypos and len(ypos) == len(ys) and max(ypos) / min(ypos) > 10:
        ax.set_yscale("log")
        log_axis(ax.yaxis, min(ypos), max(ypos))
    else:
        plain_ticks(ax.yaxis, 6)
    ax.set_xlabel(f"mean cost ({CCY})")
    ax.set_ylabel(f"std of P&L ({CCY})")
    legend_below(fig, ax, handles, labels, ncol, title="bars: $\\pm$2 s.e.")
    return fig


def draw_tails(plt, s, plan):
    np = s.np
    import matplotlib.ticker as mt
    from matplotlib.lines import Line2D

    axn, groups, levels, order = plan["axis"], plan["groups"], plan["levels"], plan["order"]
    numeric = s.is_numeric(axn)
    # A string axis is categorical: its values at 0, 1, 2, ..., in sorted order, each line a little
    # to the side so that the error bars do not hide each other.
    if numeric:
        xpos = {v: float(v) for v in order}
        shift = [0.0] * len(groups)
    else:
        xpos = {v: float(j) for j, v in enumerate(order)}
        w = 0.3 if len(groups) > 1 else 0.0
        shift = [(k - (len(groups) - 1) / 2) * w / max(len(groups) - 1, 1) for k in range(len(groups))]

    def se2(name, g):
        col = s.cols.get(name)
        if col is None:
            return None
        e = np.array([col[i] for i in g], dtype=float)
        return 2 * np.where(np.isfinite(e), e, 0.0)

    wide = len(levels) > 1
    width = DOUBLE_W if wide else SINGLE_W
    leg_labels = [s.label(plan["others"], key) for key, _ in groups] if len(groups) > 1 else []
    leg_labels += ["ES (expected shortfall)", "VaR"]
    ncol = legend_ncol(leg_labels, width, 5 if wide else 3)
    rows = legend_rows(len(leg_labels), ncol) + 1
    fig = new_figure(plt, width, 2.3 + 0.15 * rows)
    axs = fig.subplots(1, len(levels), sharey=True, squeeze=False)[0]
    handles, labels = [], []
    drawn = []
    for p, (lv, name) in enumerate(levels):
        ax = axs[p]
        es, var = s.col("es_" + lv), s.col("var_" + lv)
        drawn += [(s.canon[axn][i], v) for _, g in groups for i in g for v in (es[i], var[i]) if math.isfinite(v)]
        for k, (key, g) in enumerate(groups):
            c, m = style(k)
            ok = [i for i in g if math.isfinite(es[i]) or math.isfinite(var[i])]
            if not ok:
                continue
            x = np.array([xpos[s.canon[axn][i]] + shift[k] for i in ok])
            ax.errorbar(x, [es[i] for i in ok], yerr=se2(f"es_{lv}_se", ok), color=c, marker=m, ms=3.2,
                        lw=1.0, elinewidth=0.7, capsize=1.5)
            ax.errorbar(x, [var[i] for i in ok], yerr=se2(f"var_{lv}_se", ok), color=c, marker=m, ms=3.2,
                        mfc="white", lw=1.0, ls="--", elinewidth=0.7, capsize=1.5)
            if p == 0 and len(groups) > 1:
                handles.append(Line2D([], [], color=c, marker=m, ms=3.2, lw=1.0))
                labels.append(s.label(plan["others"], key))
        if numeric and len(order) <= 8:
            ax.xaxis.set_major_locator(mt.FixedLocator([xpos[v] for v in order]))
            ax.xaxis.set_major_formatter(mt.FuncFormatter(lambda v, _: f"{v:g}".replace("-", "\u2212")))
        elif numeric:
            plain_ticks(ax.xaxis, 6)
        else:
            ax.xaxis.set_major_locator(mt.FixedLocator(list(xpos.values())))
            ax.xaxis.set_major_formatter(mt.FixedFormatter([fmt_value(v, axn) for v in order]))
            ax.set_xlim(-0.5, len(order) - 0.5)
        longest = max(len(fmt_value(v, axn)) for v in order)
        if len(order) * (0.06 * longest + 0.15) > (width / len(levels) - 0.6):
            for t in ax.get_xticklabels():
                t.set_rotation(30)
                t.set_horizontalalignment("right")
        ax.set_xlabel(axis_label(axn))
        ax.set_title(f"tail at {name}", fontsize=8)
        if p == 0:
            ax.set_ylabel(f"loss ({CCY})")
    # Lines far apart at the same x (hedged and unhedged books side by side): a log axis, so that
    # the small losses are not flattened against zero.
    ys = [v for _, v in drawn]
    spread = max((max(vs) / min(vs) for vs in
                  ([v for x, v in drawn if x == x0] for x0 in {x for x, _ in drawn})), default=1.0) \
        if ys and min(ys) > 0 else 1.0
    if spread > 5:
        axs[0].set_yscale("log")
        log_axis(axs[0].yaxis, min(ys), max(ys))
    else:
        plain_ticks(axs[0].yaxis, 6)
    handles += [Line2D([], [], color=THEORY, marker="o", ms=3.2, lw=1.0),
                Line2D([], [], color=THEORY, marker="o", mfc="white", ms=3.2, lw=1.0, ls="--")]
    labels += ["ES (expected shortfall)", "VaR"]
    title = "bars: $\\pm$2 s.e."
    if plan.get("fixed"):
        title = f"{plan['fixed']}; {title}"
    legend_below(fig, axs[0], handles, labels, ncol, title=title)
    return fig


def normal_ppf(p):
    nd = statistics.NormalDist()
    return [nd.inv_cdf(v) for v in p]


def draw_qq(plt, s, plan):
    np = s.np
    from matplotlib.lines import Line2D

    cells = plan["cells"]
    d = s.f["samples/pnl"]
    labels_axes = [a for a in s.listed if s.varying(a, s.cells)]
    leg = [s.label(labels_axes, tuple(s.canon[a][i] for a in labels_axes)) if labels_axes else "P&L"
           for i in cells] + ["normal"]
    ncol = legend_ncol(leg, SINGLE_W, 2)
    rows = legend_rows(len(cells) + 1, ncol)
    fig = new_figure(plt, SINGLE_W, 2.7 + 0.15 * rows)
    ax = fig.add_subplot()
    handles, labels = [], []
    zmin, zmax = 0.0, 0.0
    nd = statistics.NormalDist()
    for k, i in enumerate(cells):
        c, m = style(k)
        x = np.sort(np.asarray(d[i], dtype=float))
        n = len(x)
        z = (x - x.mean()) / x.std(ddof=1)
        # Plot ~300 points evenly spaced in normal quantile, from the extreme order statistics in.
        zext = nd.inv_cdf(0.5 / n)
        grid = np.linspace(zext, -zext, 301)
        p = np.array([nd.cdf(g) for g in grid])
        idx = np.unique(np.clip(np.round(p * n - 0.5).astype(int), 0, n - 1))
        pp = (idx + 0.5) / n
        theo = np.array(normal_ppf(pp))
        h = ax.plot(theo, z[idx], ls="none", marker=m, ms=2.0, mew=0.5, color=c, alpha=0.85)[0]
        handles.append(h)
        labels.append(s.label(labels_axes, tuple(s.canon[a][i] for a in labels_axes)) if labels_axes else "P&L")
        zmin, zmax = min(zmin, theo.min(), z[idx].min()), max(zmax, theo.max(), z[idx].max())
    lim = (math.floor(zmin) - 0.3, math.ceil(zmax) + 0.3)
    ax.plot(lim, lim, color=THEORY, lw=0.8, ls="--", zorder=0)
    handles.append(Line2D([], [], color=THEORY, lw=0.8, ls="--"))
    labels.append("normal")
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_aspect("equal", adjustable="box")
    import matplotlib.ticker as mt

    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(mt.MaxNLocator(nbins=7, integer=True, steps=[1, 2, 5, 10]))
        axis.set_major_formatter(mt.FuncFormatter(lambda v, _: f"{v:g}".replace("-", "\u2212")))
    ax.set_xlabel("standard normal quantile")
    ax.set_ylabel("standardised P&L, (P&L $-$ mean) / std")
    legend_below(fig, ax, handles, labels, ncol)
    return fig


def draw_heatmap(plt, s, plan):
    np = s.np
    import matplotlib.ticker as mt
    from matplotlib.colors import Normalize

    stat, a, b = plan["stat"], plan["a"], plan["b"]
    vals = s.col(stat)
    facets = plan["facets"]
    # Rows: the first listed axis (top to bottom ascending); columns: the second.
    rv = sorted({s.canon[a][i] for _, g in facets for i in g}, key=sort_key)
    cv = sorted({s.canon[b][i] for _, g in facets for i in g}, key=sort_key)
    mats = []
    for key, g in facets:
        M = np.full((len(rv), len(cv)), np.nan)
        for i in g:
            r, c = rv.index(s.canon[a][i]), cv.index(s.canon[b][i])
            if np.isnan(M[r, c]):
                M[r, c] = vals[i]
        mats.append((key, M))
    finite = np.concatenate([M[np.isfinite(M)] for _, M in mats]) if mats else np.array([])
    if finite.size == 0:
        raise Unfit(f"{stat} is not finite in any cell")
    vmin, vmax = float(finite.min()), float(finite.max())
    if vmin == vmax:
        vmin, vmax = vmin - 0.5 * abs(vmin or 1), vmax + 0.5 * abs(vmax or 1)
    norm = Normalize(vmin, vmax)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#e6e6e6")

    npan = len(mats)
    cols = min(npan, 3)
    prow = (npan + cols - 1) // cols
    longest = max(len(fmt_value(v, b)) for v in cv)
    cell_w = max(0.4, 0.06 * longest + 0.08)  # room for the column's tick label at 8 pt
    panel_w = len(cv) * cell_w + 0.55  # + row tick labels and axis label
    width = SINGLE_W if cols * panel_w + 0.6 <= SINGLE_W else DOUBLE_W  # + colour bar
    cell_h = 0.24
    height = prow * (len(rv) * cell_h + 0.75) + 0.1
    fig = new_figure(plt, width, max(height, 1.8))
    axs = fig.subplots(prow, cols, squeeze=False)
    fs = 7 if (width - 1.3) / (cols * len(cv)) >= 0.42 else 6
    # One format for every annotation: three significant digits of the largest value.
    big = float(np.max(np.abs(finite)))
    expo = math.floor(math.log10(big)) if big > 0 else 0
    sci = expo >= 5 or expo <= -4
    decimals = min(max(2 - expo, 0), 6)

    def ann(v):
        if not np.isfinite(v):
            return ""
        return f"{v:.2e}" if sci else f"{v:.{decimals}f}"

    im = None
    for p, (key, M) in enumerate(mats):
        ax = axs[p // cols][p % cols]
        # pcolormesh, not imshow: vector cells in the PDF, which no viewer blurs
        im = ax.pcolormesh(np.arange(M.shape[1] + 1) - 0.5, np.arange(M.shape[0] + 1) - 0.5,
                           np.ma.masked_invalid(M), cmap=cmap, norm=norm, edgecolors="face", linewidth=0)
        ax.set_xlim(-0.5, M.shape[1] - 0.5)
        ax.set_ylim(M.shape[0] - 0.5, -0.5)  # first row on top
        for r in range(M.shape[0]):
            for c in range(M.shape[1]):
                v = M[r, c]
                if np.isfinite(v):
                    rgb = cmap(norm(v))
                    lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
                    ax.text(c, r, ann(v), ha="center", va="center", fontsize=fs,
                            color="black" if lum > 0.45 else "white")
                else:
                    ax.text(c, r, "n/a", ha="center", va="center", fontsize=fs - 1, color="#777777")
        ax.set_xticks(range(len(cv)))
        ax.set_xticklabels([fmt_value(v, b) for v in cv])
        ax.set_yticks(range(len(rv)))
        ax.set_yticklabels([fmt_value(v, a) for v in rv])
        ax.tick_params(length=0)
        for sp in ax.spines.values():
            sp.set_visible(False)
        if longest * 0.06 > (width - 1.3) / (cols * len(cv)):
            for t in ax.get_xticklabels():
                t.set_rotation(35)
                t.set_horizontalalignment("right")
        ax.set_xlabel(axis_label(b))
        if p % cols == 0:
            ax.set_ylabel(axis_label(a))
        if plan["facet_axes"]:
            ax.set_title(s.label(plan["facet_axes"], key), fontsize=8)
    for p in range(npan, prow * cols):
        axs[p // cols][p % cols].set_visible(False)
    cb = fig.colorbar(im, ax=axs.ravel().tolist(), shrink=0.9, pad=0.02, aspect=25)
    cb.set_label(stat_label(stat))
    cb.ax.tick_params(labelsize=7)
    cb.outline.set_linewidth(0.5)
    cb.ax.yaxis.set_major_locator(mt.MaxNLocator(6))
    return fig


def draw_jumps(plt, s, plan):
    np = s.np
    import matplotlib.ticker as mt

    cells, bins = plan["cells"], plan["bins"]
    count, mean, se = plan["count"], plan["mean"], plan["se"]
    labels = [s.cell_label(i, cells) if len(cells) > 1 else "all paths" for i in cells]
    # As many legend columns as fit the width at 8 pt (about 0.055 in a character, plus the marker).
    longest = max(len(re.sub(r"\\[A-Za-z]+", "x", t).replace("$", "")) for t in labels)  # as rendered
    ncol = max(1, min(3, len(cells), int((SINGLE_W - 0.1) // (0.055 * longest + 0.45))))
    rows = legend_rows(len(cells), ncol)
    fig = new_figure(plt, SINGLE_W, 2.35 + 0.15 * rows)
    ax = fig.add_subplot()
    handles = []
    # Lines side by side within a bin, so that their error bars do not overlap.
    width = 0.5
    shift = (np.arange(len(cells)) - (len(cells) - 1) / 2) * (width / max(len(cells), 1)) if len(cells) > 1 else [0.0]
    for k, i in enumerate(cells):
        c, m = style(k)
        ok = (count[i] > 0) & np.isfinite(mean[i])
        x = np.arange(len(bins))[ok] + shift[k]
        y = mean[i][ok]
        e = np.where(np.isfinite(se[i][ok]), 2 * se[i][ok], 0.0)
        h = ax.errorbar(x, y, yerr=e, color=c, marker=m, ms=3.2, lw=1.0, elinewidth=0.7, capsize=1.5)
        handles.append(h)
    ax.axhline(0.0, color=THEORY, lw=0.6, ls=":", zorder=0)
    ax.xaxis.set_major_locator(mt.FixedLocator(range(len(bins))))
    ax.xaxis.set_major_formatter(mt.FuncFormatter(lambda v, _: bins[int(round(v))] if 0 <= round(v) < len(bins) else ""))
    ax.set_xlim(-0.5, len(bins) - 0.5)
    plain_ticks(ax.yaxis, 6)
    ax.set_xlabel("random jumps on the path")
    ax.set_ylabel(f"mean P&L ({CCY})")
    title = "bars: $\\pm$2 s.e.; empty bins left out"
    if plan.get("fixed"):
        title = f"{plan['fixed']}; {title}"
    legend_below(fig, ax, handles, labels, ncol, title=title)
    return fig


DRAW = {
    "std_vs_rebalances": draw_std_vs_rebalances,
    "distributions": draw_distributions,
    "frontier": draw_frontier,
    "tails": draw_tails,
    "qq": draw_qq,
    "heatmap": draw_heatmap,
    "jumps": draw_jumps,
}


# ---------------------------------------------------------------------------------------------


def parse_list(text, allowed, what):
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise BadInput(f"{what}: empty list")
    for t in items:
        if t not in allowed:
            raise BadInput(f"{what}: unknown '{t}' (choose from {', '.join(allowed)})")
    return list(dict.fromkeys(items))


class Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv=None):
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `figures.py x.h5 | head` ends quietly
    ap = Parser(description="Paper-ready figures from a hedgelab HDF5 file.",
                epilog="figures: " + ", ".join(FIGURES))
    ap.add_argument("results", help="hedgelab HDF5 file")
    ap.add_argument("-o", "--outdir", help="output folder (default results/figures/<study_name>/)")
    ap.add_argument("--only", help="comma-separated figure names; each must fit the file")
    ap.add_argument("--format", default="pdf,png", help="comma-separated: pdf, png (default both)")
    ap.add_argument("--stat", default="std", help="statistic for the heatmap (a /cells column; default std)")
    args = ap.parse_args(argv)

    try:
        formats = parse_list(args.format, FORMATS, "--format")
        only = parse_list(args.only, FIGURES, "--only") if args.only is not None else None
        try:
            import h5py  # noqa: F401
            import numpy  # noqa: F401
            import matplotlib  # noqa: F401
        except ImportError as e:
            print(f"error: python dependency missing: {e.name} (python3 -m pip install h5py matplotlib numpy)",
                  file=sys.stderr)
            return 1
        s = Study(args.results)
        if args.stat not in s.cols or not s.is_numeric(args.stat):
            raise BadInput(f"--stat: '{args.stat}' is not a numeric /cells column")

        names = only or FIGURES
        plans, skipped = {}, []
        for name in names:
            try:
                plans[name] = PLANS[name](s, args)
            except Unfit as e:
                if only is not None:
                    raise BadInput(f"--only {name}: does not fit {args.results}: {e}")
                skipped.append((name, str(e)))

        outdir = args.outdir or os.path.join("results", "figures", s.name)
        try:
            os.makedirs(outdir, exist_ok=True)
        except OSError as e:
            raise BadInput(f"cannot create output folder {outdir}: {e.strerror}")
        if not os.access(outdir, os.W_OK):
            raise BadInput(f"output folder {outdir} is not writable")
    except BadInput as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    plt = setup_matplotlib()
    skipped = dict(skipped)
    for name in names:
        if name not in plans:
            out_line(f"skipped {name}: {skipped[name]}")
            continue
        plan = plans[name]
        try:
            fig = DRAW[name](plt, s, plan)
        except Unfit as e:
            if only is not None:
                print(f"error: --only {name}: does not fit {args.results}: {e}", file=sys.stderr)
                return 2
            out_line(f"skipped {name}: {e}")
            continue
        written = []
        for fmt in formats:
            path = os.path.join(outdir, f"{name}.{fmt}")
            meta = {"Creator": "hedgelab scripts/figures.py"}
            if fmt == "pdf":
                meta["CreationDate"] = None  # same input, same bytes
            fig.savefig(path, format=fmt, dpi=300, metadata=meta)
            written.append(path)
        plt.close(fig)
        extra = plan.get("note", "") if isinstance(plan, dict) else ""
        if name == "frontier" and plan.get("dropped"):
            extra += f" ({plan['dropped']} zero-cost line left out)"
        out_line(f"{name}: {' '.join(written)}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
