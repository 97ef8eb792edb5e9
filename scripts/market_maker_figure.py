#!/usr/bin/env python3
"""The market maker's figure: distributions of costs, scalping gains and net P&L per policy.

Reads the HDF5 file of experiments/market_maker.toml (it needs output.samples = true: /samples/pnl
and /samples/cost) and draws, for each hedge.policy cell (dynamic, static, none), the distribution
across paths of the costs paid, the scalping gains (the hedged P&L before costs: pnl + cost) and
the net P&L. Writes PDF and PNG.

    python3 scripts/market_maker_figure.py results/market_maker.h5 [-o results/figures/market_maker]
"""
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]  # colour-blind safe (Okabe-Ito)
NAMES = {"time": "dynamic (re-hedged)", "static": "static (hedge once)", "none": "no hedge"}


def label(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("-o", "--outdir", default="results/figures/market_maker")
    a = ap.parse_args()
    if not os.path.exists(a.results):
        sys.exit(f"error: {a.results}: no such file")
    with h5py.File(a.results, "r") as f:
        if "samples" not in f or "cost" not in f["samples"]:
            print(f"error: {a.results}: no /samples/cost: run the experiment with output.samples = true", file=sys.stderr)
            sys.exit(2)
        pnl = f["samples/pnl"][:]
        cost = f["samples/cost"][:]
        policies = [label(v) for v in f["cells/hedge_policy"][:]]
        rebalances = f["cells/hedge_rebalances"][:]
        fixed = f["cells/costs_fixed"][:]
    plt.rcParams.update({"font.size": 8, "axes.titlesize": 8, "legend.fontsize": 7})
    fig, axes = plt.subplots(1, 3, figsize=(7.0, 2.7))
    panels = [("costs paid ($)", cost), ("scalping gains: P&L before costs ($)", pnl + cost), ("net P&L ($)", pnl)]
    for ax, (title, data) in zip(axes, panels):
        lo, hi = np.percentile(data, [0.5, 99.5])
        bins = np.linspace(lo, hi, 80) if hi > lo else 10
        means = []
        for c, name in enumerate(policies):
            x = data[c]
            tag = f"dynamic ({rebalances[c]} re-hedges)" if name == "time" else NAMES.get(name, name)
            if np.ptp(x) == 0:  # the same on every path (no hedge pays no costs): a line
                ax.axvline(x[0], color=COLOURS[c % 4], lw=1.2, label=tag)
            else:
                ax.hist(x, bins=bins, density=True, histtype="step", lw=1.1, color=COLOURS[c % 4], label=tag)
            means.append(f"{x.mean():,.0f}")
        # the means in the corner away from most of the data
        varying = [np.median(x) for x in data if np.ptp(x) > 0] or [np.median(data)]
        right = np.median(varying) < (lo + hi) / 2
        ax.text(0.98 if right else 0.25, 0.97, "means\n" + "\n".join(means), transform=ax.transAxes,
                ha="right" if right else "left", va="top", fontsize=6.5, linespacing=1.3)
        ax.set_title(title)
        ax.set_xlabel("$ at maturity")
        ax.set_yticks([])
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    axes[0].set_ylabel("density")
    handles, labels = axes[2].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.suptitle(f"10,000 calls, delta 0.6, 20 trading days; ${fixed[0]:.0f} per trade "
                 "(means listed in the order of the legend)", fontsize=8)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    os.makedirs(a.outdir, exist_ok=True)
    for ext in ("pdf", "png"):
        out = os.path.join(a.outdir, f"market_maker.{ext}")
        fig.savefig(out, dpi=300)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
