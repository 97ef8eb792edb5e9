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
Each figure is appended as one JSON line to results/bench/records.jsonl (machine, backend, precision,
commit) and a summary is printed.
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

    base = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": commit(), **machine()}
    records = []

    # 1. Whole process, the Derman-Kamal study: hedgelab against QuantLib's example.
    if not args.no_study:
        with tempfile.TemporaryDirectory() as tmp:
            hl_med, hl_best = wall([str(HEDGELAB), "run", str(ROOT / "experiments" / "derman_kamal.toml"), "-o",
                                    os.path.join(tmp, "dk.h5"), "--quiet", "--backend", "cpu"], args.repeat)
        rec = {**base, "workload": "derman_kamal study, whole process (50,000 paths, N=21 and 84)", "backend": "cpu",
               "precision": "fp64", "hedgelab_median_s": round(hl_med, 4), "hedgelab_best_s": round(hl_best, 4)}
        ql = shutil.which("DiscreteHedging")
        if ql:
            ql_med, ql_best = wall([ql], max(1, min(args.repeat, 3)))
            rec.update({"quantlib_discretehedging_median_s": round(ql_med, 4),
                        "speedup_vs_quantlib": round(ql_med / hl_med, 1)})
        records.append(rec)

    # 2. Kernel throughput on every backend present.
    info = subprocess.run([str(HEDGELAB), "info"], capture_output=True, text=True).stdout
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
                            "backend": "numpy", "precision": "fp64", "seconds": nb.get("seconds"),
                            "path_steps_per_s": nb.get("path_steps_per_sec")})
        except (subprocess.CalledProcessError, json.JSONDecodeError, IndexError) as e:
            print(f"numpy baseline skipped: {e}", file=sys.stderr)

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    for r in records:
        print(json.dumps(r, indent=None))
    print(f"appended {len(records)} records to {args.out}")


if __name__ == "__main__":
    main()
