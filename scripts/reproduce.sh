#!/usr/bin/env bash
# Reruns every canonical study and writes, under results/: its HDF5 file, its figures
# (results/figures/<study>/), its tables (results/tables/<study>.md and .tex), and results/README.md,
# which lists each study, the published result it reproduces, its key numbers, figures and runtime.
# Usage: scripts/reproduce.sh [--quick]   (--quick: a tenth of the paths, for a smoke run)
# HEDGELAB=PATH/TO/hedgelab uses that binary instead of building build/hedgelab.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${HEDGELAB:-}" ]; then
  hedgelab=$HEDGELAB
else
  bash scripts/build.sh
  hedgelab=./build/hedgelab
fi
python3 -c "import h5py, matplotlib, numpy" 2>/dev/null || python3 -m pip install -q h5py matplotlib numpy
quick=""
[ "${1:-}" = "--quick" ] && quick=1
mkdir -p results/tables results/figures
export MPLCONFIGDIR="${MPLCONFIGDIR:-$(mktemp -d)}"   # matplotlib's cache: somewhere writable

# study | what it reproduces | table columns (empty: hedgelab table's default)
studies=(
  "derman_kamal|QuantLib's DiscreteHedging table and Derman & Kamal (1999): std 0.43 and 0.22 for N = 21 and 84|"
  "frequency_vs_cost|Bertsimas, Kogan & Lo (2000): std -> BKL as N grows, the N^-1/2 law; costs against frequency|"
  "leland|Leland (1985): hedging at the Leland volatility pays for the rebalancing costs (mean P&L about 0)|"
  "bands|the cost-risk frontier of time, band, Whalley-Wilmott (1997), Zakamouline (2006) and move-based hedging|"
  "implied_vs_realised|Ahmad & Wilmott (2005): mean P&L of hedging at the implied volatility|"
  "market_maker|the market maker example: 40 adjustments at \$50, about \$2,000 of costs, dynamic vs static vs none|"
  "merton_stress|Merton (1976) jump residual: delta hedging cannot remove jumps; the std levels off at the Ito-isometry value|mean,std,jump_residual_std,mean_jump_pnl,es_99,es_999"
  "crash_gap|a crash gap at mid-life: the loss no rebalancing policy can avoid, against the closed form for static and unhedged books|mean,std,mean_jump_pnl,var_99,es_99,var_999,es_999,mean_cost"
  "vol_regime|volatility regimes (15%/45%, Markov) hedged at one Black-Scholes volatility: the mean is the volatility bet, and the std does not fall with N as under GBM|mean,std,skewness,var_99,es_99,es_999"
  "heston_misspecified|Heston (1993) paths hedged with Black-Scholes: the unhedged vega risk keeps the std from falling as N^-1/2 to zero|mean,std,skewness,kurtosis,var_99,es_99,es_999"
)

{
  echo "# Reproductions"
  echo
  echo "Made by \`scripts/reproduce.sh\` on $(date -u +%Y-%m-%d), commit $(git rev-parse --short=12 HEAD), $("$hedgelab" info | sed -n 3p)."
  echo "Each study: its experiment file, the published result it reproduces, its HDF5 file, figures and tables."
  echo "The key numbers are checked against the published or closed-form values in tests/ (ctest)."
  echo
  echo "| study | reproduces | runtime | outputs |"
  echo "|---|---|---|---|"
} > results/README.md.tmp

total_start=$(date +%s.%N)
for entry in "${studies[@]}"; do
  IFS='|' read -r name what columns <<< "$entry"
  sets=()
  if [ -n "$quick" ]; then
    paths=$(grep -m1 '^paths' "experiments/$name.toml" | tr -dc '0-9')
    sets=(--set "study.paths=$((paths / 10))")
  fi
  start=$(date +%s.%N)
  "$hedgelab" run "experiments/$name.toml" -o "results/$name.h5" --quiet "${sets[@]}"
  secs=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  rm -f "results/figures/$name"/*.pdf "results/figures/$name"/*.png   # no figure left from an older run
  python3 scripts/figures.py "results/$name.h5" -o "results/figures/$name" >/dev/null
  [ "$name" = market_maker ] && python3 scripts/market_maker_figure.py "results/$name.h5" -o "results/figures/$name" >/dev/null
  cols=()
  [ -n "$columns" ] && cols=(--columns "$columns")
  "$hedgelab" table "results/$name.h5" --format markdown "${cols[@]}" -o "results/tables/$name.md"
  "$hedgelab" table "results/$name.h5" --format latex "${cols[@]}" -o "results/tables/$name.tex"
  figs=$(cd results && ls figures/$name/*.png 2>/dev/null | sed 's/.*/[&](&)/' | paste -sd' ' -)
  echo "| \`experiments/$name.toml\` | $what | $secs s | \`$name.h5\`, [table](tables/$name.md), $figs |" >> results/README.md.tmp
  echo "$name: $secs s" >&2
done

# Key numbers of the jump, stress and stochastic-volatility studies, from their HDF5 files: the
# Monte Carlo value +- one standard error against the closed form where there is one.
python3 - > results/key_numbers.md.tmp <<'PY'
import math, re
import h5py

def norm_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))

def bs_put(S, K, r, v, T):
    sd = v * math.sqrt(T)
    d1 = (math.log(S / K) + (r + 0.5 * v * v) * T) / sd
    return K * math.exp(-r * T) * norm_cdf(-(d1 - sd)) - S * norm_cdf(-d1)

def bs_put_delta(S, K, r, v, T):
    return norm_cdf((math.log(S / K) + (r + 0.5 * v * v) * T) / (v * math.sqrt(T))) - 1.0

class Cells:
    def __init__(self, name):
        self.f = h5py.File(f"results/{name}.h5", "r")
        self.c = self.f["cells"]
        self.n = len(self.c["std"])
        self.cache = {}

    def col(self, k):
        if k not in self.cache:
            v = self.c[k][()]
            self.cache[k] = [x.decode() if isinstance(x, bytes) else x for x in v]
        return self.cache[k]

    def find(self, **coords):
        for i in range(self.n):
            if all(self.col(k)[i] == v or (isinstance(v, float) and abs(self.col(k)[i] - v) < 1e-12)
                   for k, v in coords.items()):
                return i
        raise KeyError(coords)

    def pm(self, k, i, se=None, d=3):
        v = self.col(k)[i]
        s = self.col(se)[i] if se else None
        return f"{v:.{d}f} ± {s:.{d}f}" if s is not None else f"{v:.{d}f}"

    def experiment(self, key, section):
        text = self.f.attrs["experiment"]
        text = text.decode() if isinstance(text, bytes) else str(text)
        try:
            import tomllib
            doc = tomllib.loads(text)
            return doc["book"][0][key] if section == "book" else doc[section][key]
        except ImportError:
            m = re.search(rf"^{key}\s*=\s*([0-9.eE+-]+)", text.split(f"[{section}]")[1], re.M)
            return float(m.group(1))

def g(x):
    return f"{x:g}"

out = []
# merton_stress: the std of the time hedge against the jump residual (Ito isometry)
c = Cells("merton_stress")
Ns = sorted({int(n) for n in c.col("hedge_rebalances")})
out += ["## Key numbers", "", "### merton_stress",
        "",
        f"std of the P&L (± s.e.) against rebalances N, Merton hedger, against the jump residual of continuous "
        f"Merton hedging (`jump_residual_std`, Itô isometry; 3.18117 at λ = 1 by an independent cubature, "
        f"`scripts/check_jump_theory.py`); the Black–Scholes hedger at N = {Ns[-1]} for comparison.", "",
        "| λ (per year) | " + " | ".join(f"N = {n}" for n in Ns) + " | jump residual | (std − residual) / s.e. at N = "
        f"{Ns[-1]} | BS hedger, N = {Ns[-1]} |",
        "|---:|" + "---:|" * len(Ns) + "---:|---:|---:|"]
for lam in sorted(set(c.col("market_jump_intensity"))):
    idx = [c.find(market_jump_intensity=lam, hedge_model="merton", hedge_rebalances=n) for n in Ns]
    jr = c.col("jump_residual_std")[idx[-1]]
    # without jumps the residual is 0 and the std is the discretisation error alone: no z
    z = f"{(c.col('std')[idx[-1]] - jr) / c.col('stderr_std')[idx[-1]]:+.1f}" if jr > 0 else "–"
    bs = c.find(market_jump_intensity=lam, hedge_model="bs", hedge_rebalances=Ns[-1])
    out.append(f"| {g(lam)} | " + " | ".join(c.pm("std", i, "stderr_std") for i in idx) +
               f" | {jr:.3f} | {z} | {c.pm('std', bs, 'stderr_std')} |")

# crash_gap: the jump part against its closed form (see tests/test_reproductions.cpp for the derivation)
c = Cells("crash_gap")
i0 = 0
S0, r, mu = c.col("market_spot")[i0], c.col("market_rate")[i0], c.col("market_drift")[i0]
sig, K, q = c.col("market_volatility")[i0], c.col("book_0_strike")[i0], c.col("book_0_quantity")[i0]
T, steps = float(c.experiment("maturity", "book")), int(c.experiment("steps", "market"))
dt = T / steps
tg = math.ceil(c.col("stress_gap_time")[i0] / dt - 1e-9) * dt
Sp = S0 * math.exp((mu - r) * tg)
out += ["", "### crash_gap", "",
        f"Mean jump part of the P&L (what the position held into the gap and the book make across it, valued at T) "
        f"against its closed form, for the books whose position into the gap is known: no hedge (0 shares) and "
        f"the static t0 hedge. Gap at t = {tg:g}; the closed form takes the real-world drift μ = {mu:g} "
        f"for the law of the spot before the gap (derivation in `tests/test_reproductions.cpp`). "
        f"Also the whole mean P&L of the unhedged book, e^(rT)(P(S0) − P((1 + g) S0 e^((μ − r)T))).", "",
        "| policy | gap | mean jump part (MC) | closed form | z | mean P&L (MC) | closed form | z |",
        "|---|---:|---:|---:|---:|---:|---:|---:|"]
d0 = bs_put_delta(S0, K, r, sig, T)
for gap in sorted({x for x in c.col("stress_gap_size") if x != 0}, reverse=True):
    j_none = q * math.exp(r * T) * (bs_put((1 + gap) * Sp, K, r, sig, T) - bs_put(Sp, K, r, sig, T))
    j_static = j_none + (-q * d0) * gap * S0 * math.exp(mu * tg) * math.exp(r * (T - tg))
    for pol, cf in (("none", j_none), ("static", j_static)):
        i = c.find(hedge_policy=pol, stress_gap_size=gap)
        z = (c.col("mean_jump_pnl")[i] - cf) / c.col("mean_jump_pnl_se")[i]
        row = f"| {pol} | {g(gap)} | {c.pm('mean_jump_pnl', i, 'mean_jump_pnl_se')} | {cf:.3f} | {z:+.1f} |"
        if pol == "none":
            pnl = -q * math.exp(r * T) * (bs_put(S0, K, r, sig, T) - bs_put((1 + gap) * S0 * math.exp((mu - r) * T), K, r, sig, T))
            zp = (c.col("mean")[i] - pnl) / c.col("stderr_mean")[i]
            row += f" {c.pm('mean', i, 'stderr_mean')} | {pnl:.3f} | {zp:+.1f} |"
        else:
            row += " | | |"
        out.append(row)
pols = list(dict.fromkeys(c.col("hedge_policy")))
gaps = sorted(set(c.col("stress_gap_size")), reverse=True)
out += ["", "Every policy against the gap: mean jump part and ES 99.9% (± s.e.). The rebalancing policies "
        "lose about as much at the gap as the static hedge: no rebalancing policy trades through it.", "",
        "| policy | " + " | ".join(f"jump part, gap {g(x)}" for x in gaps[1:]) + " | " +
        " | ".join(f"ES 99.9%, gap {g(x)}" for x in gaps) + " |",
        "|---|" + "---:|" * (2 * len(gaps) - 1)]
for pol in pols:
    cells = [c.find(hedge_policy=pol, stress_gap_size=x) for x in gaps]
    out.append(f"| {pol} | " + " | ".join(c.pm("mean_jump_pnl", i, "mean_jump_pnl_se") for i in cells[1:]) + " | " +
               " | ".join(c.pm("es_999", i, "es_999_se", 2) for i in cells) + " |")

# vol_regime and heston_misspecified: the std against rebalancing, and the GBM N^-1/2 law it misses
for name in ("vol_regime", "heston_misspecified"):
    c = Cells(name)
    Ns = sorted({int(n) for n in c.col("hedge_rebalances")})
    hv = sorted(set(c.col("hedge_volatility")))
    out += ["", f"### {name}", "",
            f"Mean and std of the P&L (± s.e.) by hedge volatility σ_h and rebalances N; the last column is "
            f"std(N = {Ns[-1]}) / std(N = {Ns[0]}), which the N^−1/2 law of GBM hedging at the true "
            f"volatility would put at {math.sqrt(Ns[0] / Ns[-1]):.3f}.", "",
            "| σ_h | " + " | ".join(f"mean, N = {n}" for n in Ns) + " | " +
            " | ".join(f"std, N = {n}" for n in Ns) + " | std ratio |",
            "|---:|" + "---:|" * (2 * len(Ns) + 1)]
    for h in hv:
        idx = [c.find(hedge_volatility=h, hedge_rebalances=n) for n in Ns]
        ratio = c.col("std")[idx[-1]] / c.col("std")[idx[0]]
        out.append(f"| {g(h)} | " + " | ".join(c.pm("mean", i, "stderr_mean") for i in idx) + " | " +
                   " | ".join(c.pm("std", i, "stderr_std") for i in idx) + f" | {ratio:.3f} |")
print("\n".join(out))
PY

total=$(python3 -c "import time; print(f'{time.time() - $total_start:.0f}')")
{
  echo
  echo "Total: $total s for the runs, figures and tables."
  echo
  cat results/key_numbers.md.tmp
  echo
  for entry in "${studies[@]}"; do
    name=${entry%%|*}
    echo "## $name"
    echo
    cat "results/tables/$name.md"
    echo
  done
} >> results/README.md.tmp
rm -f results/key_numbers.md.tmp
mv results/README.md.tmp results/README.md
echo "wrote results/README.md ($total s)" >&2
