#!/usr/bin/env python3
"""Benchmarks hedgelab and records the figures under results/bench/.

Measured in one run, on this machine:
  1. the Derman-Kamal study, whole process (`hedgelab run experiments/derman_kamal.toml`), against
     QuantLib's DiscreteHedging example (Debian package quantlib-examples), which runs the same study;
  2. `hedgelab bench` (simulate + hedge, path-steps/s) on every backend available, for the issue's
     canonical workloads: GBM 1e7 paths x 252 steps, one cell; the same with 48 cells (8 rebalance
     counts x 6 cost levels), with its time as a multiple of the one-cell time; both again with the
     statistics of `run` (--stats); Merton jumps;
     on the CPU also 1e6 x 84 one cell (the CPU target's workload). Every path model (gbm, merton, kou,
     heston, regime; Black-Scholes hedger) at the backend's default size, with each model's throughput
     as a fraction of gbm's measured in the same run. Every precision (fp64, fp32, mixed) for the
     one-cell GBM workload;
  3. the vectorised NumPy baseline (scripts/numpy_baseline.py, one core) on 1e6 paths x 84 steps.
Ratios to the baselines, in the records: `speedup_vs_quantlib` (the Derman-Kamal study, whole
process, QuantLib's time / hedgelab's) and `ratio_to_numpy_one_core` (each one-cell GBM record's
path-steps/s / the NumPy baseline's, measured in the same run; hedgelab on all its threads or the GPU).
Each figure is appended as one JSON line to results/bench/records.jsonl (date, commit, machine, gpu,
backend, device, precision, workload, figures) and a table of them is printed.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEDGELAB = Path(os.environ.get("HEDGELAB", ROOT / "build" / "hedgelab"))  # HEDGELAB=path overrides


def wall(cmd, repeat):
    """Median and best wall-clock seconds of a whole command over `repeat` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"host_cpu": model, "cores": os.cpu_count(), "platform": platform.platform()}


def gpu_name(info):
    """The GPU that `hedgelab info` sees (device 0), or "none"; on every record, whatever its backend."""
    for line in info.splitlines():
        if line.startswith("cuda device 0:"):
            return line.split(":", 1)[1].strip()
    return "none"


def summary(records):
    """One line per record: what ran where, its time and rate, and its ratios to the baselines."""
    rows = [("workload", "backend", "prec", "seconds", "path-steps/s", "ratios")]
    for r in records:
        secs = r.get("best_s", r.get("hedgelab_median_s", r.get("seconds")))  # the study: the median its ratio uses
        rate = r.get("path_steps_per_s")
        ratios = ", ".join(f"{k} {r[k]}" for k in ("speedup_vs_quantlib", "ratio_to_numpy_one_core",
                                                   "multiple_of_one_cell", "fraction_of_gbm") if k in r)
        work = r.get("workload", "")
        if r.get("tool") == "hedgelab bench" and isinstance(r.get("paths"), (int, float)):
            work = f'{r.get("model", "")} {r["paths"]:.0e} x {r.get("steps", "?")}, {r.get("cells", "?")} cell(s), ' \
                   f'{r.get("scope", "")}' + (f', pass {r.get("pass_cells")}' if r.get("backend") == "cuda" else "")
        rows.append((work[:64], r.get("backend", ""), r.get("precision", ""),
                     f"{secs:.4g}" if isinstance(secs, (int, float)) else "",
                     f"{rate:.3e}" if isinstance(rate, (int, float)) else "", ratios))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row[:5], widths)) + "  " + row[5] for row in rows)


def commit():
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", ".", ":!results"],
                               capture_output=True, text=True).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="runs per whole-process timing (median reported)")
    ap.add_argument("--no-numpy", action="store_true", help="skip the NumPy baseline")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench" / "records.jsonl"))
    ap.add_argument("--models", default="gbm,merton,kou,heston,regime", help="path models for hedgelab bench")
    ap.add_argument("--precisions", default="fp64,fp32,mixed", help="precisions of the one-cell canonical workload")
    ap.add_argument("--quick", action="store_true", help="skip the 1e7 x 252 canonical workloads")
    ap.add_argument("--backends", default="cpu,cuda", help="backends to bench, of those present")
    ap.add_argument("--no-study", action="store_true", help="skip the whole-process Derman-Kamal study")
    args = ap.parse_args()
    if not HEDGELAB.exists():
        sys.exit(f"{HEDGELAB} is missing: run scripts/build.sh first")

    info = subprocess.run([str(HEDGELAB), "info"], capture_output=True, text=True).stdout
    base = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": commit(), **machine(),
            "gpu": gpu_name(info)}
    records = []

    # 1. Whole process, the Derman-Kamal study: hedgelab against QuantLib's example.
    if not args.no_study:
        with tempfile.TemporaryDirectory() as tmp:
            hl_med, hl_best = wall([str(HEDGELAB), "run", str(ROOT / "experiments" / "derman_kamal.toml"), "-o",
                                    os.path.join(tmp, "dk.h5"), "--quiet", "--backend", "cpu"], args.repeat)
        rec = {**base, "workload": "derman_kamal study, whole process (50,000 paths, N=21 and 84)", "backend": "cpu",
               "device": base["host_cpu"], "precision": "fp64", "hedgelab_median_s": round(hl_med, 4), "hedgelab_best_s": round(hl_best, 4)}
        ql = shutil.which("DiscreteHedging")
        if ql:
            ql_med, ql_best = wall([ql], max(1, min(args.repeat, 3)))
            rec.update({"quantlib_discretehedging_median_s": round(ql_med, 4),
                        "speedup_vs_quantlib": round(ql_med / hl_med, 1)})
        records.append(rec)

    # 2. Kernel throughput on every backend present.
    present = ["cpu"] + (["cuda"] if "cuda device 0" in info else [])
    backends = [b for b in present if b in args.backends.split(",")]
    def bench(b, *extra, repeat=5):
        out = subprocess.run([str(HEDGELAB), "bench", "--backend", b, "--repeat", str(repeat), "--json", *extra],
                             capture_output=True, text=True, check=True).stdout
        return [{**base, **json.loads(line)} for line in out.splitlines() if line.strip()]

    for b in backends:
        gbm_rate = None
        for model in args.models.split(","):
            for rec in bench(b, "--model", model):
                if model == "gbm":
                    gbm_rate = rec["path_steps_per_s"]
                elif gbm_rate:
                    rec["fraction_of_gbm"] = round(rec["path_steps_per_s"] / gbm_rate, 3)
                records.append(rec)
        # The canonical workloads: 1e7 x 252, one cell and 48 cells, GBM and Merton, every precision.
        if not args.quick:
            canon = ["--paths", "10000000", "--steps", "252"]
            rep = 5 if b == "cuda" else 2
            one = {}
            for prec in args.precisions.split(","):
                for rec in bench(b, *canon, "--precision", prec, repeat=rep):
                    one[prec] = rec
                    records.append(rec)
            # 48 cells, against the one cell of the same size measured just above (the chunks reach the
            # host and are dropped, so memory stays at one chunk).
            ref = one.get("fp64")
            # On CUDA both pass widths: 3 passes of the 16-cell kernel (the default), and one pass of the
            # wide kernel (--pass-cells 64), which simulates each path once for all 48 cells.
            for width in (["--pass-cells", "16"], ["--pass-cells", "64"]) if b == "cuda" else ([],):
                for rec in bench(b, *canon, "--cells", "8", "--costs", "6", *width, repeat=rep):
                    if ref:
                        rec["multiple_of_one_cell"] = round(rec["best_s"] / ref["best_s"], 2)
                    records.append(rec)
            # The same two with the streamed statistics of `run` (exact quantiles for one cell, the sketch
            # for 48), so that the end-to-end cost of a study is on record too.
            for cells in (["--cells", "1"], ["--cells", "8", "--costs", "6"]):
                records.extend(bench(b, *canon, *cells, "--stats", repeat=1 if b == "cpu" else 3))
            records.extend(bench(b, *canon, "--model", "merton", repeat=rep))

    # 3. The NumPy baseline, one core, 1e6 x 84.
    if not args.no_numpy:
        try:
            out = subprocess.run([sys.executable, str(ROOT / "scripts" / "numpy_baseline.py"), "--paths", "1000000",
                                  "--rebalances", "84", "--json"], capture_output=True, text=True, check=True).stdout
            nb = json.loads(out.splitlines()[-1])
            records.append({**base, "workload": "numpy baseline (scripts/numpy_baseline.py), 1e6 paths x 84 steps, one core",
                            "backend": "numpy", "device": base["host_cpu"] + " (one core)", "baseline": "numpy",
                            "precision": "fp64", "seconds": nb.get("seconds"),
                            "path_steps_per_s": nb.get("path_steps_per_sec")})
            np_rate = nb.get("path_steps_per_sec")
            for r in records:  # the one-cell GBM records, against the baseline's one-cell GBM hedge
                if np_rate and r.get("tool") == "hedgelab bench" and r.get("model") == "gbm" and r.get("cells") == 1:
                    r["ratio_to_numpy_one_core"] = round(r["path_steps_per_s"] / np_rate, 1)
        except (subprocess.CalledProcessError, json.JSONDecodeError, IndexError) as e:
            print(f"numpy baseline skipped: {e}", file=sys.stderr)

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    print(summary(records))
    print(f"appended {len(records)} records to {args.out} (one JSON line each)")


if __name__ == "__main__":
    main()
