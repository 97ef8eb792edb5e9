#!/usr/bin/env bash
# scripts/figures.py end to end: runs six shipped experiments (small), draws their figures and checks
# that the expected PDFs and PNGs exist and are what they say, that the jump and stress studies get
# their figures (std_vs_rebalances with the jump residual for merton_stress; tails against the gap
# size at 99% and 99.9% for crash_gap; a string axis as categorical x), that --only naming a figure
# the file cannot have exits 2, and that a missing file exits 2. Skipped (77) without python3, h5py
# and matplotlib.   usage: figures_test.sh PATH/TO/hedgelab
set -u
HEDGELAB=${1:?usage: figures_test.sh PATH/TO/hedgelab}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIGURES="$ROOT/scripts/figures.py"

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import h5py, matplotlib, numpy' >/dev/null 2>&1; then
  echo "figures: python deps missing"
  exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hedgelab_figures.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export MPLCONFIGDIR="$TMP/mpl"   # matplotlib's cache: somewhere writable and private

FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

run_study() {  # name experiment paths [extra --set ...]
  local name=$1 exp=$2 paths=$3
  shift 3
  if ! "$HEDGELAB" run "$ROOT/experiments/$exp.toml" -o "$TMP/$name.h5" --set "study.paths=$paths" "$@" --quiet; then
    fail "hedgelab run $exp"
    return 1
  fi
}

draw() {  # name [figures.py options...]
  local name=$1 out
  shift
  if ! out=$(python3 "$FIGURES" "$TMP/$name.h5" -o "$TMP/$name" "$@" 2>&1); then
    fail "figures.py $name: $out"
    return 1
  fi
  printf '%s\n' "$out" | sed "s|$TMP/||g; s|^|  $name: |"
  DRAWN=$out
}

plan_check() {  # name python: asserts on `s` (figures.Study of the file) and `m` (the module)
  local name=$1 out
  if ! out=$(python3 - "$FIGURES" "$TMP/$name.h5" "$2" 2>&1 <<'PY'
import argparse, importlib.util, sys
spec = importlib.util.spec_from_file_location("figures", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
s = m.Study(sys.argv[2])
args = argparse.Namespace(stat="std")
exec(sys.argv[3])
PY
  ); then
    fail "$name: plan check: $(printf '%s' "$out" | tail -1)"
  fi
}

is_pdf() { [ -s "$1" ] && [ "$(head -c 5 "$1")" = "%PDF-" ]; }
is_png() { [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

expect() {  # name figure...
  local name=$1 fig
  shift
  for fig in "$@"; do
    is_pdf "$TMP/$name/$fig.pdf" || fail "$name/$fig.pdf missing or not a PDF"
    is_png "$TMP/$name/$fig.png" || fail "$name/$fig.png missing or not a PNG"
  done
}

expect_absent() {  # name figure...: figures that do not fit the file are skipped
  local name=$1 fig
  shift
  for fig in "$@"; do
    [ ! -e "$TMP/$name/$fig.pdf" ] && [ ! -e "$TMP/$name/$fig.png" ] || fail "$name/$fig written but does not fit"
  done
}

expect_exit2() {  # description command...
  local what=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  [ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2"
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$what: expected one line, got: $out"
}

if run_study fvc frequency_vs_cost 5000 && draw fvc; then
  expect fvc std_vs_rebalances distributions frontier heatmap
  expect_absent fvc tails qq
fi
if run_study ivr implied_vs_realised 2000 --set output.samples=true && draw ivr; then
  expect ivr distributions tails qq
  expect_absent ivr std_vs_rebalances frontier heatmap
fi
if run_study bands bands 5000 && draw bands; then
  expect bands std_vs_rebalances distributions frontier
  expect_absent bands tails qq heatmap
fi

# The jump and stress studies. merton_stress: 5 intensities x 2 hedgers are 10 lines, so only the
# Merton hedger's 5 (those with a jump residual) are drawn, each with its residual level.
if run_study ms merton_stress 2000 --set 'hedge.rebalances=[12, 48]' &&
   draw ms --only std_vs_rebalances,tails,jumps; then
  expect ms std_vs_rebalances tails jumps
  case $DRAWN in *"the 5 with a jump residual shown"*) ;; *) fail "ms: std_vs_rebalances did not keep the jump-residual lines: $DRAWN" ;; esac
  plan_check ms '
p = m.plan_std_vs_rebalances(s, args)
jr = s.col("jump_residual_std")
assert len(p["groups"]) == 5, p["groups"]
assert all(jr[i] == jr[i] for _, g in p["groups"] for i in g), "a line without a jump residual"
assert p["fixed"] == "Merton hedger", p["fixed"]
t = m.plan_tails(s, args)
assert t["axis"] == "market_jump_intensity", t["axis"]
assert [lv for lv, _ in t["levels"]] == ["99", "999"], t["levels"]
for a in ("market_model", "hedge_model", "market_regime_volatilities", "market_regime_rates"):
    assert not s.is_numeric(a), a + " read as numbers"
assert s.label(["hedge_model"], ("merton",)) == "Merton hedger"
'
fi
# crash_gap: tails against the gap size (3 sizes x 5 policies), the 15 single points of the frontier
# split into colour (policy) and marker (gap size)
if run_study cg crash_gap 2000 && draw cg; then
  expect cg distributions frontier tails qq
  expect_absent cg std_vs_rebalances heatmap jumps
  plan_check cg '
t = m.plan_tails(s, args)
assert t["axis"] == "stress_gap_size", t["axis"]
assert [lv for lv, _ in t["levels"]] == ["99", "999"], t["levels"]
assert len(t["groups"]) == 5 and all(len(g) == 3 for _, g in t["groups"]), t["groups"]
assert m.axis_label("stress_gap_size") == "gap size (fraction of spot)"
f = m.plan_frontier(s, args)
assert f["split"] and len(f["split"]["policies"]) == 5 and len(f["split"]["scenarios"]) == 3, f["split"]
'
fi
# a string axis (the regime volatility pair) as the tails x axis: categorical
if run_study vr vol_regime 1000 --set 'market.regime_volatilities=[[0.15, 0.45], [0.2, 0.3]]' --set hedge.rebalances=26 &&
   draw vr --only tails --format png; then
  is_png "$TMP/vr/tails.png" || fail "vr/tails.png missing or not a PNG"
  plan_check vr '
t = m.plan_tails(s, args)
assert t["axis"] == "market_regime_volatilities", t["axis"]
assert t["order"] == ["0.15/0.45", "0.2/0.3"], t["order"]
'
fi

# --only and --format: just the figure asked for, in the format asked for
if [ -s "$TMP/fvc.h5" ]; then
  if python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/only" --only heatmap --stat mean_cost --format png >/dev/null 2>&1; then
    is_png "$TMP/only/heatmap.png" || fail "--only heatmap --format png: no PNG"
    [ "$(ls "$TMP/only" | wc -l)" -eq 1 ] || fail "--only heatmap --format png wrote: $(ls "$TMP/only" | tr '\n' ' ')"
  else
    fail "--only heatmap --stat mean_cost --format png"
  fi
  expect_exit2 "--only qq without samples" python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/unfit" --only qq
  [ ! -e "$TMP/unfit/qq.png" ] || fail "--only qq without samples wrote a figure"
  expect_exit2 "--only tails without a stress axis" python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/unfit" --only tails
  expect_exit2 "--only with an unknown figure" python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/unfit" --only nosuch
  expect_exit2 "--stat naming no column" python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/unfit" --stat nosuch
fi
expect_exit2 "missing file" python3 "$FIGURES" "$TMP/does_not_exist.h5" -o "$TMP/missing"
printf 'not hdf5\n' > "$TMP/bogus.h5"
expect_exit2 "not an HDF5 file" python3 "$FIGURES" "$TMP/bogus.h5" -o "$TMP/bogus"

if [ "$FAILS" -ne 0 ]; then
  echo "figures: $FAILS failure(s)"
  exit 1
fi
echo "figures: ok"
